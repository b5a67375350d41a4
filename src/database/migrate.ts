import type { DataSource } from 'typeorm';
import { LOCK_IDS } from '../watch/lock-ids.js';

/** The advisory lock key that serialises migrations across instances. */
const MIGRATION_LOCK_KEY = LOCK_IDS.migrations;

/**
 * Runs pending migrations while holding a session-level advisory lock on one dedicated
 * connection (taken and released on that same connection), so two instances starting together
 * never run the same migration twice. Each migration runs in its own transaction.
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const done = await dataSource.runMigrations({ transaction: 'each' });
      return done.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
