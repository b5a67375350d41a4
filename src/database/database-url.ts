import type { AppConfig } from '../config/app-config.js';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { ensureDatabase } from './ensure-database.js';

/**
 * `DATABASE_URL`, or the URL of the embedded PostgreSQL started under the data directory when it
 * is unset (on the port kept there, or `EMBEDDED_PG_PORT`). The caller owns the returned server
 * and stops it after the final flush. Progress lines go to `log`: by default to stderr, so that a
 * CLI's stdout (a CSV report) carries only its output.
 */
export async function resolveDatabase(
  config: AppConfig,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<{ url: string; embedded: EmbeddedPostgres | null }> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, embedded: null };
  const embedded = new EmbeddedPostgres(config.dataDir, config.EMBEDDED_PG_PORT, log);
  await embedded.start();
  const url = embedded.url('playtime');
  try {
    await ensureDatabase(url);
  } catch (err) {
    await embedded.stop().catch(() => undefined);
    throw err;
  }
  return { url, embedded };
}
