import './utils/ts-resolve-hook.cjs';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { EmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { migrateDatabase } from '../src/database/run-migrations.js';
import { TEMPLATE_DB, serverUrl, withAdminClient } from './utils/test-database.js';

/**
 * Starts the embedded PostgreSQL (unless DATABASE_URL names a server), then builds a migrated
 * template database that each test file copies.
 */
export default async function globalSetup(): Promise<void> {
  // Tests that start the built service need dist/ up to date: build once here, never from
  // several workers at the same time, and only when something changed (as `npm start` does).
  execFileSync(process.execPath, [resolve('scripts/build-if-changed.mjs')], { stdio: 'inherit' });
  let base = process.env.DATABASE_URL;
  if (!base) {
    // A port picked free and kept under .data/test (as `npm start` does), or TEST_PG_PORT: a
    // fixed port with its own data directory, for test runs that want to choose.
    const fixed = process.env.TEST_PG_PORT ? Number(process.env.TEST_PG_PORT) : undefined;
    const pg = new EmbeddedPostgres(resolve(fixed ? `.data/test-${fixed}` : '.data/test'), fixed);
    base = await pg.start();
    (globalThis as { __embeddedPg?: EmbeddedPostgres }).__embeddedPg = pg;
  }
  process.env.PLAYTIME_TEST_SERVER_URL = base;
  await withAdminClient(async (c) => {
    const { rows } = await c.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 't\\_%' OR datname = $1`, [TEMPLATE_DB]);
    for (const { datname } of rows) await c.query(`DROP DATABASE ${datname} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${TEMPLATE_DB}`);
  });
  await migrateDatabase(serverUrl(TEMPLATE_DB));
}
