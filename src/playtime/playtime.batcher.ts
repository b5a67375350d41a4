import {
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
import { itemKeyString, type Heartbeat, type ItemKey } from './heartbeat.js';
import { addHeartbeat, clonePendingItem, mergeInto, newPendingItem, type PendingItem } from './pending-item.js';
import { PlaytimeRepository } from './playtime.repository.js';
import { isRetryableDbError, describeDbError } from '../database/db-errors.js';
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
 * - On shutdown: refuse new writes, then flush everything.
 */
@Injectable()
export class PlaytimeBatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(PlaytimeBatcher.name);
  private pending = new Map<string, PendingItem>();
  /** Items taken by the flush under way, still visible to reads until it commits. */
  private inflight = new Map<string, PendingItem>();
  /** Keys pending or in flight, per user, so a user's reads can include them cheaply. */
  private byUser = new Map<string, Set<string>>();
  private flushing: Promise<void> | null = null;
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
  };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: PlaytimeRepository,
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

  onApplicationBootstrap(): void {
    // Write-through mode still needs the timer: writes that failed are queued and retried.
    const every = this.config.PLAYTIME_FLUSH_INTERVAL_MS || 1000;
    this.scheduler.addInterval(FLUSH_INTERVAL_NAME, setInterval(() => void this.tick(), every));
  }

  /**
   * Accepts heartbeats of one user (one request). Throws 503 while draining or when more than
   * `PLAYTIME_MAX_PENDING` items wait; nothing of a refused request is kept.
   */
  async accept(userId: string, heartbeats: Heartbeat[]): Promise<void> {
    if (this.draining) {
      throw new RetryLaterException('The service is shutting down; retry on another instance.', 1);
    }
    if (this.pendingCount >= this.config.PLAYTIME_MAX_PENDING) {
      const retryAfter = Math.max(1, Math.ceil(this.config.PLAYTIME_FLUSH_INTERVAL_MS / 1000));
      throw new RetryLaterException('Too many heartbeats are waiting to be stored; retry later.', retryAfter);
    }
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
    if (this.pending.size >= this.config.PLAYTIME_BATCH_SIZE) void this.requestFlush();
  }

  /** What is accepted but not yet committed for one item (pending and in flight), or null. */
  unflushed(key: ItemKey): PendingItem | null {
    return this.unflushedByKey(itemKeyString(key));
  }

  /** Receipt time of the oldest heartbeat accepted but not yet committed, or null when none. */
  oldestUnflushedReceipt(): number | null {
    let oldest: number | null = null;
    for (const items of [this.pending, this.inflight]) {
      for (const item of items.values()) if (oldest === null || item.firstReceivedAt < oldest) oldest = item.firstReceivedAt;
    }
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
    const a = this.inflight.get(k);
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

  /** Flushes everything pending now; rejects if the database keeps failing. */
  async flush(): Promise<void> {
    // Wait for a flush under way, then drain what is left (it may have been put back).
    while (this.flushing) await this.flushing;
    while (this.pending.size > 0) {
      this.retryNotBefore = 0;
      await this.requestFlush();
      if (this.consecutiveFailures > 0) throw new Error('flush failed; pending items were kept');
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.draining = true;
    if (this.scheduler.doesExist('interval', FLUSH_INTERVAL_NAME)) this.scheduler.deleteInterval(FLUSH_INTERVAL_NAME);
    const deadline = performance.now() + this.config.SHUTDOWN_FLUSH_TIMEOUT_MS;
    for (;;) {
      try {
        await this.flush();
        this.logger.log('final flush done, nothing pending');
        return;
      } catch {
        if (performance.now() >= deadline) {
          this.logger.error(`final flush failed: ${this.pendingCount} items could not be stored before the shutdown deadline`);
          return;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private async tick(): Promise<void> {
    if (this.draining || this.pending.size === 0 || performance.now() < this.retryNotBefore) return;
    await this.requestFlush();
  }

  /** Starts a flush unless one is under way (flushes never overlap); resolves when it ends. */
  private requestFlush(): Promise<void> {
    if (!this.flushing) {
      this.flushing = this.flushLoop().finally(() => {
        this.flushing = null;
      });
    }
    return this.flushing;
  }

  private async flushLoop(): Promise<void> {
    while (this.pending.size > 0) {
      const batch = this.takeBatch();
      const ok = await this.write(batch);
      this.inflight.clear();
      if (ok) for (const item of batch) if (!this.pending.has(item.key)) this.forget(item);
      if (!ok) {
        for (const item of batch) this.putBack(item);
        return;
      }
      // Keep going only while a full batch is waiting; the timer takes care of the rest.
      if (this.pending.size < this.config.PLAYTIME_BATCH_SIZE && !this.draining) return;
    }
  }

  private takeBatch(): PendingItem[] {
    const batch: PendingItem[] = [];
    for (const [key, item] of this.pending) {
      if (batch.length >= this.config.PLAYTIME_BATCH_SIZE) break;
      this.pending.delete(key);
      this.inflight.set(key, item);
      batch.push(item);
    }
    return batch;
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

  /** One flush with quick retries on transient errors; false if it still failed. */
  private async write(batch: PendingItem[]): Promise<boolean> {
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
        return true;
      } catch (err) {
        this.counters.flushFailures += 1;
        this.metrics.flushFailed();
        if (attempt < QUICK_RETRIES && isRetryableDbError(err)) {
          await new Promise((r) => setTimeout(r, 20 * attempt + Math.random() * 50));
          continue;
        }
        this.consecutiveFailures += 1;
        const backoff = Math.min(30_000, 500 * 2 ** Math.min(this.consecutiveFailures, 6));
        this.retryNotBefore = performance.now() + backoff;
        this.logger.warn(
          `flush of ${batch.length} items failed (${describeDbError(err)}); kept ${this.pendingCount} pending items, retrying in ${backoff} ms`,
        );
        return false;
      }
    }
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
    const batch = [...items.values()];
    if (!(await this.write(batch))) {
      for (const item of batch) this.putBack(item);
    }
  }
}
