import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { describeDbError } from '../database/db-errors.js';
import { AutoDeleteService } from './auto-delete.service.js';

/** Daily, UTC, after the watch-hours roll-up (00:15 by default) has had its time. */
export const AUTO_DELETE_CRON = '0 2 * * *';

/**
 * Auto-delete once a day, and at start-up (catching up a day missed while no instance ran). Every
 * instance fires it; the day's claim row (`maintenance_runs`) makes one of them do it.
 */
@Injectable()
export class AutoDeleteCron implements OnApplicationBootstrap {
  private readonly logger = new Logger(AutoDeleteCron.name);
  private startUpEnded!: () => void;
  /** Settles once the start-up run has ended (done, not due, or a failure logged). */
  readonly startUpRun = new Promise<void>((resolve) => (this.startUpEnded = resolve));

  constructor(
    private readonly scheduler: SchedulerRegistry,
    private readonly autoDelete: AutoDeleteService,
  ) {}

  onApplicationBootstrap(): void {
    const job = CronJob.from({ cronTime: AUTO_DELETE_CRON, timeZone: 'UTC', onTick: () => this.run(), start: true });
    this.scheduler.addCronJob('auto-delete', job);
    void this.run().then(this.startUpEnded);
  }

  private async run(): Promise<void> {
    try {
      await this.autoDelete.run();
    } catch (err) {
      this.logger.warn(`auto-delete failed (${describeDbError(err)}); it runs again at the next tick or start`);
    }
  }
}
