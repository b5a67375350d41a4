import type { Clock } from '../common/clock.js';
import { dbErrorCode, describeDbError, isDataError, isRetryableDbError } from '../database/db-errors.js';
import { itemKeyHash } from '../watch/item-key.js';
import type { PendingItem } from './pending-item.js';

/** Quick retries inside one flush, for deadlocks and serialization failures. */
const QUICK_RETRIES = 3;

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

export interface FlushCounters {
  flushes: number;
  statements: number;
  rowsWritten: number;
  lastFlushMs: number;
  flushFailures: number;
  itemsSetAside: number;
}

/**
 * One flush's writing: the transaction with its quick retries, the bisection of a batch the
 * database refuses for its data, and the back-off that failed flushes ask for. Says what could
 * not be stored; what happens to it is the scheduler's business.
 */
export class FlushWriter {
  readonly counters: FlushCounters = { flushes: 0, statements: 0, rowsWritten: 0, lastFlushMs: 0, flushFailures: 0, itemsSetAside: 0 };
  /** Back-off after failed flushes, on the monotonic clock. */
  private retryNotBefore = 0;
  private consecutiveFailures = 0;

  constructor(
    private readonly writer: BatchWriter,
    private readonly rejects: RejectSink,
    private readonly clock: Clock,
    private readonly observer: FlushObserver,
    private readonly logger: FlushLogger,
    /** Flush lines at debug level (write-through: one flush per request). */
    private readonly quiet: boolean,
    /** Items held, for the failure's log line. */
    private readonly held: () => number,
  ) {}

  get backingOff(): boolean {
    return this.clock.monotonic() < this.retryNotBefore;
  }

  /** Milliseconds of back-off left (0 when none). */
  get backOffLeft(): number {
    return Math.max(0, this.retryNotBefore - this.clock.monotonic());
  }

  /** The last flush failed (for a reason other than its data). */
  get failing(): boolean {
    return this.consecutiveFailures > 0;
  }

  /** An explicit flush tries now, whatever the back-off. */
  clearBackOff(): void {
    this.retryNotBefore = 0;
  }

  /**
   * Writes `batch`; returns what could not be stored (none on success). A batch refused for its
   * data is bisected: each half on its own, down to single items, which are set aside. Each part
   * is a transaction of its own and flushes are idempotent, so parts that commit count once.
   */
  async write(batch: PendingItem[]): Promise<PendingItem[]> {
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
        if (this.quiet) this.logger.debug(line);
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
    this.logger.warn(`flush of ${batch.length} items failed (${describeDbError(err)}); kept ${this.held()} pending items, retrying in ${backoff} ms`);
  }

  /**
   * Puts one refused item into `ingest_rejects`; false if that insert failed for another reason
   * than its data (the item then waits for the next flush, like any failed flush).
   */
  private async setAside(item: PendingItem, cause: unknown): Promise<boolean> {
    const code = dbErrorCode(cause) ?? 'unknown';
    const hash = itemKeyHash(item.key);
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
