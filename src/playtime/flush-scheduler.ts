import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../common/clock.js';
import { RetryLaterException } from '../common/errors.js';
import { FlushWriter, type BatchWriter, type FlushCounters, type FlushLogger, type FlushObserver, type RejectSink } from './flush-writer.js';
import type { Heartbeat } from './heartbeat.js';
import type { PendingItem } from './pending-item.js';
import { coalesce, type PendingStore } from './pending-store.js';

/** Pause between shutdown flush attempts while the database fails. */
const DRAIN_RETRY_MS = 500;

export interface FlushOptions {
  batchSize: number;
  /** 0: write-through, each request is written before it is answered. */
  flushIntervalMs: number;
  shutdownTimeoutMs: number;
}

/** Emitted after every flush (`'flushEnd'`): how many items it took and how many it put back. */
export interface FlushEnd {
  items: number;
  putBack: number;
}

/**
 * Decides when pending items are written, and what happens when writing fails:
 *
 * - `tick()` (the interval) and a full batch start the instance's flush loop, never two at once;
 *   a read's `flushUser` runs beside it on that user's keys only (a key is in one flight at most).
 * - A failed flush puts its items back and backs off (1 s doubling to 30 s); meanwhile a full
 *   batch waits for the interval instead of hammering a failing database. Quick retries and the
 *   bisection of refused batches happen inside one flush (`FlushWriter`).
 * - Write-through (`flushIntervalMs` 0): each request is written before its answer; on failure
 *   it is queued like any failed flush.
 * - `drain()`: flush everything until the shutdown deadline, even while a flush hangs.
 *
 * All waiting goes through the injected clock.
 */
export class FlushScheduler extends EventEmitter<{ flushEnd: [FlushEnd] }> {
  /** The instance's flush loop (tick, full batch, `flush()`); per-user flushes run beside it. */
  private flushing: Promise<void> | null = null;
  /** Flush transactions under way, the instance's and per-user ones. */
  private running = 0;
  private draining = false;
  private readonly writer: FlushWriter;

  constructor(
    private readonly store: PendingStore,
    batches: BatchWriter,
    rejects: RejectSink,
    private readonly clock: Clock,
    private readonly options: FlushOptions,
    observer: FlushObserver,
    logger: FlushLogger,
  ) {
    super();
    this.writer = new FlushWriter(batches, rejects, clock, observer, logger, options.flushIntervalMs === 0, () => store.size);
  }

  get counters(): FlushCounters {
    return this.writer.counters;
  }

  get writeThrough(): boolean {
    return this.options.flushIntervalMs === 0;
  }

  /** Shutdown began: no new writes, the interval stops flushing, the drain flushes everything. */
  get isDraining(): boolean {
    return this.draining;
  }

  get flushInProgress(): boolean {
    return this.running > 0;
  }

  get backingOff(): boolean {
    return this.writer.backingOff;
  }

  /** Seconds until a flush is likely to have made room: the interval, or the back-off left. */
  retryAfterSeconds(): number {
    const wait = Math.max(this.options.flushIntervalMs, this.writer.backOffLeft);
    return Math.max(1, Math.ceil(wait / 1000));
  }

  /** After an accept: a full batch flushes now, unless failed flushes asked to back off. */
  accepted(): void {
    if (this.store.pendingSize >= this.options.batchSize && !this.backingOff) void this.requestFlush();
  }

  /** The interval: flush what is pending, unless backing off. */
  async tick(): Promise<void> {
    if (this.draining || this.store.pendingSize === 0 || this.backingOff) return;
    await this.requestFlush();
  }

  /** Flushes everything pending now; rejects if the database keeps failing. */
  async flush(): Promise<void> {
    for (;;) {
      // Wait for a flush under way, then drain what is left (it may have been put back).
      if (this.flushing) {
        await this.flushing;
        continue;
      }
      if (this.store.size === 0) return;
      if (!this.store.hasWaiting) {
        // Only items in per-user flushes are left: wait for them.
        await Promise.race(this.store.flights());
        continue;
      }
      this.writer.clearBackOff();
      await this.requestFlush();
      if (this.writer.failing) throw new Error('flush failed; pending items were kept');
    }
  }

  /**
   * Stores what was accepted for one user before the call: that user's pending items in a flush
   * of their own, after waiting for a flush under way that holds some of them. 503 if the database
   * refuses to store them.
   */
  async flushUser(userId: string): Promise<void> {
    const todo = this.store.keysOf(userId);
    while (todo.size > 0) {
      const { batch, waitFor } = this.store.userWork(todo, this.options.batchSize);
      if (batch.length > 0) {
        if (!(await this.runFlush(batch))) {
          throw new RetryLaterException('Your latest heartbeats cannot be stored right now; retry shortly.', this.retryAfterSeconds());
        }
        for (const item of batch) todo.delete(item.key);
      } else if (waitFor.length > 0) {
        // Stored when that flight ends, or put back by its failure (then flushed here next round).
        await Promise.race(waitFor);
      }
    }
  }

  /** Write-through: one flush per request before answering; what fails is queued. */
  async writeNow(userId: string, heartbeats: Heartbeat[], receivedAt: number): Promise<void> {
    this.running += 1;
    try {
      for (const item of await this.writer.write(coalesce(userId, heartbeats, receivedAt))) this.store.putBack(item);
    } finally {
      this.running -= 1;
    }
  }

  /**
   * The shutdown flush: everything, retried every `DRAIN_RETRY_MS`, until the deadline. The
   * deadline ends the wait even while an awaited flush hangs (a stalled connection, a lock).
   * True when nothing is left.
   */
  async drain(): Promise<boolean> {
    this.draining = true;
    const limit = this.options.shutdownTimeoutMs;
    const deadline = this.clock.monotonic() + limit;
    let timer: TimerHandle | undefined;
    const expired = new Promise<'expired'>((r) => (timer = this.clock.setTimeout(() => r('expired'), limit)));
    try {
      for (;;) {
        const outcome = await Promise.race([this.flush().then(() => 'done' as const, () => 'failed' as const), expired]);
        if (outcome === 'done') return true;
        if (outcome === 'expired' || this.clock.monotonic() >= deadline) return false;
        await Promise.race([this.clock.sleep(DRAIN_RETRY_MS), expired]);
      }
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  /** Starts the instance's flush loop unless it runs already; resolves when it ends. */
  private requestFlush(): Promise<void> {
    this.flushing ??= this.flushLoop().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async flushLoop(): Promise<void> {
    for (;;) {
      const batch = this.store.nextBatch(this.options.batchSize);
      if (batch.length === 0) return;
      if (!(await this.runFlush(batch))) return;
      // Keep going only while a full batch waits; the interval takes care of the rest.
      if (this.store.pendingSize < this.options.batchSize && !this.draining) return;
    }
  }

  /** One flush of `batch` (pending items no flight holds); false if some were put back. */
  private async runFlush(batch: PendingItem[]): Promise<boolean> {
    const flight = this.store.begin(batch);
    this.running += 1;
    let unstored: PendingItem[] = batch;
    try {
      unstored = await this.writer.write(batch);
    } finally {
      this.running -= 1;
      this.store.finish(flight, unstored);
      this.emit('flushEnd', { items: batch.length, putBack: unstored.length });
    }
    return unstored.length === 0;
  }
}
