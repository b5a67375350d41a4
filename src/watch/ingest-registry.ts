import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from '../common/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { describeDbError } from '../database/db-errors.js';
import { INGEST_STATE, type IngestState } from './unflushed-items.js';
import { WatchRepository } from './watch.repository.js';

const REPORT_INTERVAL = 'ingest-registry-report';
const PRUNE_INTERVAL = 'tombstone-prune';

/**
 * Tells the other instances what this one may still hold unflushed, so deletes write tombstones
 * only when they can matter and tombstones are pruned once they cannot (README, "Deletes").
 *
 * - At start-up, before the service takes requests, and then on every tick: the receipt time of
 *   the oldest heartbeat held unflushed (pending or in a flush under way), or now when none.
 *   Everything received later is newer, so the instance never holds data older than its report.
 * - On shutdown, once the final flush left nothing pending, the report is withdrawn.
 * - Every `TOMBSTONE_PRUNE_INTERVAL_MS`, one instance (advisory lock) prunes.
 *
 * In write-through mode (`PLAYTIME_FLUSH_INTERVAL_MS=0`) a request's heartbeats are written
 * before the answer and never held as pending; only the moments between receipt and the flush
 * taking its user lock are not covered by the report.
 */
@Injectable()
export class IngestRegistry implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(IngestRegistry.name);
  readonly instanceId = randomUUID();
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: WatchRepository,
    @Inject(INGEST_STATE) private readonly ingest: IngestState,
    private readonly clock: Clock,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  get leaseMs(): number {
    return this.config.INSTANCE_LEASE_MS;
  }

  async onApplicationBootstrap(): Promise<void> {
    // Before the first request: a delete elsewhere must know this instance may soon hold data.
    await this.report();
    const every = Math.min(Math.max(this.config.PLAYTIME_FLUSH_INTERVAL_MS, 1000), 60_000);
    this.scheduler.addInterval(REPORT_INTERVAL, setInterval(() => void this.tick(), every));
    if (this.config.TOMBSTONE_PRUNE_INTERVAL_MS > 0) {
      this.scheduler.addInterval(PRUNE_INTERVAL, setInterval(() => void this.pruneQuietly(), this.config.TOMBSTONE_PRUNE_INTERVAL_MS));
    }
  }

  /** Reports the oldest receipt time this instance holds unflushed (now when it holds none). */
  async report(): Promise<void> {
    const now = this.clock.now();
    const low = Math.min(this.ingest.oldestUnflushedReceipt() ?? now, now);
    await this.repository.reportInstance(this.instanceId, new Date(low), new Date(now));
  }

  /** Prunes tombstones no instance can still need; null when another instance is doing it. */
  async prune(): Promise<{ tombstones: number; instances: number; sessions: number } | null> {
    return this.repository.pruneTombstones(new Date(this.clock.now()), this.config.INSTANCE_LEASE_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const name of [REPORT_INTERVAL, PRUNE_INTERVAL]) {
      if (this.scheduler.doesExist('interval', name)) this.scheduler.deleteInterval(name);
    }
    // Withdraw only once nothing is held: until then other instances must keep writing tombstones.
    await this.ingest.flush().catch(() => undefined);
    if (this.ingest.pendingCount > 0) return;
    await this.repository.forgetInstance(this.instanceId).catch((err: unknown) => {
      this.logger.warn(`could not withdraw this instance's report (${describeDbError(err)}); it lapses after INSTANCE_LEASE_MS`);
    });
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    await this.report().catch((err: unknown) => this.logger.warn(`instance report failed (${describeDbError(err)})`));
  }

  private async pruneQuietly(): Promise<void> {
    if (this.stopped) return;
    try {
      const r = await this.prune();
      if (r && (r.tombstones || r.instances || r.sessions)) {
        this.logger.log({ msg: 'pruned delete bookkeeping', tombstones: r.tombstones, instances: r.instances, erasedSessions: r.sessions });
      }
    } catch (err) {
      this.logger.warn(`tombstone pruning failed (${describeDbError(err)}); it runs again at the next tick`);
    }
  }
}
