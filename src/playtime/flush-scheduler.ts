import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../common/clock.js';
import { RetryLaterException } from '../common/errors.js';
import { dbErrorCode, describeDbError, isDataError, isRetryableDbError } from '../database/db-errors.js';
import type { Heartbeat } from './heartbeat.js';
import type { PendingItem } from './pending-item.js';
import { keyHash } from './ingest-rejects.repository.js';
import { coalesce, type PendingStore } from './pending-store.js';

/** Quick retries inside one flush, for deadlocks and serialization failures. */
const QUICK_RETRIES = 3;
/** Pause between shutdown flush attempts while the database fails. */
const DRAIN_RETRY_MS = 500;

/** Writes one batch in one transaction (`PlaytimeRepository.applyBatch`). */
export interface BatchWriter {
  applyBatch(batch: PendingItem[]): Promise<{ statements: number; rowsWritten: number }>;
}

/** Keeps an item the database refused for its data (`ingest_rejects`). */
export interface RejectSink {
  setAside(item: PendingItem, code: string, message: string): Promise<void>;
}

/** Where flush outcomes are counted (Prometheus). */
export interface FlushObserver {
  flushed(ms: number, rows: number, statements: number): void;
  flushFailed(): void;
  itemSetAside(code: string): void;
}

export interface FlushLogger {
  log(message: unknown): void;
  debug(message: unknown): void;
  warn(message: unknown): void;
  error(message: unknown): void;
}

export interface FlushOptions {
  batchSize: number;
  /** 0: write-through, each request is written before it is answered. */
  flushIntervalMs: number;
  shutdownTimeoutMs: number;
}

export interface FlushCounters {
  flushes: number;
  statements: number;
  rowsWritten: number;
  lastFlushMs: number;
  flushFailures: number;
  itemsSetAside: number;
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
 * - A failed flush puts its items back and backs off (500 ms doubling to 30 s); meanwhile a full
 *   batch waits for the interval instead of hammering a failing database. Deadlocks and
 *   serialization failures get quick retries inside the flush.
 * - A batch refused for its data (SQLSTATE 22/23) is bisected down to the refused items, which are
 *   set aside; the rest is stored.
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
  /** Back-off after failed flushes, on the monotonic clock. */
  private retryNotBefore = 0;
  private consecutiveFailures = 0;
  private draining = false;
  readonly counters: FlushCounters = { flushes: 0, statements: 0, rowsWritten: 0, lastFlushMs: 0, flushFailures: 0, itemsSetAside: 0 };

  constructor(
    private readonly store: PendingStore,
    private readonly writer: BatchWriter,
    private readonly rejects: RejectSink,
    private readonly clock: Clock,
    private readonly options: FlushOptions,
    private readonly observer: FlushObserver,
    private readonly logger: FlushLogger,
  ) {
    super();
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
    return this.clock.monotonic() < this.retryNotBefore;
  }

  /** Seconds until a flush is likely to have made room: the interval, or the back-off left. */
  retryAfterSeconds(): number {
    const wait = Math.max(this.options.flushIntervalMs, this.retryNotBefore - this.clock.monotonic());
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
      this.retryNotBefore = 0;
      await this.requestFlush();
      if (this.consecutiveFailures > 0) throw new Error('flush failed; pending items were kept');
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
  async writeNow(userId: string, heartbeats: Heartbeat[], receivedAt: number, finishedPercent: number): Promise<void> {
    this.running += 1;
    try {
      for (const item of await this.write(coalesce(userId, heartbeats, receivedAt, finishedPercent))) this.store.putBack(item);
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
      unstored = await this.write(batch);
    } finally {
      this.running -= 1;
      this.store.finish(flight, unstored);
      this.emit('flushEnd', { items: batch.length, putBack: unstored.length });
    }
    return unstored.length === 0;
  }

  /**
   * Writes `batch`; returns what could not be stored (none on success). A batch refused for its
   * data is bisected: each half on its own, down to single items, which are set aside. Each part
   * is a transaction of its own and flushes are idempotent, so parts that commit count once.
   */
  private async write(batch: PendingItem[]): Promise<PendingItem[]> {
    let err: unknown;
    try {
      await this.applyWithRetries(batch);
      return [];
    } catch (e) {
      err = e;
    }
    if (!isDataError(err)) {
      this.failed(batch, err);
      return batch;
    }
    if (batch.length === 1) return (await this.setAside(batch[0], err)) ? [] : batch;
    const mid = Math.ceil(batch.length / 2);
    const left = await this.write(batch.slice(0, mid));
    // The database went away while bisecting: keep the rest for the next flush.
    if (left.length > 0) return [...left, ...batch.slice(mid)];
    return this.write(batch.slice(mid));
  }

  /** One transaction, with quick retries on deadlocks and serialization failures. */
  private async applyWithRetries(batch: PendingItem[]): Promise<void> {
    const started = this.clock.monotonic();
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.writer.applyBatch(batch);
        const c = this.counters;
        c.flushes += 1;
        c.statements += result.statements;
        c.rowsWritten += result.rowsWritten;
        c.lastFlushMs = Math.round(this.clock.monotonic() - started);
        this.consecutiveFailures = 0;
        this.retryNotBefore = 0;
        this.observer.flushed(c.lastFlushMs, result.rowsWritten, result.statements);
        const line = { msg: 'flush', items: batch.length, rows: result.rowsWritten, statements: result.statements, ms: c.lastFlushMs, attempts: attempt };
        if (this.writeThrough) this.logger.debug(line);
        else this.logger.log(line);
        return;
      } catch (err) {
        this.counters.flushFailures += 1;
        this.observer.flushFailed();
        if (attempt < QUICK_RETRIES && isRetryableDbError(err)) {
          await this.clock.sleep(20 * attempt + Math.random() * 50);
          continue;
        }
        throw err;
      }
    }
  }

  /** A flush failed for another reason than its data: back off, the items wait. */
  private failed(batch: PendingItem[], err: unknown): void {
    this.consecutiveFailures += 1;
    const backoff = Math.min(30_000, 500 * 2 ** Math.min(this.consecutiveFailures, 6));
    this.retryNotBefore = this.clock.monotonic() + backoff;
    this.logger.warn(
      `flush of ${batch.length} items failed (${describeDbError(err)}); kept ${this.store.size} pending items, retrying in ${backoff} ms`,
    );
  }

  /**
   * Puts one refused item into `ingest_rejects`; false if that insert failed for another reason
   * than its data (the item then waits for the next flush, like any failed flush).
   */
  private async setAside(item: PendingItem, cause: unknown): Promise<boolean> {
    const code = dbErrorCode(cause) ?? 'unknown';
    const hash = keyHash(item.key);
    try {
      await this.rejects.setAside(item, code, String((cause as Error)?.message ?? cause).slice(0, 1000));
    } catch (err) {
      if (!isDataError(err)) {
        this.failed([item], err);
        return false;
      }
      // The set-aside row holds only text stripped of NUL; should even that be refused, keeping
      // the item would block every later flush for good. It is dropped, loudly.
      this.logger.error({ msg: 'ingest item dropped: the database refused it and its set-aside row', keyHash: hash, code, setAsideError: dbErrorCode(err) });
      return true;
    }
    this.counters.itemsSetAside += 1;
    this.observer.itemSetAside(code);
    // The key holds the user id: the log names the item by its hash, stored with the row.
    this.logger.error({ msg: 'ingest item set aside: the database refused its data', keyHash: hash, code, sessions: item.sessions.size });
    return true;
  }
}
