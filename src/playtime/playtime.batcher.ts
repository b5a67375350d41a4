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
import type { DropScope, IngestState, UnflushedItems } from '../watch/unflushed-items.js';
import type { Heartbeat } from './heartbeat.js';
import type { ItemKey } from '../watch/item-key.js';
import type { PendingItem } from './pending-item.js';
import { PlaytimeRepository } from './playtime.repository.js';
import { IngestRejectsRepository } from './ingest-rejects.repository.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { PendingStore } from './pending-store.js';
import { FlushScheduler } from './flush-scheduler.js';
import type { FlushCounters } from './flush-writer.js';

export type { DropScope } from '../watch/unflushed-items.js';

const FLUSH_INTERVAL_NAME = 'playtime-flush';

export interface IngestCounters extends FlushCounters {
  heartbeatsAccepted: number;
  pendingItems: number;
}

/**
 * The ingest buffer as the application sees it: heartbeats in (`accept`), the read side's
 * `UnflushedItems`, and the lifecycle (the `@nestjs/schedule` interval, the shutdown drain).
 * What is held lives in `PendingStore`; when and how it is written, in `FlushScheduler`.
 *
 * Limits it enforces on the way in: `PLAYTIME_MAX_PENDING` items (503 beyond, nothing kept) and
 * `PLAYTIME_MAX_PENDING_SESSIONS_PER_USER` sessions per user (429 for that user's new sessions), so
 * no single client can fill memory during a database outage.
 */
@Injectable()
export class PlaytimeBatcher implements UnflushedItems, IngestState, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(PlaytimeBatcher.name);
  readonly store: PendingStore;
  readonly scheduler: FlushScheduler;
  private heartbeatsAccepted = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    repository: PlaytimeRepository,
    rejects: IngestRejectsRepository,
    private readonly clock: Clock,
    private readonly schedulerRegistry: SchedulerRegistry,
    private readonly metrics: MetricsService,
  ) {
    this.store = new PendingStore();
    this.scheduler = new FlushScheduler(
      this.store,
      { applyBatch: (batch) => repository.applyBatch(batch) },
      { setAside: (item, code, message) => rejects.setAside([{ item, code, message }]) },
      clock,
      { batchSize: config.PLAYTIME_BATCH_SIZE, flushIntervalMs: config.PLAYTIME_FLUSH_INTERVAL_MS, shutdownTimeoutMs: config.SHUTDOWN_FLUSH_TIMEOUT_MS },
      metrics,
      this.logger,
    );
    metrics.trackPending(() => this.pendingCount);
  }

  get isDraining(): boolean {
    return this.scheduler.isDraining;
  }

  get pendingCount(): number {
    return this.store.size;
  }

  /** A flush transaction is under way (the instance's or a user's). */
  get flushInProgress(): boolean {
    return this.scheduler.flushInProgress;
  }

  /** Failed flushes asked to wait before the next try. */
  get backingOff(): boolean {
    return this.scheduler.backingOff;
  }

  onApplicationBootstrap(): void {
    // Write-through mode still needs the interval: writes that failed are queued and retried.
    const every = this.config.PLAYTIME_FLUSH_INTERVAL_MS || 1000;
    this.schedulerRegistry.addInterval(FLUSH_INTERVAL_NAME, setInterval(() => void this.tick(), every));
  }

  /** What the interval runs. */
  tick(): Promise<void> {
    return this.scheduler.tick();
  }

  /**
   * Accepts heartbeats of one user (one request). Throws 503 while draining or when more than
   * `PLAYTIME_MAX_PENDING` items wait, 429 when the request would take the user past
   * `PLAYTIME_MAX_PENDING_SESSIONS_PER_USER`; nothing of a refused request is kept.
   */
  async accept(userId: string, heartbeats: Heartbeat[]): Promise<void> {
    if (this.isDraining) {
      throw new RetryLaterException('The service is shutting down; retry on another instance.', 1);
    }
    if (this.pendingCount >= this.config.PLAYTIME_MAX_PENDING) {
      throw new RetryLaterException('Too many heartbeats are waiting to be stored; retry later.', this.scheduler.retryAfterSeconds());
    }
    const writeThrough = this.scheduler.writeThrough;
    if (!writeThrough) this.checkUserSessions(userId, heartbeats);
    const receivedAt = this.clock.now();
    this.heartbeatsAccepted += heartbeats.length;
    this.metrics.heartbeatsAccepted(heartbeats.length);
    if (writeThrough) {
      await this.scheduler.writeNow(userId, heartbeats, receivedAt);
      return;
    }
    this.store.accept(userId, heartbeats, receivedAt);
    this.scheduler.accepted();
  }

  /**
   * 429 for a request that would take its user past the pending-session bound. Heartbeats of
   * sessions already held always pass: they grow no memory, and a user who keeps playing must not
   * be cut off by their own earlier sessions.
   */
  private checkUserSessions(userId: string, heartbeats: Heartbeat[]): void {
    const limit = this.config.PLAYTIME_MAX_PENDING_SESSIONS_PER_USER;
    const { fresh, held } = this.store.sessionsAfter(userId, heartbeats);
    if (fresh > 0 && held + fresh > limit) {
      throw new RetryLaterException(
        `Too many of your playback sessions are waiting to be stored (at most ${limit}); retry later.`,
        this.scheduler.retryAfterSeconds(),
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
  }

  unflushed(key: ItemKey): PendingItem | null {
    return this.store.unflushed(key);
  }

  unflushedForUser(userId: string): PendingItem[] {
    return this.store.unflushedForUser(userId);
  }

  oldestUnflushedReceipt(): number | null {
    return this.store.oldestUnflushedReceipt();
  }

  drop(scope: DropScope): number {
    return this.store.drop(scope);
  }

  heldInFlight(scope: DropScope, at: number): boolean {
    return this.store.heldInFlight(scope, at);
  }

  flushUser(userId: string): Promise<void> {
    return this.scheduler.flushUser(userId);
  }

  flush(): Promise<void> {
    return this.scheduler.flush();
  }

  counts(): IngestCounters {
    return { heartbeatsAccepted: this.heartbeatsAccepted, ...this.scheduler.counters, pendingItems: this.pendingCount };
  }

  /** Refuse writes, stop the interval, flush everything until `SHUTDOWN_FLUSH_TIMEOUT_MS`. */
  async beforeApplicationShutdown(): Promise<void> {
    const drained = this.scheduler.drain();
    if (this.schedulerRegistry.doesExist('interval', FLUSH_INTERVAL_NAME)) this.schedulerRegistry.deleteInterval(FLUSH_INTERVAL_NAME);
    if (await drained) this.logger.log('final flush done, nothing pending');
    else this.logger.error(`final flush failed: ${this.pendingCount} items could not be stored before the shutdown deadline`);
  }
}
