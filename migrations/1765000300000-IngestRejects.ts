import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `ingest_rejects`: history items a flush could not store because the database refused their data
 * (SQLSTATE classes 22 and 23). They are set aside here so the rest of their batch is stored and
 * later flushes are not held up; an operator finds them by `key_hash` (the value logged).
 * `item` is the pending item as JSON text, not jsonb: jsonb refuses `\u0000`, and the insert that
 * sets an item aside must not fail for the very data that got it refused.
 */
export class IngestRejects1765000300000 implements MigrationInterface {
  name = 'IngestRejects1765000300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ingest_rejects (
        id             bigserial   PRIMARY KEY,
        rejected_at    timestamptz NOT NULL DEFAULT now(),
        key_hash       text        NOT NULL,
        user_id        text        NOT NULL,
        item_key       text        NOT NULL,
        error_code     text        NOT NULL,
        error_message  text        NOT NULL,
        item           text        NOT NULL
      )`);
    await q.query(`CREATE INDEX ingest_rejects_rejected_at ON ingest_rejects (rejected_at)`);
    await q.query(`CREATE INDEX ingest_rejects_key_hash ON ingest_rejects (key_hash)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ingest_rejects`);
  }
}
