import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Plays, curated continue watching, per-user settings and credits (SPEC §7).
 *
 * - `watch_sessions`: the position and `event` of the session's latest heartbeat (by event time),
 *   the position of its first (`from_time_s`), the furthest it got (`peak_progress`, `peak_time_s`: whether it
 *   reached the finished point is decided at flush time with the user's settings and the
 *   catalogue's credits), whether it is a play (`is_play`: credited seconds past a delete reached
 *   MIN_PLAY_SECONDS; never goes back) and whether its completion was counted (`counted`).
 *   Existing sessions: a completed one was counted; a play by the default threshold (60 s).
 * - `watch_history.has_play`: the item has a play; from then on only plays move its position and
 *   `last_watched_at`.
 * - `history_hidden`: hidden items and shows (season and episode NULL), with when. A heartbeat of
 *   the item (or of any episode of the show) received after `hidden_at` removes the row.
 * - `user_settings`: per-user thresholds; NULL means the service default.
 * - `credits_start_seconds` on movies and episodes: where the end credits begin.
 * - `watch_sessions_plays`: the plays log, newest first, as an index range scan.
 */
export class PlaysAndCuration1765000800000 implements MigrationInterface {
  name = 'PlaysAndCuration1765000800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE watch_sessions
        ADD COLUMN current_time_s   double precision,
        ADD COLUMN total_duration_s double precision,
        ADD COLUMN from_time_s      double precision,
        ADD COLUMN last_event       text,
        ADD COLUMN peak_progress    smallint         NOT NULL DEFAULT 0,
        ADD COLUMN peak_time_s      double precision NOT NULL DEFAULT 0,
        ADD COLUMN is_play          boolean          NOT NULL DEFAULT false,
        ADD COLUMN counted          boolean          NOT NULL DEFAULT false`);
    await q.query(`
      UPDATE watch_sessions SET counted = completed, peak_progress = CASE WHEN completed THEN 100 ELSE 0 END,
             is_play = (credited_s - erased_s) >= 60`);
    await q.query(`
      CREATE INDEX watch_sessions_plays ON watch_sessions (user_id, last_at DESC, id DESC) WHERE is_play AND NOT erased`);
    await q.query(`ALTER TABLE watch_history ADD COLUMN has_play boolean NOT NULL DEFAULT false`);
    await q.query(`
      UPDATE watch_history h SET has_play = true
      WHERE EXISTS (
        SELECT 1 FROM watch_sessions ws
        WHERE ws.user_id = h.user_id AND ws.media_type = h.media_type AND ws.media_id = h.media_id
          AND ws.season_number IS NOT DISTINCT FROM h.season_number
          AND ws.episode_number IS NOT DISTINCT FROM h.episode_number
          AND ws.is_play AND NOT ws.erased)`);
    await q.query(`
      CREATE TABLE history_hidden (
        user_id         text        NOT NULL,
        media_type      text        NOT NULL CHECK (media_type IN ('movie', 'tv')),
        media_id        integer     NOT NULL,
        season_number   integer,
        episode_number  integer,
        hidden_at       timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE UNIQUE INDEX history_hidden_key ON history_hidden
        (user_id, media_type, media_id, season_number, episode_number) NULLS NOT DISTINCT`);
    await q.query(`
      CREATE TABLE user_settings (
        user_id                 text        PRIMARY KEY,
        finished_percent        smallint    CHECK (finished_percent BETWEEN 50 AND 100),
        min_resume_percent      smallint    CHECK (min_resume_percent BETWEEN 0 AND 50),
        continue_watching_days  integer     CHECK (continue_watching_days BETWEEN 0 AND 3650),
        auto_delete_days        integer     CHECK (auto_delete_days = 0 OR auto_delete_days BETWEEN 30 AND 3650),
        updated_at              timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`ALTER TABLE catalog_items ADD COLUMN credits_start_seconds integer CHECK (credits_start_seconds > 0)`);
    await q.query(`ALTER TABLE catalog_episodes ADD COLUMN credits_start_seconds integer CHECK (credits_start_seconds > 0)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE catalog_episodes DROP COLUMN credits_start_seconds`);
    await q.query(`ALTER TABLE catalog_items DROP COLUMN credits_start_seconds`);
    await q.query(`DROP TABLE user_settings`);
    await q.query(`DROP TABLE history_hidden`);
    await q.query(`ALTER TABLE watch_history DROP COLUMN has_play`);
    await q.query(`DROP INDEX watch_sessions_plays`);
    await q.query(`
      ALTER TABLE watch_sessions
        DROP COLUMN current_time_s, DROP COLUMN total_duration_s, DROP COLUMN from_time_s, DROP COLUMN last_event, DROP COLUMN peak_progress,
        DROP COLUMN peak_time_s, DROP COLUMN is_play, DROP COLUMN counted`);
  }
}
