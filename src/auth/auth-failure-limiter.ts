const WINDOW_MS = 60_000;
/** Tracked IPs at most; past that, the least recently failing go first (memory stays bounded). */
const MAX_TRACKED = 100_000;

interface Window {
  start: number;
  failures: number;
}

/**
 * Failed authentications per client IP in fixed one-minute windows: O(1) per request. Per
 * instance (in memory): with N instances an IP gets up to N times the limit, which is still a
 * bound on the work a client sending bad tokens can cause.
 */
export class AuthFailureLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly limit: number) {}

  /** Seconds until `ip` may try again, or 0 when it is not blocked. */
  retryAfterSeconds(ip: string, now: number): number {
    const w = this.windows.get(ip);
    if (!w || now - w.start >= WINDOW_MS || w.failures < this.limit) return 0;
    return Math.max(1, Math.ceil((w.start + WINDOW_MS - now) / 1000));
  }

  recordFailure(ip: string, now: number): void {
    let w = this.windows.get(ip);
    if (w) this.windows.delete(ip);
    if (!w || now - w.start >= WINDOW_MS) w = { start: now, failures: 0 };
    w.failures++;
    this.windows.set(ip, w);
    if (this.windows.size > MAX_TRACKED) this.windows.delete(this.windows.keys().next().value!);
  }
}
