import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { MediaType } from '../watch/item-key.js';
import { itemTitleSql } from '../watch/title.js';
import { Prepared } from '../database/prepared.js';
import type { StatsWindow } from './stats-window.js';

/*
 * Every statement takes the same four parameters: $1 user id, $2 first day, $3 last day (calendar
 * dates, inclusive), $4 IANA zone. The window is [midnight of $2 in $4, midnight of $3 + 1 in $4):
 * `timestamp AT TIME ZONE zone` is immutable, so with the values bound the bounds fold to constants
 * and become index conditions (watch_buckets_key: user_id, hour; watch_history_user_started:
 * user_id, first_watched_at; watch_history_user_recent: user_id, last_watched_at). A bucket
 * belongs to the local day of its hour's start, `(hour AT TIME ZONE $4)::date`; that mapping is
 * monotonic, so every bucket inside the window falls on a day inside $2..$3.
 */

/**
 * Seconds per local day and media type, with every day of the window present (0 when nothing was
 * played). `generate_series` over integers keeps the session's TimeZone out of the day arithmetic.
 */
export const DAILY_SECONDS_SQL = `
  WITH per_day AS (
    SELECT (b.hour AT TIME ZONE $4::text)::date AS day, b.media_type, sum(b.seconds) AS seconds
    FROM watch_buckets b
    WHERE b.user_id = $1::text
      AND b.hour >= ($2::date)::timestamp AT TIME ZONE $4::text
      AND b.hour <  ($3::date + 1)::timestamp AT TIME ZONE $4::text
    GROUP BY 1, 2
  ),
  days AS (
    SELECT $2::date + n AS day FROM generate_series(0, $3::date - $2::date) AS n
  )
  SELECT to_char(d.day::timestamp, 'YYYY-MM-DD') AS date,
         COALESCE(sum(p.seconds) FILTER (WHERE p.media_type = 'movie'), 0)::float8 AS movie_seconds,
         COALESCE(sum(p.seconds) FILTER (WHERE p.media_type = 'tv'), 0)::float8 AS tv_seconds
  FROM days d
  LEFT JOIN per_day p ON p.day = d.day
  GROUP BY d.day
  ORDER BY d.day`;

/**
 * The most watched titles of the window: episodes add up to their show (buckets of a show share
 * its media id). Ties are broken by key so the order is stable. The title is the title rule's
 * (src/watch/title.ts), the same as in reports. $5 is the limit.
 */
export const TOP_TITLES_SQL = `
  WITH per_title AS (
    SELECT b.media_type, b.media_id, sum(b.seconds) AS seconds
    FROM watch_buckets b
    WHERE b.user_id = $1::text
      AND b.hour >= ($2::date)::timestamp AT TIME ZONE $4::text
      AND b.hour <  ($3::date + 1)::timestamp AT TIME ZONE $4::text
    GROUP BY b.media_type, b.media_id
    ORDER BY seconds DESC, b.media_type, b.media_id
    LIMIT $5::int
  )
  SELECT p.media_type, p.media_id, p.seconds::float8 AS seconds, ${itemTitleSql('p.media_type', 'p.media_id')} AS title
  FROM per_title p
  ORDER BY p.seconds DESC, p.media_type, p.media_id`;

/**
 * Seconds per local hour of day (0–23) and ISO weekday (1 = Monday … 7 = Sunday) in $4, the cells
 * from which both `byHourOfDay` and `byWeekday` are summed. A bucket counts towards the local hour
 * in which its UTC hour starts (in a zone with a half-hour offset, 10:00 UTC is 15:30 in Kolkata:
 * hour 15), the same attribution as `daily`.
 */
export const HOUR_WEEKDAY_SQL = `
  SELECT extract(hour FROM b.hour AT TIME ZONE $4::text)::int AS hour_of_day,
         extract(isodow FROM b.hour AT TIME ZONE $4::text)::int AS iso_weekday,
         sum(b.seconds)::float8 AS seconds
  FROM watch_buckets b
  WHERE b.user_id = $1::text
    AND b.hour >= ($2::date)::timestamp AT TIME ZONE $4::text
    AND b.hour <  ($3::date + 1)::timestamp AT TIME ZONE $4::text
  GROUP BY 1, 2`;

/**
 * History items (movies, episodes) first watched in the window, and items finished whose latest
 * activity is in the window (one row per item, so counting rows counts distinct items).
 */
export const ITEM_COUNTS_SQL = `
  SELECT
    (SELECT count(*) FROM watch_history h
      WHERE h.user_id = $1::text
        AND h.first_watched_at >= ($2::date)::timestamp AT TIME ZONE $4::text
        AND h.first_watched_at <  ($3::date + 1)::timestamp AT TIME ZONE $4::text)::int AS items_started,
    (SELECT count(*) FROM watch_history h
      WHERE h.user_id = $1::text AND h.finished
        AND h.last_watched_at >= ($2::date)::timestamp AT TIME ZONE $4::text
        AND h.last_watched_at <  ($3::date + 1)::timestamp AT TIME ZONE $4::text)::int AS items_finished`;

/**
 * The four in one statement, so in one snapshot (a flush committing meanwhile cannot make the top
 * titles add up to more than the total) and one round trip: under load, a read-only REPEATABLE READ
 * transaction around four statements was seven round trips, and the service and PostgreSQL spent
 * most of their time sending them. Each part comes back as JSON (float8 and int survive it exactly).
 */
export const USER_STATS_SQL = `
  SELECT
    (SELECT COALESCE(json_agg(d ORDER BY d.date), '[]') FROM (${DAILY_SECONDS_SQL}) d) AS daily,
    (SELECT COALESCE(json_agg(t ORDER BY t.seconds DESC, t.media_type, t.media_id), '[]') FROM (${TOP_TITLES_SQL}) t) AS top_titles,
    (SELECT COALESCE(json_agg(w), '[]') FROM (${HOUR_WEEKDAY_SQL}) w) AS hour_weekday,
    (SELECT row_to_json(c) FROM (${ITEM_COUNTS_SQL}) c) AS counts`;
const USER_STATS = new Prepared(USER_STATS_SQL);

export interface DailyRow {
  date: string;
  movie_seconds: number;
  tv_seconds: number;
}

export interface TopTitleRow {
  media_type: MediaType;
  media_id: number;
  seconds: number;
  title: string | null;
}

export interface HourWeekdayRow {
  hour_of_day: number;
  iso_weekday: number;
  seconds: number;
}

export interface ItemCountsRow {
  items_started: number;
  items_finished: number;
}

export interface UserStatsRows {
  daily: DailyRow[];
  topTitles: TopTitleRow[];
  hourWeekday: HourWeekdayRow[];
  counts: ItemCountsRow;
}

/** PostgreSQL does not know a zone that ICU accepted (their time zone databases differ). */
export class UnknownTimeZoneError extends Error {
  constructor(readonly tz: string) {
    super(`time zone ${tz} is not known to the database`);
  }
}

/** Read-only aggregates over `watch_buckets` and `watch_history` for one user. */
@Injectable()
export class StatsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** One statement (`USER_STATS_SQL`): one snapshot. */
  async userStats(userId: string, window: StatsWindow, topLimit: number): Promise<UserStatsRows> {
    try {
      const [row] = await USER_STATS.rows<{ daily: DailyRow[]; top_titles: TopTitleRow[]; hour_weekday: HourWeekdayRow[]; counts: ItemCountsRow }>(
        this.dataSource, [userId, window.from, window.to, window.tz, topLimit],
      );
      return { daily: row.daily, topTitles: row.top_titles, hourWeekday: row.hour_weekday, counts: row.counts };
    } catch (err) {
      throw isUnknownTimeZone(err) ? new UnknownTimeZoneError(window.tz) : err;
    }
  }
}

/** SQLSTATE 22023 (invalid_parameter_value) with PostgreSQL's "time zone ... not recognized". */
function isUnknownTimeZone(err: unknown): boolean {
  const e = err as { code?: unknown; driverError?: { code?: unknown }; message?: unknown };
  const code = e?.driverError?.code ?? e?.code;
  return code === '22023' && /time zone .* not recognized/.test(String(e?.message ?? ''));
}
