import { createHash } from 'node:crypto';
import type { OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { WindowThrottlerStorage, type ThrottlerStorageRecord } from '../common/window-throttler.storage.js';
import type { Redis } from 'ioredis';
import type { FallbackReporter } from './fallback-reporter.js';
import { RedisGuard } from './redis-guard.js';
import { THROTTLER_KEY_PREFIX } from './redis.constants.js';

/**
 * One fixed window and one block per key, in one atomic script (no other client can interleave
 * between the read and the write, so N instances share one exact count).
 *
 * KEYS[1] the hit counter of the window, KEYS[2] the block marker.
 * ARGV[1] ttl (ms), ARGV[2] limit, ARGV[3] block duration (ms).
 * Returns { totalHits, ms until the window resets, blocked 0/1, ms until the block ends }.
 *
 * O(1) a request whatever the limit: one counter key, one block key, at most four commands.
 * Same semantics as the in-memory `WindowThrottlerStorage` (the fallback): the (limit+1)-th hit in a window is
 * blocked for the block duration; hits are not counted while blocked; when the block ends the
 * count starts again from zero (the counter is dropped when the block starts). With no block
 * duration, hits beyond the limit are refused until the window resets.
 */
const INCREMENT_SCRIPT = `
local ttl = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local block = tonumber(ARGV[3])
local blockLeft = redis.call('PTTL', KEYS[2])
if blockLeft > 0 then
  return { limit + 1, blockLeft, 1, blockLeft }
end
local hits = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  left = ttl
end
if hits > limit then
  if block > 0 then
    redis.call('SET', KEYS[2], '1', 'PX', block)
    redis.call('DEL', KEYS[1])
    return { hits, block, 1, block }
  end
  return { hits, left, 1, left }
end
return { hits, left, 0, 0 }
`;
const INCREMENT_SHA = createHash('sha1').update(INCREMENT_SCRIPT).digest('hex');

/**
 * `ThrottlerStorage` of @nestjs/throttler v6 on Redis, so every instance shares one budget per
 * user and per IP. ttl and block duration arrive in milliseconds; the record answers in seconds
 * (as the in-memory storage does: the guard puts `timeToBlockExpire` in `Retry-After`).
 *
 * When Redis errors, times out or is unreachable (or failed a moment ago, see `RedisGuard`), that call is answered by an in-memory storage
 * of this instance instead (limits then hold per instance only), counted and logged by `reporter`:
 * Redis being down never refuses a heartbeat.
 */
export class RedisThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly fallback = new WindowThrottlerStorage();

  constructor(
    private readonly redis: Redis,
    private readonly reporter: FallbackReporter,
    private readonly guard = new RedisGuard(),
    private readonly prefix = THROTTLER_KEY_PREFIX,
  ) {}

  /** The Redis keys of one tracker key. The `{…}` hash tag keeps both in one Redis Cluster slot. */
  keysOf(key: string, throttlerName: string): [hits: string, block: string] {
    const base = `${this.prefix}${throttlerName}:{${key}}`;
    return [`${base}:hits`, `${base}:block`];
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    try {
      const [hits, block] = this.keysOf(key, throttlerName);
      const args = [hits, block, Math.max(1, Math.ceil(ttl)), limit, Math.max(0, Math.ceil(blockDuration))];
      const reply = await this.guard.run(() =>
        this.redis.evalsha(INCREMENT_SHA, 2, ...args).catch((err: unknown) => {
          // First call on this server (or after a restart / SCRIPT FLUSH): load the script.
          if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return this.redis.eval(INCREMENT_SCRIPT, 2, ...args);
          throw err;
        }),
      );
      const [totalHits, expireMs, blocked, blockMs] = reply as [number, number, number, number];
      this.reporter.succeeded();
      return {
        totalHits,
        timeToExpire: Math.ceil(expireMs / 1000),
        isBlocked: blocked === 1,
        timeToBlockExpire: Math.ceil(blockMs / 1000),
      };
    } catch (err) {
      this.reporter.fellBack(err);
      return this.fallback.increment(key, ttl, limit, blockDuration, throttlerName);
    }
  }

  onApplicationShutdown(): void {
    this.fallback.onApplicationShutdown();
  }
}
