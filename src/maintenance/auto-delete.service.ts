import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { ReportingService } from '../reporting/reporting.service.js';
import { DAY_MS, utcDate } from '../watch/time.js';
import { UNFLUSHED_ITEMS, type UnflushedItems } from '../watch/unflushed-items.js';
import { AutoDeleteRepository, type DeletedCounts } from './auto-delete.repository.js';

export const AUTO_DELETE_JOB = 'auto-delete';
/** Items per transaction: each holds the user's lock (flushes of that user wait) for a moment only. */
export const AUTO_DELETE_CHUNK = 500;
/** Users read per page of `user_settings`. */
const USER_PAGE = 1000;
/** A claim older than this whose run never finished was left by an instance that died: take it over. */
const CLAIM_LEASE_SECONDS = 3600;

export interface AutoDeleteResult extends DeletedCounts {
  job: typeof AUTO_DELETE_JOB;
  /** Users who had items past their window. */
  users: number;
}

/**
 * Auto-delete (SPEC §9): for every user with `autoDeleteDays` > 0, deletes the history items not
 * watched for that many days (by the clock now), with their plays, sessions, statistics buckets
 * and hide marks. The window is measured from now, so one run catches up however many days no
 * instance ran. Days holding their statistics are rolled up first (if they were not), so reports
 * keep the deleted items' anonymous totals; rolled-up rows are never touched.
 */
@Injectable()
export class AutoDeleteService {
  private readonly logger = new Logger(AutoDeleteService.name);

  constructor(
    private readonly repository: AutoDeleteRepository,
    private readonly reporting: ReportingService,
    private readonly clock: Clock,
    @Optional() @Inject(UNFLUSHED_ITEMS) private readonly unflushed?: UnflushedItems,
  ) {}

  /**
   * The daily run: only the instance that claims today's run does it (returns null elsewhere, and
   * when today's run is done). `force` (the admin route) runs now, claim or not.
   */
  async run(force = false): Promise<AutoDeleteResult | null> {
    const now = this.clock.now();
    const today = utcDate(now);
    if (!force && !(await this.repository.claim(AUTO_DELETE_JOB, today, new Date(now), CLAIM_LEASE_SECONDS))) return null;
    const result: AutoDeleteResult = { job: AUTO_DELETE_JOB, users: 0, items: 0, sessions: 0, buckets: 0, hidden: 0 };
    for (let after = '', page = await this.repository.dueUsers(after, USER_PAGE); page.length; page = await this.repository.dueUsers(after, USER_PAGE)) {
      for (const { userId, days } of page) {
        const before = new Date(now - days * DAY_MS);
        // what this instance holds for the user goes in first: a viewer watching now keeps the item
        await this.unflushed?.flushUser(userId);
        if (!(await this.repository.anyExpired(userId, before))) continue;
        // the days whose buckets go are rolled up before they go: their report rows stay
        for (const day of await this.repository.unrolledDays(userId, before, today)) await this.reporting.rollup(day);
        result.users += 1;
        for (;;) {
          const c = await this.repository.deleteChunk(userId, before, AUTO_DELETE_CHUNK);
          result.items += c.items;
          result.sessions += c.sessions;
          result.buckets += c.buckets;
          result.hidden += c.hidden;
          if (c.items < AUTO_DELETE_CHUNK) break;
        }
      }
      after = page[page.length - 1].userId;
    }
    if (!force) await this.repository.finish(AUTO_DELETE_JOB, today, new Date(this.clock.now()));
    if (result.items) this.logger.log(`auto-delete: ${result.items} item(s) of ${result.users} user(s) deleted`);
    return result;
  }
}
