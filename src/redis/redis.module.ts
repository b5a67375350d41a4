import { Inject, Injectable, Logger, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Cache } from '@nestjs/cache-manager';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { FallbackReporter } from './fallback-reporter.js';
import { redisClientOf } from './redis-cache-store.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';
import {
  REDIS_COMMAND_TIMEOUT_MS,
  REDIS_CONNECT_TIMEOUT_MS,
  REDIS_STARTUP_WAIT_MS,
  REDIS_THROTTLER_STORAGE,
  redisReconnectDelay,
} from './redis.constants.js';

const THROTTLER_REDIS = Symbol('THROTTLER_REDIS');
const CACHE_FALLBACKS = Symbol('CACHE_FALLBACKS');

/** The throttler's connection: fails fast instead of queueing, and reconnects forever. */
function throttlerRedis(url: string): Redis {
  return new Redis(url, {
    connectionName: 'playtime-throttler',
    enableOfflineQueue: false,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: redisReconnectDelay,
  });
}

/**
 * Connections to Redis of this instance (with `REDIS_URL` only): waits a little for them at
 * start-up, counts the catalogue cache's fallbacks, and closes them on shutdown so the process
 * can exit.
 */
@Injectable()
export class RedisLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  private cacheClients: ReturnType<typeof redisClientOf>[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(THROTTLER_REDIS) private readonly throttlerClient: Redis | null,
    @Inject(CACHE_FALLBACKS) private readonly cacheFallbacks: FallbackReporter,
    private readonly metrics: MetricsService,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.REDIS_URL) return;
    // Both series exist from the start (at 0), so a dashboard can tell "no fallback" from "no data".
    this.metrics.redisFallback('throttler', 0);
    this.metrics.redisFallback('cache', 0);
    const waits: Promise<boolean>[] = [];
    if (this.throttlerClient) waits.push(ready(this.throttlerClient.status === 'ready', (cb) => this.throttlerClient!.once('ready', cb)));
    for (const client of this.cacheClients) if (client) waits.push(ready(client.isReady, (cb) => client.once('ready', cb)));
    const results = await Promise.all(waits);
    if (results.every(Boolean)) this.logger.log(`connected to Redis: throttler limits and the catalogue cache are shared across instances`);
    else
      this.logger.warn(
        `Redis did not answer within ${REDIS_STARTUP_WAIT_MS} ms: serving anyway, with per-instance throttling and catalogue reads from the database until it does`,
      );
  }

  async onApplicationShutdown(): Promise<void> {
    // cache-manager disconnects its stores earlier (onModuleDestroy); a catalogue read during the
    // drain may have reconnected one, so close whatever is still open.
    for (const client of this.cacheClients) if (client?.isOpen) client.destroy();
    this.throttlerClient?.disconnect();
  }

  /**
   * The catalogue cache hands its cache-manager here when it is built (before any module's
   * start-up hook): its Redis clients are waited for, their fallbacks counted (cache-manager
   * reports store errors as events; a failed read becomes a miss), and closed on shutdown.
   */
  watchCache(cache: Cache): void {
    if (!this.config.REDIS_URL) return;
    this.cacheClients = cache.stores.map(redisClientOf).filter((c) => c !== null);
    if (this.cacheClients.length === 0) return;
    const onEvent = ({ error }: { error?: unknown }) => {
      if (error !== undefined) this.cacheFallbacks.fellBack(error);
    };
    cache.on('get', onEvent);
    cache.on('set', onEvent);
    for (const client of this.cacheClients) client?.on('ready', () => this.cacheFallbacks.succeeded());
  }
}

/** True once ready, false if not within the start-up wait. */
function ready(already: boolean, onReady: (cb: () => void) => void): Promise<boolean> {
  if (already) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), REDIS_STARTUP_WAIT_MS);
    onReady(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Shared state through Redis when `REDIS_URL` is set: the throttler's storage
 * (`REDIS_THROTTLER_STORAGE`, null without Redis) and the bookkeeping of the catalogue cache's
 * Redis store (made in `catalog-cache-stores.ts`). Without `REDIS_URL` it provides nothing active.
 */
@Module({
  providers: [
    {
      provide: THROTTLER_REDIS,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => (config.REDIS_URL ? throttlerRedis(config.REDIS_URL) : null),
    },
    {
      provide: CACHE_FALLBACKS,
      inject: [MetricsService],
      useFactory: (metrics: MetricsService) =>
        new FallbackReporter('cache', 'catalogue reads go to the database', new Logger('Redis'), metrics),
    },
    {
      provide: REDIS_THROTTLER_STORAGE,
      inject: [THROTTLER_REDIS, MetricsService],
      useFactory: (client: Redis | null, metrics: MetricsService) => {
        if (!client) return null;
        const logger = new Logger('Redis');
        // ioredis reports connection errors as events; the fallbacks below say what they mean.
        client.on('error', () => undefined);
        const reporter = new FallbackReporter('throttler', 'write limits hold per instance only until it answers', logger, metrics);
        return new RedisThrottlerStorage(client, reporter);
      },
    },
    RedisLifecycle,
  ],
  exports: [REDIS_THROTTLER_STORAGE, RedisLifecycle],
})
export class RedisModule {}
