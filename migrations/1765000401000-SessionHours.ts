import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Time counts in the hour it was played in (an offline batch covering three hours must not land
 * in the hour of its last heartbeat).
 *
 * - `watch_session_hours`: per session and UTC hour (of the heartbeats' event time), the largest
 *   `playedSeconds` seen in that hour and the seconds credited to that hour so far. The flush
 *   spreads a session's credited time over its hours from these maxima (see APPLY_BATCH).
 * - `watch_sessions.erased_s`: credited time of the session that a delete erased: never in any
 *   hour, so that sum(credited per hour) = credited_s − erased_s always.
 *
 * Existing sessions get one hour, the hour of their latest heartbeat: where their time was
 * counted until now.
 */
export class SessionHours1765000401000 implements MigrationInterface {
  name = 'SessionHours1765000401000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE watch_sessions ADD COLUMN erased_s double precision NOT NULL DEFAULT 0`);
    await q.query(`
      CREATE TABLE watch_session_hours (
        session_id    bigint           NOT NULL REFERENCES watch_sessions (id) ON DELETE CASCADE,
        hour          timestamptz      NOT NULL,
        max_played_s  double precision NOT NULL,
        credited_s    double precision NOT NULL,
        PRIMARY KEY (session_id, hour)
      )`);
    await q.query(`
      INSERT INTO watch_session_hours (session_id, hour, max_played_s, credited_s)
      SELECT id, date_trunc('hour', last_at, 'UTC'), max_played_s, credited_s FROM watch_sessions
      WHERE last_at <> '-infinity'::timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE watch_session_hours`);
    await q.query(`ALTER TABLE watch_sessions DROP COLUMN erased_s`);
  }
}
