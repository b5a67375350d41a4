import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ingest schema.
 *
 * - `watch_history`: one row per user and item. Season and episode are NULL for movies; the unique
 *   key is NULLS NOT DISTINCT so a movie can never get two rows (plain UNIQUE treats NULLs as
 *   distinct and would let the upsert insert duplicates).
 * - `watch_sessions`: the largest `playedSeconds` seen per playback session and the time span of
 *   its heartbeats. Totals are the sum of per-session maxima, clamped for plausibility; keeping the
 *   maxima makes every flush idempotent, so retries never double-count.
 * - `watch_buckets`: seconds played per user, item and UTC hour, for statistics and reports.
 * - `history_tombstones`: when a user deleted an item, a show or everything, so that heartbeats
 *   received before the delete (still in some instance's memory) never bring it back.
 */
export class WatchHistory1764000000000 implements MigrationInterface {
  name = 'WatchHistory1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE watch_history (
        id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id              text             NOT NULL,
        media_type           text             NOT NULL CHECK (media_type IN ('movie', 'tv')),
        media_id             integer          NOT NULL CHECK (media_id > 0),
        season_number        integer          CHECK (season_number >= 0),
        episode_number       integer          CHECK (episode_number >= 1),
        title                text,
        current_time_s       double precision NOT NULL CHECK (current_time_s >= 0),
        total_duration_s     double precision NOT NULL CHECK (total_duration_s > 0),
        progress             smallint         NOT NULL CHECK (progress BETWEEN 0 AND 100),
        finished             boolean          NOT NULL DEFAULT false,
        completed_count      integer          NOT NULL DEFAULT 0,
        total_played_s       double precision NOT NULL DEFAULT 0,
        position_at          timestamptz      NOT NULL,
        first_watched_at     timestamptz      NOT NULL,
        last_watched_at      timestamptz      NOT NULL,
        CHECK ((media_type = 'movie' AND season_number IS NULL AND episode_number IS NULL)
            OR (media_type = 'tv' AND season_number IS NOT NULL AND episode_number IS NOT NULL))
      )`);
    await q.query(`
      CREATE UNIQUE INDEX watch_history_item_key ON watch_history
        (user_id, media_type, media_id, season_number, episode_number) NULLS NOT DISTINCT`);
    await q.query(`
      CREATE INDEX watch_history_user_recent ON watch_history (user_id, last_watched_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE watch_sessions (
        id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id         text             NOT NULL,
        session_id      uuid             NOT NULL,
        media_type      text             NOT NULL,
        media_id        integer          NOT NULL,
        season_number   integer,
        episode_number  integer,
        max_played_s    double precision NOT NULL DEFAULT 0,
        credited_s      double precision NOT NULL DEFAULT 0,
        first_at        timestamptz      NOT NULL,
        last_at         timestamptz      NOT NULL,
        completed       boolean          NOT NULL DEFAULT false
      )`);
    await q.query(`
      CREATE UNIQUE INDEX watch_sessions_key ON watch_sessions
        (user_id, session_id, media_type, media_id, season_number, episode_number) NULLS NOT DISTINCT`);

    await q.query(`
      CREATE TABLE watch_buckets (
        user_id         text             NOT NULL,
        media_type      text             NOT NULL,
        media_id        integer          NOT NULL,
        season_number   integer,
        episode_number  integer,
        hour            timestamptz      NOT NULL,
        seconds         double precision NOT NULL
      )`);
    await q.query(`
      CREATE UNIQUE INDEX watch_buckets_key ON watch_buckets
        (user_id, hour, media_type, media_id, season_number, episode_number) NULLS NOT DISTINCT`);
    await q.query(`CREATE INDEX watch_buckets_hour ON watch_buckets (hour)`);

    await q.query(`
      CREATE TABLE history_tombstones (
        user_id         text        NOT NULL,
        media_type      text,
        media_id        integer,
        season_number   integer,
        episode_number  integer,
        deleted_at      timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE UNIQUE INDEX history_tombstones_key ON history_tombstones
        (user_id, media_type, media_id, season_number, episode_number) NULLS NOT DISTINCT`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE history_tombstones`);
    await q.query(`DROP TABLE watch_buckets`);
    await q.query(`DROP TABLE watch_sessions`);
    await q.query(`DROP TABLE watch_history`);
  }
}
