import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `watch_sessions.play_base_s`: the session's credited seconds when a delete of its item erased
 * it. If the session goes on, only what it gains beyond this makes it a play in the new history
 * (SPEC §7: after a delete, a play is judged on what was played after it). Statistics keep the
 * erased time (an item delete keeps them), so `erased_s` cannot carry this.
 */
export class PlayBase1765000810000 implements MigrationInterface {
  name = 'PlayBase1765000810000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE watch_sessions ADD COLUMN play_base_s double precision NOT NULL DEFAULT 0`);
    await q.query(`UPDATE watch_sessions SET play_base_s = credited_s, is_play = false WHERE erased`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE watch_sessions DROP COLUMN play_base_s`);
  }
}
