import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Now playing, concurrency and watch hours per platform (SPEC §6).
 *
 * - `watch_sessions_span`: GiST on the session's span, the closed range first..latest heartbeat.
 *   Both reads ask which sessions overlap a time range: now playing ([now − 60 s, ∞)) and the
 *   concurrency report (a month, say). A B-tree on `first_at` or `last_at` bounds only one end of
 *   a span, so for any window that is not the newest data it reads every session on one side of
 *   the window (and the planner falls back to a sequential scan); overlap is what a range index
 *   answers. One index serves both reads: the flush moves `last_at` of every session it touches,
 *   so every extra index on it is written on every flush. `GREATEST` keeps the range valid for
 *   the empty span a new row holds inside the flush (first_at +∞, last_at −∞).
 * - `watch_session_hours_hour`: the platform report reads a window of hours across sessions; the
 *   key (session_id, hour) cannot serve that. `hour` never changes, so upserts stay HOT.
 * - `report_platforms`: the daily roll-up per platform, beside `report_days`, so closed days keep
 *   their totals after the sessions behind them are deleted (as the other groupings do). Days
 *   already rolled up are filled from the sessions still stored.
 */
export class SessionSpans1765000900000 implements MigrationInterface {
  name = 'SessionSpans1765000900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX watch_sessions_span ON watch_sessions
        USING gist (tstzrange(first_at, GREATEST(first_at, last_at), '[]'))`);
    await q.query(`CREATE INDEX watch_session_hours_hour ON watch_session_hours (hour)`);
    await q.query(`
      CREATE TABLE report_platforms (
        day            date             NOT NULL,
        platform       text             NOT NULL,
        watch_seconds  double precision NOT NULL,
        viewers        integer          NOT NULL,
        completions    integer          NOT NULL,
        PRIMARY KEY (day, platform)
      )`);
    await q.query(`
      INSERT INTO report_platforms (day, platform, watch_seconds, viewers, completions)
      SELECT day, platform, sum(seconds), count(DISTINCT user_id), sum(completions)
      FROM (
        SELECT (sh.hour AT TIME ZONE 'UTC')::date AS day, COALESCE(NULLIF(ws.device->>'platform', ''), 'unknown') AS platform,
               ws.user_id, sh.credited_s AS seconds, 0 AS completions
        FROM watch_session_hours sh JOIN watch_sessions ws ON ws.id = sh.session_id
        WHERE sh.credited_s > 0
        UNION ALL
        SELECT (ws.last_at AT TIME ZONE 'UTC')::date, COALESCE(NULLIF(ws.device->>'platform', ''), 'unknown'), ws.user_id, 0, 1
        FROM watch_sessions ws WHERE ws.counted AND isfinite(ws.last_at)
      ) p
      WHERE day IN (SELECT period FROM report_runs WHERE job = 'watch-hours' AND finished_at IS NOT NULL)
      GROUP BY day, platform`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE report_platforms`);
    await q.query(`DROP INDEX watch_session_hours_hour`);
    await q.query(`DROP INDEX watch_sessions_span`);
  }
}
