import { Clock, type TimerHandle } from '../../src/common/clock.js';

interface FakeTimer {
  due: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock the test moves by hand. Starts at the real time so `occurredAt` checks still make sense.
 *
 * Timers and the monotonic clock are real until `manualTimers()` is called (most e2e tests flush
 * explicitly and only need `now()` under control). From then on, `advance()` moves both clocks
 * and runs every timer that falls due, in due order, so a test decides when a back-off, a quick
 * retry or a shutdown deadline expires.
 */
export class FakeClock extends Clock {
  private t = Date.now();
  private mono = 0;
  private manual = false;
  private seq = 0;
  private timers = new Set<FakeTimer>();

  override now(): number {
    return this.t;
  }

  override monotonic(): number {
    return this.manual ? this.mono : super.monotonic();
  }

  override setTimeout(fn: () => void, ms: number): TimerHandle {
    if (!this.manual) return super.setTimeout(fn, ms);
    const timer: FakeTimer = { due: this.mono + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.add(timer);
    return timer as unknown as TimerHandle;
  }

  override clearTimeout(handle: TimerHandle | undefined): void {
    if (this.timers.delete(handle as unknown as FakeTimer)) return;
    super.clearTimeout(handle);
  }

  /** From now on timers fire only when `advance()` reaches them. */
  manualTimers(): this {
    // Deadlines already set on the real monotonic clock keep their meaning. Whole milliseconds:
    // with a fractional start, (m + 1000) − m can come out as 1000.0000000001.
    if (!this.manual) this.mono = Math.ceil(super.monotonic());
    this.manual = true;
    return this;
  }

  /** Timers waiting to fire (manual mode). */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward at once, running the timers due on the way in due order. */
  advance(ms: number): void {
    const end = this.mono + ms;
    for (let next = this.nextDue(end); next; next = this.nextDue(end)) this.fire(next);
    this.t += end - this.mono;
    this.mono = end;
  }

  /**
   * Moves time forward like `advance()`, but lets the promise callbacks each timer starts run
   * before the next timer fires (a back-off that schedules a retry, a retry that fails again).
   */
  async elapse(ms: number): Promise<void> {
    const end = this.mono + ms;
    await settle();
    for (let next = this.nextDue(end); next; next = this.nextDue(end)) {
      this.fire(next);
      await settle();
    }
    this.t += end - this.mono;
    this.mono = end;
    await settle();
  }

  private nextDue(end: number): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const x of this.timers) if (x.due <= end && (!best || x.due < best.due || (x.due === best.due && x.seq < best.seq))) best = x;
    return best;
  }

  private fire(timer: FakeTimer): void {
    this.timers.delete(timer);
    this.t += timer.due - this.mono;
    this.mono = timer.due;
    timer.fn();
  }

  set(ms: number): void {
    this.t = ms;
  }
}

/** Lets pending promise callbacks run (a macrotask turn), without moving any clock. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
