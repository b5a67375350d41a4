import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Bookkeeping that makes deletes exact and lets their tombstones be pruned.
 *
 * - `ingest_instances`: every running instance reports, on each tick, the receipt time of the
 *   oldest heartbeat it holds unflushed (`low_water`; its clock's now when it holds nothing) and
 *   when it reported (`seen_at`). Data an instance receives later has a later receipt time, so no
 *   instance can hold data received before its `low_water`. A delete needs a tombstone only while
 *   some other instance may still hold data received before it, and a tombstone can go once every
 *   live instance's `low_water` is past it.
 * - `watch_sessions.erased`: the session holds only time a delete erased. It is kept as the
 *   baseline so that the session, if it goes on, only counts new time; reads and exports skip it.
 * - `history_tombstones (deleted_at)`: the pruning scan.
 */
export class DeleteBookkeeping1765000400000 implements MigrationInterface {
  name = 'DeleteBookkeeping1765000400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ingest_instances (
        instance_id  uuid        PRIMARY KEY,
        low_water    timestamptz NOT NULL,
        seen_at      timestamptz NOT NULL
      )`);
    await q.query(`ALTER TABLE watch_sessions ADD COLUMN erased boolean NOT NULL DEFAULT false`);
    await q.query(`CREATE INDEX history_tombstones_deleted_at ON history_tombstones (deleted_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX history_tombstones_deleted_at`);
    await q.query(`ALTER TABLE watch_sessions DROP COLUMN erased`);
    await q.query(`DROP TABLE ingest_instances`);
  }
}
