import { Clock } from '../../src/common/clock.js';

/** A clock the test moves by hand. Starts at the real time so `occurredAt` checks still make sense. */
export class FakeClock extends Clock {
  private t = Date.now();
  override now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(ms: number): void {
    this.t = ms;
  }
}
