import { Keyv } from 'keyv';
import type { AppConfig } from '../config/app-config.js';
import { createRedisCacheStore } from '../redis/redis-cache-store.js';

/** The in-memory store keeps at most this many entries (items, searches, the version key). */
export const MEMORY_STORE_MAX_ENTRIES = 10_000;

/**
 * A Map that forgets its least recently used key beyond `max` entries. Keyv's default Map never
 * forgets: expired entries leave only when read again, and entries under a superseded version key
 * are never read again, so without a bound every admin write and every distinct search would
 * grow the heap for good.
 */
export class BoundedLruMap<K, V> extends Map<K, V> {
  constructor(private readonly max: number) {
    super();
  }

  override get(key: K): V | undefined {
    if (!super.has(key)) return undefined;
    const value = super.get(key) as V;
    // Re-insert to mark it recently used: the version key, read on every request, stays.
    super.delete(key);
    super.set(key, value);
    return value;
  }

  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    while (this.size > this.max) super.delete(this.keys().next().value as K);
    return this;
  }
}

/**
 * The stores behind the catalogue cache, for `CacheModule`'s `stores` option. This is the one
 * place that decides where cached entries live.
 *
 * Without `REDIS_URL`: one in-memory Keyv per instance. Each instance then invalidates only its
 * own copy on an admin write; the others serve the old entry until it expires (at most
 * CATALOG_CACHE_TTL_MS).
 *
 * With `REDIS_URL`: Redis alone (`createKeyv` from `@keyv/redis`, see `createRedisCacheStore`),
 * shared by every instance, with no in-memory L1 in front: other instances would keep serving
 * their stale L1 after an invalidation. Keys, TTLs (ms) and the version bump in `catalog-cache.ts`
 * work across instances as they are. A Redis outage turns reads into misses (the database
 * answers), counted in `playtime_redis_fallbacks_total{component="cache"}`.
 */
export function catalogCacheStores(config: AppConfig): Keyv[] {
  if (config.REDIS_URL) return [createRedisCacheStore(config.REDIS_URL)];
  return [new Keyv({ store: new BoundedLruMap<string, unknown>(MEMORY_STORE_MAX_ENTRIES), namespace: 'playtime' })];
}
