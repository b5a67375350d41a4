import KeyvRedis, { createKeyv, type RedisClientType } from '@keyv/redis';
import type { Keyv } from 'keyv';
import { RedisGuard } from './redis-guard.js';
import { CACHE_NAMESPACE, REDIS_COMMAND_TIMEOUT_MS, REDIS_CONNECT_TIMEOUT_MS, redisReconnectDelay } from './redis.constants.js';

/** The adapter methods Keyv calls for data; each goes through the guard. */
const DATA_METHODS = ['get', 'getMany', 'set', 'setMany', 'has', 'hasMany', 'delete', 'deleteMany', 'clear'] as const;

/**
 * The catalogue cache's Keyv store on Redis, made by `createKeyv` (not wrapped in another Keyv,
 * which would mangle the namespace) and with no in-memory layer in front (other instances would
 * keep serving a stale copy after an invalidation).
 *
 * Tuned so that Redis being down or hung makes catalogue reads misses quickly instead of slow:
 * - the client connects now and reconnects forever in the background, and nothing is queued while
 *   it is disconnected (`disableOfflineQueue`): a request never waits for a connection;
 * - every data operation of the adapter goes through a `RedisGuard`: it answers within
 *   `REDIS_COMMAND_TIMEOUT_MS` or fails, and after a failure operations fail at once for a moment
 *   (node-redis's own command timeout does not cover the wait for a reply);
 * - errors are thrown (`throwOnErrors`) so cache-manager sees them: it turns a failed read into a
 *   miss and reports it (`RedisLifecycle` counts those as fallbacks), and `CatalogCache` turns a
 *   failed write into a warning;
 * - `disconnect()` (cache-manager calls it when the module is destroyed, before the final flush)
 *   closes at once rather than waiting for replies a hung Redis will never send.
 */
export function createRedisCacheStore(url: string, guard = new RedisGuard()): Keyv {
  const keyv = createKeyv(
    {
      url,
      name: 'playtime-cache',
      disableOfflineQueue: true,
      commandOptions: { timeout: REDIS_COMMAND_TIMEOUT_MS },
      socket: { connectTimeout: REDIS_CONNECT_TIMEOUT_MS, reconnectStrategy: redisReconnectDelay },
    },
    { namespace: CACHE_NAMESPACE, throwOnErrors: true, connectionTimeout: REDIS_CONNECT_TIMEOUT_MS },
  );
  const adapter = keyv.store as KeyvRedis<unknown>;
  const methods = adapter as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of DATA_METHODS) {
    const original = methods[name];
    if (typeof original === 'function') methods[name] = (...args) => guard.run(() => original.apply(adapter, args));
  }
  const client = adapter.client as RedisClientType;
  // Resolves once connected; retries in the background meanwhile (errors reach the adapter's listener).
  client.connect().catch(() => undefined);
  keyv.disconnect = async () => {
    if (client.isOpen) client.destroy();
  };
  return keyv;
}

/** The Redis client behind a Keyv store, or null when the store is not Redis (the in-memory one). */
export function redisClientOf(keyv: Keyv): RedisClientType | null {
  const store: unknown = keyv.store;
  return store instanceof KeyvRedis ? (store.client as RedisClientType) : null;
}
