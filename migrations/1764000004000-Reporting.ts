import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Daily watch-hour reports.
 * - `watch_buckets.completions`: sessions that reached FINISHED_PERCENT in that hour, so reports
 *   can count completions per day.
 * - `report_titles`: per UTC day and title (tv episodes grouped per show): seconds, distinct
 *   viewers, completions. `report_days`: the same per day for all titles ('all') and per media type.
 * - `report_runs`: one row per job and day, claimed with ON CONFLICT DO NOTHING, so a day is
 *   rolled up by exactly one instance even when the cron fires on all of them.
 */
export class Reporting1764000004000 implements MigrationInterface {
  name = 'Reporting1764000004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE watch_buckets ADD COLUMN completions integer NOT NULL DEFAULT 0`);
    await q.query(`
      CREATE TABLE report_titles (
        day            date             NOT NULL,
        media_type     text             NOT NULL,
        media_id       integer          NOT NULL,
        title          text,
        watch_seconds  double precision NOT NULL,
        viewers        integer          NOT NULL,
        completions    integer          NOT NULL,
        PRIMARY KEY (day, media_type, media_id)
      )`);
    await q.query(`
      CREATE TABLE report_days (
        day            date             NOT NULL,
        scope          text             NOT NULL CHECK (scope IN ('all', 'movie', 'tv')),
        watch_seconds  double precision NOT NULL,
        viewers        integer          NOT NULL,
        completions    integer          NOT NULL,
        PRIMARY KEY (day, scope)
      )`);
    await q.query(`
      CREATE TABLE report_runs (
        job          text        NOT NULL,
        period       date        NOT NULL,
        claimed_at   timestamptz NOT NULL DEFAULT now(),
        finished_at  timestamptz,
        PRIMARY KEY (job, period)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE report_runs`);
    await q.query(`DROP TABLE report_days`);
    await q.query(`DROP TABLE report_titles`);
    await q.query(`ALTER TABLE watch_buckets DROP COLUMN completions`);
  }
}
