import { createHash, randomBytes } from 'node:crypto';
import { CACHE_MANAGER, Cache } from '@nestjs/cache-manager';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RedisLifecycle } from '../redis/redis.module.js';
import type { MediaType } from '../watch/item-key.js';
import type { CatalogSearchQuery } from './dto/catalog-entry.schema.js';

/**
 * Every catalogue key lives under the current version: `catalog:v<version>:item:movie:550`.
 * Invalidation moves to a new version, so the old entries are never read again and expire on their
 * own; stores need no key listing (gone in cache-manager 7) and no per-key deletes.
 *
 * The version is random rather than a counter: if the version key is ever lost (evicted, expired,
 * a new Redis), a counter would restart at 1 and bring back entries cached under the old `v1`.
 */
const VERSION_KEY = 'catalog:version';
const WARN_EVERY_MS = 10_000;

const keys = {
  item: (version: string, mediaType: MediaType, mediaId: number) => `catalog:v${version}:item:${mediaType}:${mediaId}`,
  search: (version: string, q: CatalogSearchQuery) =>
    `catalog:v${version}:search:${q.mediaType ?? 'all'}:${q.limit}:${q.search === undefined ? '-' : sha256(q.search)}`,
};

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('base64url');
}

function newVersion(): string {
  return randomBytes(8).toString('hex');
}

/**
 * Read-through cache of catalogue reads, and the one place that knows its keys and how they are
 * invalidated. Not-found answers are not cached. A failing store (a Redis outage, later) turns
 * reads into misses rather than errors.
 */
@Injectable()
export class CatalogCache {
  private readonly logger = new Logger(CatalogCache.name);
  private hitCount = 0;
  private missCount = 0;
  private lastWarnAt = 0;
  /** TTL of entries, ms (as at every level of cache-manager 7). 0 turns caching off. */
  readonly ttlMs: number;

  constructor(
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: MetricsService,
    redis: RedisLifecycle,
  ) {
    this.ttlMs = config.CATALOG_CACHE_TTL_MS;
    // This cache reports to metrics and hands its Redis store to the Redis lifecycle (readiness,
    // fallback counts, closing): both ties are visible in the module graph.
    metrics.trackCatalogCache(() => this.stats);
    redis.watchCache(cache);
  }

  /** Lookups answered from the cache and lookups that went to the database, since start-up. */
  get stats(): { hits: number; misses: number } {
    return { hits: this.hitCount, misses: this.missCount };
  }

  item<T>(mediaType: MediaType, mediaId: number, load: () => Promise<T | null>): Promise<T | null> {
    return this.readThrough((v) => keys.item(v, mediaType, mediaId), load);
  }

  search<T>(query: CatalogSearchQuery, load: () => Promise<T>): Promise<T> {
    return this.readThrough((v) => keys.search(v, query), load) as Promise<T>;
  }

  /** After any catalogue write: every cached item and search is dropped, on every instance sharing the store. */
  async invalidateAll(): Promise<void> {
    if (this.ttlMs === 0) return;
    // The database write already happened: a store outage must not turn it into an error. Entries
    // under the old version then live at most ttlMs.
    await this.cache.set(VERSION_KEY, newVersion(), 0).catch((err: unknown) => this.warn(`catalogue cache invalidation failed (old entries expire within ${this.ttlMs} ms): ${String(err)}`));
  }

  /** At most one warning per WARN_EVERY_MS: a store outage must not flood the logs. */
  private warn(message: string): void {
    const now = Date.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = now;
    this.logger.warn(message);
  }

  private async readThrough<T>(keyOf: (version: string) => string, load: () => Promise<T | null>): Promise<T | null> {
    if (this.ttlMs === 0) {
      this.missCount++;
      return load();
    }
    let key: string | null = null;
    try {
      key = keyOf(await this.version());
      const cached = await this.cache.get<T>(key);
      if (cached !== undefined && cached !== null) {
        this.hitCount++;
        return cached;
      }
    } catch (err) {
      this.warn(`catalogue cache read failed, reading the database: ${String(err)}`);
    }
    this.missCount++;
    const value = await load();
    if (key !== null && value !== null) {
      await this.cache.set(key, value, this.ttlMs).catch((err: unknown) => this.warn(`catalogue cache write failed: ${String(err)}`));
    }
    return value;
  }

  /**
   * The current version, created when missing. It is stored before the caller reads the database,
   * so an entry can only land under a version that was current when its data was read.
   */
  private async version(): Promise<string> {
    const current = await this.cache.get<string>(VERSION_KEY);
    if (current) return current;
    const fresh = newVersion();
    // 0: the version key never expires (Keyv's convention); entries expire after ttlMs.
    await this.cache.set(VERSION_KEY, fresh, 0);
    return fresh;
  }
}
