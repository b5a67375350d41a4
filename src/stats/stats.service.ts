import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { FieldValidationException } from '../common/errors.js';
import { round } from '../watch/time.js';
import { UNFLUSHED_ITEMS, type UnflushedItems } from '../watch/unflushed-items.js';
import type { StatsQuery } from './dto/stats-query.schema.js';
import type { StatsResponse } from './dto/stats-response.schema.js';
import { resolveStatsWindow } from './stats-window.js';
import { StatsRepository, UnknownTimeZoneError } from './stats.repository.js';

/** How many titles `topTitles` lists. */
export const TOP_TITLES = 10;

@Injectable()
export class StatsService {
  constructor(
    private readonly repository: StatsRepository,
    private readonly clock: Clock,
    @Inject(UNFLUSHED_ITEMS) private readonly ingest: UnflushedItems,
  ) {}

  /**
   * One user's statistics over calendar days `from`..`to` in `tz`, from the hourly buckets. When
   * this instance holds unflushed heartbeats of the user, they are flushed first, so the figures
   * include the user's latest heartbeats (read-your-own-writes) exactly as they will be stored.
   */
  async forUser(userId: string, query: StatsQuery): Promise<StatsResponse> {
    const window = resolveStatsWindow(query, this.clock.now());
    await this.ingest.flushUser(userId);
    const rows = await this.repository.userStats(userId, window, TOP_TITLES).catch((err: unknown) => {
      if (err instanceof UnknownTimeZoneError) {
        throw new FieldValidationException([{ field: 'tz', message: 'is not a time zone the database knows' }]);
      }
      throw err;
    });

    // Totals come from the unrounded per-day sums, so they agree with `daily` up to rounding.
    let movie = 0;
    let tv = 0;
    const daily = rows.daily.map((d) => {
      movie += d.movie_seconds;
      tv += d.tv_seconds;
      return { date: d.date, seconds: round(d.movie_seconds + d.tv_seconds, 3) };
    });
    const totalSeconds = round(movie + tv, 3);
    const byHourOfDay = new Array<number>(24).fill(0);
    const byWeekday = new Array<number>(7).fill(0);
    for (const c of rows.hourWeekday) {
      byHourOfDay[c.hour_of_day] += c.seconds;
      byWeekday[c.iso_weekday - 1] += c.seconds;
    }
    return {
      totalSeconds,
      totalHours: round(totalSeconds / 3600, 2),
      itemsStarted: rows.counts.items_started,
      itemsFinished: rows.counts.items_finished,
      byMediaType: { movie: round(movie, 3), tv: round(tv, 3) },
      daily,
      topTitles: rows.topTitles.map((t) => ({
        mediaType: t.media_type,
        mediaId: t.media_id,
        title: t.title,
        seconds: round(t.seconds, 3),
      })),
      byHourOfDay: byHourOfDay.map((n) => round(n, 3)),
      byWeekday: byWeekday.map((n) => round(n, 3)),
    };
  }
}
