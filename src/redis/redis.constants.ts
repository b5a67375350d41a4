/**
 * How long a Redis command may take before the caller gives up and falls back. Heartbeats and
 * catalogue reads wait at most this long per Redis round trip when Redis hangs; when it is down
 * (connection refused or reset) commands fail at once, as nothing is queued while disconnected.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 500;

/** After a Redis failure, operations fall back at once for this long before Redis is tried again. */
export const REDIS_RETRY_AFTER_FAILURE_MS = 1_000;

/** How long opening a TCP connection to Redis may take. */
export const REDIS_CONNECT_TIMEOUT_MS = 2_000;

/** How long start-up waits for Redis before serving anyway (with in-memory fallbacks meanwhile). */
export const REDIS_STARTUP_WAIT_MS = 2_000;

/** At most one "Redis unavailable" warning per component in this interval. */
export const REDIS_FALLBACK_LOG_INTERVAL_MS = 10_000;

/** Reconnect delay after `attempt` failed tries: 100 ms doubling to 2 s, with jitter. Never gives up. */
export function redisReconnectDelay(attempt: number): number {
  return Math.min(100 * 2 ** Math.min(attempt, 5), 2_000) + Math.floor(Math.random() * 100);
}

/** Where Redis is used; the label of `playtime_redis_fallbacks_total`. */
export type RedisComponent = 'throttler' | 'cache';

/** Prefix of every throttler key: `playtime:throttler:<throttler name>:{<key>}:hits|block`. */
export const THROTTLER_KEY_PREFIX = 'playtime:throttler:';

/** Namespace of catalogue cache keys in Redis: `playtime::catalog:v<version>:...`. */
export const CACHE_NAMESPACE = 'playtime';

/** Injection token of the throttler's Redis storage (null without `REDIS_URL`). */
export const REDIS_THROTTLER_STORAGE = Symbol('REDIS_THROTTLER_STORAGE');
