import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The title rule (src/watch/title.ts) looks up the most recent title any heartbeat carried for an
 * item, across users. This index makes that the first entry of one index range, instead of a scan
 * of every history row of the item. Partial: rows without a title are never the answer.
 */
export class ItemTitleIndex1765000500000 implements MigrationInterface {
  name = 'ItemTitleIndex1765000500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX watch_history_item_title ON watch_history (media_type, media_id, last_watched_at DESC, id DESC)
      WHERE title IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX watch_history_item_title`);
  }
}
