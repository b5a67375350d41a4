import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { DAY_MS, utcDate } from '../watch/time.js';
import { ConcurrencyRepository } from './concurrency.repository.js';
import { concurrencyRows, type ConcurrencyWindow } from './concurrency.js';
import type { ConcurrencyReport } from './dto/concurrency.schema.js';
import { ReportingRepository } from './reporting.repository.js';
import { buildReport, type GroupBy, type ReportRow } from './watch-hours-report.js';

/** How far back start-up catch-up looks for days that were never rolled up. */
export const CATCH_UP_DAYS = 35;

@Injectable()
export class ReportingService {
  private readonly logger = new Logger(ReportingService.name);

  constructor(
    private readonly repository: ReportingRepository,
    private readonly clock: Clock,
    private readonly concurrencyRepository: ConcurrencyRepository,
  ) {}

  get today(): string {
    return utcDate(this.clock.now());
  }

  /**
   * Rolls up one day now, replacing its rows. Today (UTC) covers the time stored so far and is
   * left due, so the catch-up after midnight rolls it up again once it has closed.
   */
  async rollup(day: string): Promise<void> {
    const started = performance.now();
    await this.repository.rollupDay(day, true, day < this.today);
    this.logger.log(`watch-hours roll-up of ${day} done in ${Math.round(performance.now() - started)} ms`);
  }

  /**
   * Rolls up every closed day (before today, UTC) with data and no finished roll-up, oldest first:
   * yesterday on the daily cron, and whatever was missed while no instance ran. Days another
   * instance is doing or has done are skipped. Returns the days this call rolled up.
   */
  async catchUp(): Promise<string[]> {
    const since = utcDate(this.clock.now() - CATCH_UP_DAYS * DAY_MS);
    const done: string[] = [];
    for (const day of await this.repository.missedDays(this.today, since)) {
      if (await this.repository.rollupDay(day, false)) done.push(day);
    }
    if (done.length) this.logger.log(`watch-hours roll-up: ${done.length} day(s) rolled up (${done[0]} … ${done[done.length - 1]})`);
    return done;
  }

  /** The report for `from`..`to` (UTC days): closed days from the roll-up, open ones live. */
  async report(from: string, to: string, groupBy: GroupBy): Promise<{ from: string; to: string; groupBy: GroupBy; rows: ReportRow[] }> {
    const [days, titles, platforms] = await Promise.all([
      groupBy === 'day' || groupBy === 'mediaType' ? this.repository.dayRows(from, to) : Promise.resolve([]),
      groupBy === 'media' ? this.repository.titleRows(from, to) : Promise.resolve([]),
      groupBy === 'platform' ? this.repository.platformRows(from, to) : Promise.resolve([]),
    ]);
    return { from, to, groupBy, rows: buildReport(groupBy, from, to, days, titles, platforms) };
  }

  /** Peak viewers and sessions per interval of a window already resolved (see resolveConcurrencyWindow). */
  async concurrency(w: ConcurrencyWindow): Promise<ConcurrencyReport> {
    const rows = await this.concurrencyRepository.peaks(w.from, w.to, w.tz, w.interval);
    return { from: w.from, to: w.to, interval: w.interval, tz: w.tz, rows: concurrencyRows(rows, w.tz) };
  }

  /** Now, by the injected clock (epoch ms). */
  now(): number {
    return this.clock.now();
  }
}
