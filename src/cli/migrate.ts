import 'reflect-metadata';
import { ConfigError, loadConfig } from '../config/app-config.js';
import { resolveDatabase } from '../database/database-url.js';
import { migrateDatabase } from '../database/run-migrations.js';

/** `npm run migrate`: applies pending migrations (under the same advisory lock as start-up). */
async function main(): Promise<void> {
  const config = loadConfig();
  const { url, embedded } = await resolveDatabase(config);
  try {
    const applied = await migrateDatabase(url);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
  } finally {
    await embedded?.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
