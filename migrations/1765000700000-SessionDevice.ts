import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `watch_sessions.device`: where the session plays (`{ id?, name?, platform? }` as the client sent
 * it), from the session's first heartbeat that named one. NULL for sessions without a device and
 * for every session stored before heartbeats could carry one.
 */
export class SessionDevice1765000700000 implements MigrationInterface {
  name = 'SessionDevice1765000700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE watch_sessions ADD COLUMN device jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE watch_sessions DROP COLUMN device`);
  }
}
