import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Statistics count the history items a user started in a window (`first_watched_at`); without
 * this index that needs every history row of the user. The other statistics queries are served by
 * existing indexes: watch_buckets_key (user_id, hour, ...) and watch_history_user_recent
 * (user_id, last_watched_at DESC, id DESC).
 */
export class StatsIndexes1764000003000 implements MigrationInterface {
  name = 'StatsIndexes1764000003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX watch_history_user_started ON watch_history (user_id, first_watched_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX watch_history_user_started`);
  }
}
