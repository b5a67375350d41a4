/*
 * Past ~300 lines, knowingly: the coalescing queue, the per-user and instance flushes, the
 * bisection of refused batches, back-off, write-through and the shutdown drain all touch the same
 * pending/in-flight maps. Splitting it into a pure pending store and a flush scheduler with
 * injected timers is planned work of its own (one watch model, a narrow ingest interface).
 */
import {
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Clock } from '../common/clock.js';
import { RetryLaterException } from '../common/errors.js';
import type { Heartbeat } from './heartbeat.js';
import { itemKeyHash, itemKeyString, type ItemKey } from '../watch/item-key.js';
import { addHeartbeat, clonePendingItem, mergeInto, newPendingItem, type PendingItem } from './pending-item.js';
import { PlaytimeRepository } from './playtime.repository.js';
import { dbErrorCode, describeDbError, isDataError, isRetryableDbError } from '../database/db-errors.js';
import { IngestRejectsRepository } from './ingest-rejects.repository.js';
import { MetricsService } from '../metrics/metrics.service.js';

const FLUSH_INTERVAL_NAME = 'playtime-flush';
/** Quick retries inside one flush, for deadlocks and serialization failures. */
const QUICK_RETRIES = 3;

export interface IngestCounters {
  heartbeatsAccepted: number;
  pendingItems: number;
  flushes: number;
  statements: number;
  rowsWritten: number;
  lastFlushMs: number;
  flushFailures: number;
  itemsSetAside: number;
}

/** Which pending data a history delete drops: one item, one whole show, or everything of a user. */
export type DropScope =
  | { userId: string }
  | { userId: string; mediaType: 'movie' | 'tv'; mediaId: number; seasonNumber?: number | null; episodeNumber?: number | null };

/**
 * Coalesces heartbeats per history item in memory and writes them in batches.
 *
 * - A batch never holds a key twice; each flush is one transaction with a fixed number of
 *   statements (see `PlaytimeRepository.applyBatch`), whatever its size.
 * - Flushes run every `PLAYTIME_FLUSH_INTERVAL_MS`, or as soon as `PLAYTIME_BATCH_SIZE` keys are
 *   pending, never two at once. A failed flush puts its items back and is retried; flushes are
 *   idempotent, so a retry after an unknown outcome cannot double-count.
 * - `PLAYTIME_FLUSH_INTERVAL_MS=0` writes each request through before answering.
 * - A read or delete flushes only its user's items (`flushUser`), beside the instance's own flush:
 *   a key is in at most one flush at a time, so the two never write the same item at once.
 * - A batch the database refuses for its data (SQLSTATE 22/23) is split in halves until the bad
 *   items are found; they are set aside in `ingest_rejects`, the rest is stored.
 * - Each user may hold `PLAYTIME_MAX_PENDING_SESSIONS_PER_USER` pending sessions; past that, that
 *   user's new sessions get 429, so no single client can fill memory during a database outage.
 * - On shutdown: refuse new writes, then flush everything until `SHUTDOWN_FLUSH_TIMEOUT_MS`, even
 *   if a flush hangs.
 */
/** An item inside a flush, and the end of that flush (it never rejects). */
interface InflightEntry {
  item: PendingItem;
  done: Promise<void>;
}

@Injectable()
export class PlaytimeBatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(PlaytimeBatcher.name);
  private pending = new Map<string, PendingItem>();
  /** Items taken by a flush under way, still visible to reads until it commits. */
  private inflight = new Map<string, InflightEntry>();
  /** Keys pending or in flight, per user, so a user's reads can include them cheaply. */
  private byUser = new Map<string, Set<string>>();
  /** The instance's flush loop (timer, full batch, `flush()`); per-user flushes run beside it. */
  private flushing: Promise<void> | null = null;
  /** Every flush transaction under way, the instance's and per-user ones. */
  private running = 0;
  private draining = false;
  /** Back-off after failed flushes, on the monotonic clock (operational timing, not event time). */
  private retryNotBefore = 0;
  private consecutiveFailures = 0;
  private readonly counters = {
    heartbeatsAccepted: 0,
    flushes: 0,
    statements: 0,
    rowsWritten: 0,
    lastFlushMs: 0,
    flushFailures: 0,
    itemsSetAside: 0,
  };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: PlaytimeRepository,
    private readonly rejects: IngestRejectsRepository,
    private readonly clock: Clock,
    private readonly scheduler: SchedulerRegistry,
    private readonly metrics: MetricsService,
  ) {
    metrics.trackPending(() => this.pendingCount);
  }

  get writeThrough(): boolean {
    return this.config.PLAYTIME_FLUSH_INTERVAL_MS === 0;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  get pendingCount(): number {
    return this.pending.size + this.inflight.size;
  }

  /** A flush transaction is under way (the instance's or a user's). */
  get flushInProgress(): boolean {
    return this.running > 0;
  }

  /** Failed flushes asked to wait before the next try. */
  get backingOff(): boolean {
    return performance.now() < this.retryNotBefore;
  }

  onApplicationBootstrap(): void {
    // Write-through mode still needs the timer: writes that failed are queued and retried.
    const every = this.config.PLAYTIME_FLUSH_INTERVAL_MS || 1000;
    this.scheduler.addInterval(FLUSH_INTERVAL_NAME, setInterval(() => void this.tick(), every));
  }

  /**
   * Accepts heartbeats of one user (one request). Throws 503 while draining or when more than
   * `PLAYTIME_MAX_PENDING` items wait, 429 when the request would take the user past
   * `PLAYTIME_MAX_PENDING_SESSIONS_PER_USER`; nothing of a refused request is kept.
   */
  async accept(userId: string, heartbeats: Heartbeat[]): Promise<void> {
    if (this.draining) {
      throw new RetryLaterException('The service is shutting down; retry on another instance.', 1);
    }
    if (this.pendingCount >= this.config.PLAYTIME_MAX_PENDING) {
      throw new RetryLaterException('Too many heartbeats are waiting to be stored; retry later.', this.retryAfterSeconds());
    }
    if (!this.writeThrough) this.checkUserSessions(userId, heartbeats);
    const receivedAt = this.clock.now();
    const finished = this.config.FINISHED_PERCENT;
    this.counters.heartbeatsAccepted += heartbeats.length;
    this.metrics.heartbeatsAccepted(heartbeats.length);
    if (this.writeThrough) {
      await this.writeNow(userId, heartbeats, receivedAt);
      return;
    }
    for (const hb of heartbeats) {
      const key = itemKeyString({ userId, ...hb });
      const item = this.pending.get(key);
      if (item) addHeartbeat(item, hb, receivedAt, finished);
      else this.addPending(newPendingItem(userId, hb, receivedAt, finished));
    }
    // While backing off, a full batch waits for the timer: starting a flush per request would
    // hammer a database that is failing.
    if (this.pending.size >= this.config.PLAYTIME_BATCH_SIZE && !this.backingOff) void this.requestFlush();
  }

  /**
   * Refuses (429) a request that would take its user past the pending-session bound. Heartbeats
   * of sessions already pending always pass: they grow no memory, and a user who keeps playing
   * must not be cut off by their own earlier sessions.
   */
  private checkUserSessions(userId: string, heartbeats: Heartbeat[]): void {
    const limit = this.config.PLAYTIME_MAX_PENDING_SESSIONS_PER_USER;
    const fresh = new Set<string>();
    for (const hb of heartbeats) {
      const key = itemKeyString({ userId, ...hb });
      if (this.pending.get(key)?.sessions.has(hb.sessionId) || this.inflight.get(key)?.item.sessions.has(hb.sessionId)) continue;
      fresh.add(`${key}\u0000${hb.sessionId}`);
    }
    if (fresh.size === 0) return;
    if (this.pendingSessionsOf(userId) + fresh.size > limit) {
      throw new RetryLaterException(
        `Too many of your playback sessions are waiting to be stored (at most ${limit}); retry later.`,
        this.retryAfterSeconds(),
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
  }

  /** Sessions of one user held in memory (pending or in flight). */
  private pendingSessionsOf(userId: string): number {
    let n = 0;
    for (const k of this.byUser.get(userId) ?? []) {
      n += (this.pending.get(k)?.sessions.size ?? 0) + (this.inflight.get(k)?.item.sessions.size ?? 0);
    }
    return n;
  }

  /** Seconds until a flush is likely to have made room: the interval, or the back-off left. */
  private retryAfterSeconds(): number {
    const wait = Math.max(this.config.PLAYTIME_FLUSH_INTERVAL_MS, this.retryNotBefore - performance.now());
    return Math.max(1, Math.ceil(wait / 1000));
  }

  /** What is accepted but not yet committed for one item (pending and in flight), or null. */
  unflushed(key: ItemKey): PendingItem | null {
    return this.unflushedByKey(itemKeyString(key));
  }

  /** Receipt time of the oldest heartbeat accepted but not yet committed, or null when none. */
  oldestUnflushedReceipt(): number | null {
    let oldest: number | null = null;
    const consider = (item: PendingItem) => {
      if (oldest === null || item.firstReceivedAt < oldest) oldest = item.firstReceivedAt;
    };
    for (const item of this.pending.values()) consider(item);
    for (const { item } of this.inflight.values()) consider(item);
    return oldest;
  }

  /** Everything of one user accepted but not yet committed, one entry per item. */
  unflushedForUser(userId: string): PendingItem[] {
    const keys = this.byUser.get(userId);
    if (!keys) return [];
    const out: PendingItem[] = [];
    for (const k of keys) {
      const item = this.unflushedByKey(k);
      if (item) out.push(item);
    }
    return out;
  }

  private unflushedByKey(k: string): PendingItem | null {
    const a = this.inflight.get(k)?.item;
    const b = this.pending.get(k);
    if (!a && !b) return null;
    const merged = clonePendingItem((a ?? b)!);
    if (a && b) mergeInto(merged, b);
    return merged;
  }

  /**
   * Drops pending data of an item, a show (no season/episode) or a user, for history deletes.
   * Items already in a flush are not touched here: the delete's lock and tombstone handle them.
   */
  drop(scope: DropScope): number {
    let dropped = 0;
    for (const [key, item] of this.pending) {
      if (item.userId !== scope.userId) continue;
      if ('mediaType' in scope) {
        if (item.mediaType !== scope.mediaType || item.mediaId !== scope.mediaId) continue;
        if (scope.seasonNumber != null && (item.seasonNumber !== scope.seasonNumber || item.episodeNumber !== scope.episodeNumber)) continue;
      }
      this.pending.delete(key);
      if (!this.inflight.has(key)) this.forget(item);
      dropped += 1;
    }
    return dropped;
  }

  counts(): IngestCounters {
    return { ...this.counters, pendingItems: this.pendingCount };
  }

  /**
   * Stores what this instance accepted for one user before the call: flushes that user's pending
   * items in a transaction of their own, and waits for a flush under way that holds some of them.
   * Other users' items stay pending. Throws 503 if the database refuses to store them.
   */
  async flushUser(userId: string): Promise<void> {
    const todo = new Set(this.byUser.get(userId));
    while (todo.size > 0) {
      const holding = new Set<Promise<void>>();
      const batch: PendingItem[] = [];
      for (const k of todo) {
        const entry = this.inflight.get(k);
        const item = this.pending.get(k);
        if (entry) holding.add(entry.done);
        else if (!item) todo.delete(k);
        else if (batch.length < this.config.PLAYTIME_BATCH_SIZE) batch.push(item);
      }
      if (batch.length > 0) {
        if (!(await this.runFlush(batch))) {
          throw new RetryLaterException('Your latest heartbeats cannot be stored right now; retry shortly.', this.retryAfterSeconds());
        }
        for (const item of batch) todo.delete(item.key);
      } else if (holding.size > 0) {
        // Items accepted before the call that are in another flush: stored when it ends, or put
        // back pending by its failure (then flushed here on the next round).
        await Promise.race(holding);
      }
    }
  }

  /** Flushes everything pending now; rejects if the database keeps failing. */
  async flush(): Promise<void> {
    for (;;) {
      // Wait for a flush under way, then drain what is left (it may have been put back).
      if (this.flushing) {
        await this.flushing;
        continue;
      }
      if (this.pending.size === 0 && this.inflight.size === 0) return;
      const waitable = [...this.pending.keys()].some((k) => !this.inflight.has(k));
      if (!waitable) {
        // Only items in per-user flushes are left: wait for them.
        await Promise.race(new Set([...this.inflight.values()].map((e) => e.done)));
        continue;
      }
      this.retryNotBefore = 0;
      await this.requestFlush();
      if (this.consecutiveFailures > 0) throw new Error('flush failed; pending items were kept');
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.draining = true;
    if (this.scheduler.doesExist('interval', FLUSH_INTERVAL_NAME)) this.scheduler.deleteInterval(FLUSH_INTERVAL_NAME);
    const limit = this.config.SHUTDOWN_FLUSH_TIMEOUT_MS;
    const deadline = performance.now() + limit;
    // The deadline must fire even while an awaited flush hangs (a stalled connection, a lock):
    // every wait races against it.
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((r) => (timer = setTimeout(() => r('expired'), limit)));
    try {
      for (;;) {
        const outcome = await Promise.race([this.flush().then(() => 'done' as const, () => 'failed' as const), expired]);
        if (outcome === 'done') {
          this.logger.log('final flush done, nothing pending');
          return;
        }
        if (outcome === 'expired' || performance.now() >= deadline) {
          this.logger.error(`final flush failed: ${this.pendingCount} items could not be stored before the shutdown deadline`);
          return;
        }
        await Promise.race([new Promise((r) => setTimeout(r, 500)), expired]);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  private async tick(): Promise<void> {
    if (this.draining || this.pending.size === 0 || this.backingOff) return;
    await this.requestFlush();
  }

  /** Starts the instance's flush loop unless it runs already; resolves when it ends. */
  private requestFlush(): Promise<void> {
    if (!this.flushing) {
      this.flushing = this.flushLoop().finally(() => {
        this.flushing = null;
      });
    }
    return this.flushing;
  }

  private async flushLoop(): Promise<void> {
    for (;;) {
      const batch = this.takeBatch();
      if (batch.length === 0) return;
      if (!(await this.runFlush(batch))) return;
      // Keep going only while a full batch is waiting; the timer takes care of the rest.
      if (this.pending.size < this.config.PLAYTIME_BATCH_SIZE && !this.draining) return;
    }
  }

  /** Up to a batch of pending items, skipping keys another flush holds (one flush per key). */
  private takeBatch(): PendingItem[] {
    const batch: PendingItem[] = [];
    for (const [key, item] of this.pending) {
      if (batch.length >= this.config.PLAYTIME_BATCH_SIZE) break;
      if (!this.inflight.has(key)) batch.push(item);
    }
    return batch;
  }

  /**
   * One flush of `batch` (items now pending, none in flight): moves them in flight, writes them,
   * and puts back what could not be stored. False if some were put back.
   */
  private async runFlush(batch: PendingItem[]): Promise<boolean> {
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    for (const item of batch) {
      this.pending.delete(item.key);
      this.inflight.set(item.key, { item, done });
    }
    this.running += 1;
    let unstored: PendingItem[] = batch;
    try {
      unstored = await this.write(batch);
    } finally {
      this.running -= 1;
      const keep = new Set(unstored);
      for (const item of batch) {
        this.inflight.delete(item.key);
        if (keep.has(item)) this.putBack(item);
        else if (!this.pending.has(item.key)) this.forget(item);
      }
      release();
    }
    return unstored.length === 0;
  }

  private putBack(item: PendingItem): void {
    const newer = this.pending.get(item.key);
    if (newer) mergeInto(item, newer);
    this.addPending(item);
  }

  private addPending(item: PendingItem): void {
    this.pending.set(item.key, item);
    let keys = this.byUser.get(item.userId);
    if (!keys) this.byUser.set(item.userId, (keys = new Set()));
    keys.add(item.key);
  }

  private forget(item: PendingItem): void {
    const keys = this.byUser.get(item.userId);
    keys?.delete(item.key);
    if (keys?.size === 0) this.byUser.delete(item.userId);
  }

  /**
   * Writes `batch`; returns the items that could not be stored and must be put back (none on
   * success). A batch the database refuses for its data is bisected: each half is written on its
   * own, down to single items, which are set aside. Each part is a transaction of its own and
   * flushes are idempotent, so the parts that commit count exactly once.
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
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.repository.applyBatch(batch, this.config.FINISHED_PERCENT);
        this.counters.flushes += 1;
        this.counters.statements += result.statements;
        this.counters.rowsWritten += result.rowsWritten;
        this.counters.lastFlushMs = Math.round(performance.now() - started);
        this.consecutiveFailures = 0;
        this.retryNotBefore = 0;
        this.metrics.flushed(this.counters.lastFlushMs, result.rowsWritten, result.statements);
        const log = this.writeThrough ? 'debug' : 'log';
        this.logger[log]({ msg: 'flush', items: batch.length, rows: result.rowsWritten, statements: result.statements, ms: this.counters.lastFlushMs, attempts: attempt });
        return;
      } catch (err) {
        this.counters.flushFailures += 1;
        this.metrics.flushFailed();
        if (attempt < QUICK_RETRIES && isRetryableDbError(err)) {
          await new Promise((r) => setTimeout(r, 20 * attempt + Math.random() * 50));
          continue;
        }
        throw err;
      }
    }
  }

  /** A flush failed for a reason other than its data: back off, the items wait. */
  private failed(batch: PendingItem[], err: unknown): void {
    this.consecutiveFailures += 1;
    const backoff = Math.min(30_000, 500 * 2 ** Math.min(this.consecutiveFailures, 6));
    this.retryNotBefore = performance.now() + backoff;
    this.logger.warn(
      `flush of ${batch.length} items failed (${describeDbError(err)}); kept ${this.pendingCount} pending items, retrying in ${backoff} ms`,
    );
  }

  /**
   * Puts one refused item into `ingest_rejects`; false if that insert failed for another reason
   * than its data (the item then waits for the next flush, like any failed flush).
   */
  private async setAside(item: PendingItem, cause: unknown): Promise<boolean> {
    const code = dbErrorCode(cause) ?? 'unknown';
    const hash = itemKeyHash(item.key);
    try {
      await this.rejects.setAside([{ item, code, message: String((cause as Error)?.message ?? cause).slice(0, 1000) }]);
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
    this.metrics.itemSetAside(code);
    // The key holds the user id: the log names the item by its hash, stored with the row.
    this.logger.error({ msg: 'ingest item set aside: the database refused its data', keyHash: hash, code, sessions: item.sessions.size });
    return true;
  }

  /** Write-through: one flush per request before answering; on failure the data is queued. */
  private async writeNow(userId: string, heartbeats: Heartbeat[], receivedAt: number): Promise<void> {
    const items = new Map<string, PendingItem>();
    for (const hb of heartbeats) {
      const key = itemKeyString({ userId, ...hb });
      const item = items.get(key);
      if (item) addHeartbeat(item, hb, receivedAt, this.config.FINISHED_PERCENT);
      else items.set(key, newPendingItem(userId, hb, receivedAt, this.config.FINISHED_PERCENT));
    }
    this.running += 1;
    try {
      for (const item of await this.write([...items.values()])) this.putBack(item);
    } finally {
      this.running -= 1;
    }
  }
}
