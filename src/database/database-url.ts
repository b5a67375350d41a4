import { Logger } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { ensureDatabase } from './ensure-database.js';

/**
 * `DATABASE_URL`, or the URL of the embedded PostgreSQL started under the data directory when it
 * is unset. The caller owns the returned server and stops it after the final flush.
 */
export async function resolveDatabase(config: AppConfig): Promise<{ url: string; embedded: EmbeddedPostgres | null }> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, embedded: null };
  const logger = new Logger('EmbeddedPostgres');
  const embedded = new EmbeddedPostgres(config.dataDir, config.EMBEDDED_PG_PORT, (line) => logger.log(line));
  await embedded.start();
  const url = embedded.url('playtime');
  await ensureDatabase(url);
  return { url, embedded };
}
