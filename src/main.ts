import 'reflect-metadata';
import cluster from 'node:cluster';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory.js';
import { resolveHmacSecret } from './auth/dev-secret.js';
import { signToken } from './auth/sign-token.js';
import { CatalogService } from './catalog/catalog.service.js';
import { runPrimary } from './cluster/primary.js';
import { ConfigError, loadConfig, type AppConfig } from './config/app-config.js';
import { resolveDatabase } from './database/database-url.js';
import { migrateDatabase } from './database/run-migrations.js';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  // WEB_CONCURRENCY > 1: this process starts the database and the workers; each worker runs on.
  if (config.WEB_CONCURRENCY > 1 && cluster.isPrimary) return runPrimary(config);
  const logger = new Logger('Playtime');
  const { url, embedded } = await resolveDatabase(config);
  const applied = await migrateDatabase(url);
  if (applied.length) logger.log(`migrations applied: ${applied.join(', ')}`);

  const app = await createApp({ config, databaseUrl: url, interactive: process.stdout.isTTY === true });
  if (embedded) {
    const seeded = await app.get(CatalogService).seedDemoIfEmpty();
    if (seeded) logger.log(`demo catalogue loaded: ${seeded} entries`);
  }
  await app.listen({ port: config.PORT, host: config.HOST });
  const base = `http://localhost:${config.PORT}`;
  logger.log(`Playtime listening on ${base} — API docs: ${base}/docs`);
  await printTryIt(config, base);

  // SIGTERM: refuse new writes, flush everything (beforeApplicationShutdown), close the server
  // and the pool, stop the embedded database, exit 0. A second signal forces the exit.
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.log(`${signal} received: draining and flushing`);
    try {
      await app.close();
      await embedded?.stop({ owner: true });
      logger.log('stopped cleanly');
      process.exit(0);
    } catch (err) {
      logger.error(`shutdown failed: ${(err as Error).stack ?? String(err)}`);
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** In development-token mode, a ready-to-paste request that answers 202. */
async function printTryIt(config: AppConfig, base: string): Promise<void> {
  const hmac = resolveHmacSecret(config);
  if (!hmac?.dev) return;
  const token = await signToken(hmac.secret, 'demo-user', { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });
  const body = JSON.stringify({
    sessionId: '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f', mediaType: 'movie', mediaId: 27205,
    currentTime: 600, totalDuration: 8880, playedSeconds: 600, title: 'Inception',
  });
  console.log(
    `\nTry it (development token for "demo-user"; make your own with: npm run token -- <userId> [--admin]):\n\n` +
      `curl -i -X POST ${base}/v1/playtime -H 'Authorization: Bearer ${token}' -H 'Content-Type: application/json' -d '${body}'\n\n` +
      `curl -s '${base}/v1/history/movie/27205' -H 'Authorization: Bearer ${token}'\n`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
