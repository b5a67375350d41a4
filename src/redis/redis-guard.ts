import { REDIS_COMMAND_TIMEOUT_MS, REDIS_RETRY_AFTER_FAILURE_MS } from './redis.constants.js';

/** An operation not even tried: Redis failed moments ago (see `RedisGuard`). */
export class RedisSkippedError extends Error {
  override readonly name = 'RedisSkippedError';
}

/** An operation that got no answer in time. */
export class RedisTimeoutError extends Error {
  override readonly name = 'RedisTimeoutError';
}

/**
 * Bounds what Redis can cost a request: each operation gets `timeoutMs` to answer, and after a
 * failure (error or timeout) operations are not even sent for `retryAfterMs`, so while Redis is
 * down or hung at most one request per interval waits for it; the others fall back at once. The
 * first operation after the interval is the probe: if it answers, Redis is used again.
 *
 * Needed on top of the clients' own settings: node-redis's command timeout only covers the time a
 * command waits to be written, not the wait for the reply, so a hung Redis (SIGSTOP, a network
 * partition without a reset) would otherwise hold catalogue reads forever.
 */
export class RedisGuard {
  private skipUntil = -Infinity;

  constructor(
    private readonly timeoutMs = REDIS_COMMAND_TIMEOUT_MS,
    private readonly retryAfterMs = REDIS_RETRY_AFTER_FAILURE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.now() < this.skipUntil) throw new RedisSkippedError('not tried: Redis failed less than a moment ago');
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        operation(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new RedisTimeoutError(`no answer from Redis within ${this.timeoutMs} ms`)), this.timeoutMs);
        }),
      ]);
    } catch (err) {
      this.skipUntil = this.now() + this.retryAfterMs;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}
