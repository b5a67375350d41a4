import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { describeDbError } from '../database/db-errors.js';
import { ReportingService } from './reporting.service.js';

/**
 * The daily roll-up on `REPORT_CRON` (UTC), and a catch-up at start-up. Every instance fires it;
 * the per-day advisory lock and claim row make exactly one do each day.
 */
@Injectable()
export class WatchHoursCron implements OnApplicationBootstrap {
  private readonly logger = new Logger(WatchHoursCron.name);
  private startUpEnded!: () => void;
  /**
   * Settles once the start-up catch-up has ended (days rolled up, none due, or a failure logged).
   * It exists from construction, so whoever must not race that catch-up (a second instance's
   * tests, an operator's tooling) waits on it however late the catch-up starts.
   */
  readonly startUpCatchUp = new Promise<void>((resolve) => (this.startUpEnded = resolve));

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly scheduler: SchedulerRegistry,
    private readonly reporting: ReportingService,
  ) {}

  onApplicationBootstrap(): void {
    const job = CronJob.from({ cronTime: this.config.REPORT_CRON, timeZone: 'UTC', onTick: () => this.run(), start: true });
    this.scheduler.addCronJob('watch-hours-rollup', job);
    void this.run().then(this.startUpEnded);
  }

  private async run(): Promise<void> {
    try {
      await this.reporting.catchUp();
    } catch (err) {
      this.logger.warn(`watch-hours roll-up failed (${describeDbError(err)}); it runs again at the next tick or start`);
    }
  }
}
