import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `maintenance_runs`: one row per maintenance job and UTC day (auto-delete, SPEC §9), claimed with
 * an INSERT … ON CONFLICT so that one instance runs the day's job when every instance's cron
 * fires. The job works in many short transactions, so no transaction-level lock can cover it: a
 * claim whose run died (`finished_at` still NULL long after `claimed_at`) may be taken over.
 * Kept apart from `report_runs`, whose rows a flush marks stale.
 */
export class MaintenanceRuns1765001000000 implements MigrationInterface {
  name = 'MaintenanceRuns1765001000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE maintenance_runs (
        job          text        NOT NULL,
        period       date        NOT NULL,
        claimed_at   timestamptz NOT NULL,
        finished_at  timestamptz,
        PRIMARY KEY (job, period)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE maintenance_runs`);
  }
}
