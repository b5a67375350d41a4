import type { ThrottlerStorage } from '@nestjs/throttler';

/** Not exported by the package's entry point. */
export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

interface Entry {
  /** Hits counted in the current window. */
  hits: number;
  /** When the current window ends (ms since the epoch). */
  windowEnd: number;
  /** When the block ends; 0 when not blocked. */
  blockEnd: number;
}

/** How often expired entries are dropped, at most. */
export const SWEEP_EVERY_MS = 60_000;

/**
 * In-memory `ThrottlerStorage` of @nestjs/throttler v6 with one fixed window and one block per
 * key: a counter and two timestamps, so a request costs the same whatever the limit (the
 * package's own storage keeps one expiry per hit and filters them on every request, which made one
 * hot key cost a fifth of the CPU).
 *
 * Same semantics as the Redis script of `RedisThrottlerStorage`, so a fallback from Redis to memory
 * changes where the count lives, not what it means: the (limit+1)-th hit of a window starts a
 * block of `blockDuration` ms; hits are not counted while blocked; when the block ends, counting
 * starts again from zero in a fresh window. With no block duration, hits beyond the limit are
 * refused until the window ends. ttl and block duration arrive in ms; the record answers in whole
 * seconds, rounded up (the guard puts `timeToBlockExpire` in `Retry-After`).
 *
 * Memory stays bounded by the keys active in the last window: at most once per `SWEEP_EVERY_MS`,
 * on a request (no timer, so an injected clock drives it), one pass drops the entries whose window
 * and block are both over.
 */
export class WindowThrottlerStorage implements ThrottlerStorage {
  private readonly entries = new Map<string, Entry>();
  private nextSweep: number;

  constructor(private readonly now: () => number = Date.now) {
    this.nextSweep = now() + SWEEP_EVERY_MS;
  }

  /** Keys held (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    return Promise.resolve(this.hit(`${throttlerName}\u0000${key}`, ttl, limit, blockDuration));
  }

  /** The synchronous core of `increment`. */
  hit(id: string, ttl: number, limit: number, blockDuration: number): ThrottlerStorageRecord {
    const now = this.now();
    if (now >= this.nextSweep) this.sweep(now);
    let e = this.entries.get(id);
    if (e !== undefined && e.blockEnd > now) {
      const left = e.blockEnd - now;
      return { totalHits: limit + 1, timeToExpire: seconds(left), isBlocked: true, timeToBlockExpire: seconds(left) };
    }
    if (e === undefined) {
      e = { hits: 0, windowEnd: now + ttl, blockEnd: 0 };
      this.entries.set(id, e);
    } else if (e.windowEnd <= now || e.blockEnd !== 0) {
      // A new window, or the first hit after a block ended.
      e.hits = 0;
      e.windowEnd = now + ttl;
      e.blockEnd = 0;
    }
    const hits = ++e.hits;
    const left = e.windowEnd - now;
    if (hits <= limit) return { totalHits: hits, timeToExpire: seconds(left), isBlocked: false, timeToBlockExpire: 0 };
    if (blockDuration > 0) {
      e.blockEnd = now + blockDuration;
      return { totalHits: hits, timeToExpire: seconds(blockDuration), isBlocked: true, timeToBlockExpire: seconds(blockDuration) };
    }
    return { totalHits: hits, timeToExpire: seconds(left), isBlocked: true, timeToBlockExpire: seconds(left) };
  }

  /** Drops every entry whose window and block are over. */
  sweep(now = this.now()): void {
    this.nextSweep = now + SWEEP_EVERY_MS;
    for (const [id, e] of this.entries) if (e.windowEnd <= now && e.blockEnd <= now) this.entries.delete(id);
  }

  onApplicationShutdown(): void {
    this.entries.clear();
  }
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
