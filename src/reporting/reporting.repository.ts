import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { itemTitleSql } from '../watch/title.js';
import { sessionPlatformSql, sessionSpanSql } from '../watch/session-span.js';
import type { MediaType } from '../watch/item-key.js';
import { dayLockKeySql, LOCK_IDS } from '../watch/lock-ids.js';

export const WATCH_HOURS_JOB = 'watch-hours';

/** UTC day bounds of `$1` (a date): every roll-up and live query counts the same hours. */
const DAY_BUCKETS = `
  SELECT b.user_id, b.media_type, b.media_id, b.seconds, b.completions, (b.hour AT TIME ZONE 'UTC')::date AS day
  FROM watch_buckets b
  WHERE b.hour >= ($1::date)::timestamp AT TIME ZONE 'UTC' AND b.hour < ($2::date + 1)::timestamp AT TIME ZONE 'UTC'`;

/** Per day and item (tv episodes grouped per show). Titles are added by the title rule, not here. */
const TITLES_FROM_BUCKETS = `
  WITH b AS (${DAY_BUCKETS})
  SELECT day, media_type, media_id, sum(seconds) AS watch_seconds, count(DISTINCT user_id)::int AS viewers,
         sum(completions)::int AS completions
  FROM b GROUP BY day, media_type, media_id`;

/** Per day: all titles, and per media type; viewers are distinct users that day. */
const DAYS_FROM_BUCKETS = `
  WITH b AS (${DAY_BUCKETS})
  SELECT day, COALESCE(media_type, 'all') AS scope, sum(seconds) AS watch_seconds,
         count(DISTINCT user_id)::int AS viewers, sum(completions)::int AS completions
  FROM b GROUP BY GROUPING SETS ((day), (day, media_type))`;

/**
 * Per UTC day and platform (SPEC §6), from the sessions: seconds by the hour they were played in
 * (`watch_session_hours`, the same credit the flush adds to the buckets, so platforms add up to
 * the day totals), distinct users credited time, and completions: sessions whose completion was
 * counted (`counted`: a play that reached the finished point), on the day of their latest
 * heartbeat (the session keeps no completion time; the buckets count a completion in the hour of
 * the heartbeat that reached it, nearly always the same day).
 */
const PLATFORMS_FROM_SESSIONS = `
  SELECT day, platform, sum(seconds) AS watch_seconds, count(DISTINCT user_id)::int AS viewers, sum(completions)::int AS completions
  FROM (
    SELECT (sh.hour AT TIME ZONE 'UTC')::date AS day, ${sessionPlatformSql('ws')} AS platform, ws.user_id,
           sh.credited_s AS seconds, 0 AS completions
    FROM watch_session_hours sh JOIN watch_sessions ws ON ws.id = sh.session_id
    WHERE sh.hour >= ($1::date)::timestamp AT TIME ZONE 'UTC' AND sh.hour < ($2::date + 1)::timestamp AT TIME ZONE 'UTC'
      AND sh.credited_s > 0
    UNION ALL
    SELECT (ws.last_at AT TIME ZONE 'UTC')::date, ${sessionPlatformSql('ws')}, ws.user_id, 0, 1
    FROM watch_sessions ws
    WHERE ${sessionSpanSql('ws')} && tstzrange(($1::date)::timestamp AT TIME ZONE 'UTC', ($2::date + 1)::timestamp AT TIME ZONE 'UTC', '[)')
      AND ws.last_at >= ($1::date)::timestamp AT TIME ZONE 'UTC' AND ws.last_at < ($2::date + 1)::timestamp AT TIME ZONE 'UTC'
      AND ws.counted
  ) p
  GROUP BY day, platform`;

/**
 * The day's bucket lock, exclusively, before anything of the day is read or claimed. Flushes hold
 * it shared while they change that day's buckets (see LOCK_USERS in playtime.repository.ts): the
 * roll-up either waits for them and reads what they wrote, or commits first and they see its
 * finished claim and mark the day stale. It also serialises roll-ups of one day across instances.
 */
const LOCK_DAY = `SELECT pg_advisory_xact_lock(${LOCK_IDS.bucketDay}, ${dayLockKeySql('$1::date')})`;
/** The claim row of (job, day); a finished one is never run again unless forced or made stale. */
const CLAIM = `
  INSERT INTO report_runs (job, period) VALUES ($1, $2)
  ON CONFLICT (job, period) DO UPDATE SET claimed_at = now()
  RETURNING finished_at IS NOT NULL AS done, xmax = 0 AS fresh`;
/** `$3` false for a day still open (today): its rows are kept, but it stays due for the catch-up after it closes. */
const FINISH = `UPDATE report_runs SET finished_at = CASE WHEN $3::bool THEN now() END WHERE job = $1 AND period = $2`;
const CLEAR_TITLES = `DELETE FROM report_titles WHERE day = $1`;
const CLEAR_DAYS = `DELETE FROM report_days WHERE day = $1`;
const CLEAR_PLATFORMS = `DELETE FROM report_platforms WHERE day = $1`;
/** The stored title is the rule's at roll-up time, for operators reading the table; reports look it up afresh. */
const FILL_TITLES = `
  INSERT INTO report_titles (day, media_type, media_id, title, watch_seconds, viewers, completions)
  SELECT t.day, t.media_type, t.media_id, ${itemTitleSql('t.media_type', 't.media_id')}, t.watch_seconds, t.viewers, t.completions
  FROM (${TITLES_FROM_BUCKETS}) t`;
const FILL_DAYS = `
  INSERT INTO report_days (day, scope, watch_seconds, viewers, completions)
  SELECT day, scope, watch_seconds, viewers, completions FROM (${DAYS_FROM_BUCKETS}) d`;

const FILL_PLATFORMS = `
  INSERT INTO report_platforms (day, platform, watch_seconds, viewers, completions)
  SELECT day, platform, watch_seconds, viewers, completions FROM (${PLATFORMS_FROM_SESSIONS}) p`;

/** Days before `$1` (today, UTC) that have data since `$2` but no finished roll-up. */
const MISSED_DAYS = `
  SELECT d::date::text AS day
  FROM generate_series(
         GREATEST($2::date, (SELECT (min(hour) AT TIME ZONE 'UTC')::date FROM watch_buckets)),
         $1::date - 1, interval '1 day') AS d
  WHERE EXISTS (SELECT 1 FROM watch_buckets)
    AND NOT EXISTS (SELECT 1 FROM report_runs r WHERE r.job = '${WATCH_HOURS_JOB}' AND r.period = d::date AND r.finished_at IS NOT NULL)
  ORDER BY 1`;

/** Closed days (rolled up) come from the report tables, the others live from the buckets. */
const ROLLED_UP = `SELECT period FROM report_runs WHERE job = '${WATCH_HOURS_JOB}' AND finished_at IS NOT NULL AND period BETWEEN $1 AND $2`;

/**
 * Per item over the whole range (viewers summed over days: viewer-days). The title is looked up
 * now, by the title rule, so a report names an item as statistics do, whenever its days were
 * rolled up.
 */
export const REPORT_TITLES = `
  WITH per_day AS (
    SELECT media_type, media_id, watch_seconds, viewers, completions
    FROM report_titles WHERE day BETWEEN $1 AND $2 AND day IN (${ROLLED_UP})
    UNION ALL
    SELECT media_type, media_id, watch_seconds, viewers, completions
    FROM (${TITLES_FROM_BUCKETS}) live WHERE day NOT IN (${ROLLED_UP})
  )
  SELECT g.media_type, g.media_id, ${itemTitleSql('g.media_type', 'g.media_id')} AS title, g.watch_seconds, g.viewers, g.completions
  FROM (
    SELECT media_type, media_id, sum(watch_seconds) AS watch_seconds, sum(viewers)::int AS viewers, sum(completions)::int AS completions
    FROM per_day GROUP BY media_type, media_id
  ) g`;

const REPORT_DAYS = `
  SELECT day::text, scope, watch_seconds, viewers, completions
  FROM report_days WHERE day BETWEEN $1 AND $2 AND day IN (${ROLLED_UP})
  UNION ALL
  SELECT day::text, scope, watch_seconds, viewers, completions
  FROM (${DAYS_FROM_BUCKETS}) live WHERE day NOT IN (${ROLLED_UP})`;

/** Per platform over the whole range (viewers summed over days: viewer-days), closed days from the roll-up. */
export const REPORT_PLATFORMS = `
  WITH per_day AS (
    SELECT platform, watch_seconds, viewers, completions
    FROM report_platforms WHERE day BETWEEN $1 AND $2 AND day IN (${ROLLED_UP})
    UNION ALL
    SELECT platform, watch_seconds, viewers, completions
    FROM (${PLATFORMS_FROM_SESSIONS}) live WHERE day NOT IN (${ROLLED_UP})
  )
  SELECT platform, sum(watch_seconds) AS watch_seconds, sum(viewers)::int AS viewers, sum(completions)::int AS completions
  FROM per_day GROUP BY platform`;

export interface PlatformRow {
  platform: string;
  watch_seconds: number;
  viewers: number;
  completions: number;
}

export interface TitleRow {
  media_type: MediaType;
  media_id: number;
  title: string | null;
  watch_seconds: number;
  viewers: number;
  completions: number;
}

export interface DayRow {
  day: string;
  scope: 'all' | 'movie' | 'tv';
  watch_seconds: number;
  viewers: number;
  completions: number;
}

@Injectable()
export class ReportingRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Rolls one UTC day up, replacing its rows, in one transaction under a transaction-level
   * advisory lock for the day and its unique claim row. Unless `force`, a day already rolled up
   * (by this or another instance) is left alone: returns false. A flush that adds time to a
   * rolled-up day (late offline heartbeats) clears its `finished_at`, so the next run redoes it.
   * A day not `closed` yet (today) is rolled up without being marked finished.
   */
  async rollupDay(day: string, force: boolean, closed = true): Promise<boolean> {
    return this.dataSource.transaction(async (m: EntityManager) => {
      // Serialises every instance and every flush on this day (the second roll-up sees the first one's finished claim).
      await m.query(LOCK_DAY, [day]);
      const [claim] = (await m.query(CLAIM, [WATCH_HOURS_JOB, day])) as { done: boolean }[];
      if (claim.done && !force) return false;
      await m.query(CLEAR_TITLES, [day]);
      await m.query(CLEAR_DAYS, [day]);
      await m.query(CLEAR_PLATFORMS, [day]);
      await m.query(FILL_TITLES, [day, day]);
      await m.query(FILL_DAYS, [day, day]);
      await m.query(FILL_PLATFORMS, [day, day]);
      await m.query(FINISH, [WATCH_HOURS_JOB, day, closed]);
      return true;
    });
  }

  async missedDays(today: string, since: string): Promise<string[]> {
    const rows = (await this.dataSource.query(MISSED_DAYS, [today, since])) as { day: string }[];
    return rows.map((r) => r.day);
  }

  async titleRows(from: string, to: string): Promise<TitleRow[]> {
    return this.dataSource.query(REPORT_TITLES, [from, to]) as Promise<TitleRow[]>;
  }

  async platformRows(from: string, to: string): Promise<PlatformRow[]> {
    return this.dataSource.query(REPORT_PLATFORMS, [from, to]) as Promise<PlatformRow[]>;
  }

  async dayRows(from: string, to: string): Promise<DayRow[]> {
    return this.dataSource.query(REPORT_DAYS, [from, to]) as Promise<DayRow[]>;
  }
}
