import type { Logger } from '@nestjs/common';
import { REDIS_FALLBACK_LOG_INTERVAL_MS, type RedisComponent } from './redis.constants.js';

/** Where fallbacks are counted: `MetricsService.redisFallback`, or anything with that shape. */
export interface FallbackCounter {
  redisFallback(component: RedisComponent, n?: number): void;
}

/**
 * Says so when a component works without Redis: every fallback is counted (Prometheus
 * `playtime_redis_fallbacks_total{component}`), and a warning is logged at most once per
 * interval, with how many fallbacks it stands for, so an outage cannot flood the logs.
 * When Redis answers again after an outage, one line says so.
 */
export class FallbackReporter {
  private lastWarnAt = -Infinity;
  private unreported = 0;
  private outageFallbacks = 0;

  constructor(
    private readonly component: RedisComponent,
    private readonly consequence: string,
    private readonly logger: Pick<Logger, 'warn' | 'log'>,
    private readonly counter: FallbackCounter | null,
    private readonly intervalMs = REDIS_FALLBACK_LOG_INTERVAL_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** One operation done without Redis because of `err`. */
  fellBack(err: unknown): void {
    this.counter?.redisFallback(this.component);
    this.outageFallbacks += 1;
    this.unreported += 1;
    const t = this.now();
    if (t - this.lastWarnAt < this.intervalMs) return;
    this.logger.warn(
      `Redis unavailable for the ${this.component} (${describe(err)}): ${this.consequence}; ` +
        `${this.unreported} fallback(s) since the last warning`,
    );
    this.lastWarnAt = t;
    this.unreported = 0;
  }

  /** An operation went through Redis again. */
  succeeded(): void {
    if (this.outageFallbacks === 0) return;
    this.logger.log(`Redis answers again: the ${this.component} uses it again (${this.outageFallbacks} fallback(s) during the outage)`);
    this.outageFallbacks = 0;
    this.unreported = 0;
    // The next outage is reported at once.
    this.lastWarnAt = -Infinity;
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
