import { Injectable } from '@nestjs/common';

/** An opaque handle of a timer set through a `Clock`. */
export type TimerHandle = { readonly __timer: unique symbol } | NodeJS.Timeout;

/**
 * Time and timers, injected so tests move time instead of sleeping. `now()` is wall-clock time
 * (receipt and event times); `monotonic()` measures durations, back-off and deadlines, so setting
 * the system clock never shortens or stretches a wait.
 */
@Injectable()
export class Clock {
  now(): number {
    return Date.now();
  }

  monotonic(): number {
    return performance.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return setTimeout(fn, ms);
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle !== undefined) clearTimeout(handle as NodeJS.Timeout);
  }

  /** Resolves after `ms` on this clock. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }
}
