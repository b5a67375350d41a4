import 'reflect-metadata';
import cluster from 'node:cluster';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from './app.factory.js';
import { resolveHmacSecret } from './auth/dev-secret.js';
import { signToken } from './auth/sign-token.js';
import { CatalogService } from './catalog/catalog.service.js';
import { runPrimary } from './cluster/primary.js';
import { ConfigError, loadConfig, type AppConfig } from './config/app-config.js';
import { resolveDatabase } from './database/database-url.js';
import { EmbeddedPostgres, EmbeddedPostgresError } from './database/embedded-postgres.js';
import { migrateDatabase } from './database/run-migrations.js';
import { PinoNestLogger, rootLogger } from './logging/root-logger.js';

/**
 * Stopping (SPEC §4). SIGINT and SIGTERM, to the process or to its group, any number of times:
 * the first one starts the drain (writes answer 503), the final flush, closing, and stopping the
 * embedded database this process runs; every later one is logged and ignored. A terminal's
 * Ctrl-C on `npm start` delivers the signal twice (once from the terminal, once forwarded by
 * npm), so "a second signal forces the exit" would throw away the final flush.
 */
class StopSignal {
  private signal: NodeJS.Signals | null = null;
  private resolve!: (signal: NodeJS.Signals) => void;
  readonly received = new Promise<NodeJS.Signals>((r) => (this.resolve = r));

  constructor(private readonly logger: Logger) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => this.on(signal));
  }

  get requested(): boolean {
    return this.signal !== null;
  }

  private on(signal: NodeJS.Signals): void {
    if (this.signal) {
      this.logger.log(`${signal} received while stopping: ignored, the final flush goes on`);
      return;
    }
    this.signal = signal;
    this.logger.log(`${signal} received: refusing writes, flushing everything, then stopping`);
    this.resolve(signal);
  }
}

async function main(): Promise<number> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
  const interactive = process.stdout.isTTY === true;
  // Lines logged before the application exists use the same pino logger as the application.
  Logger.overrideLogger(new PinoNestLogger(rootLogger(config, interactive)));
  // WEB_CONCURRENCY > 1: this process starts the database and the workers, and exits by itself
  // once every worker has drained and flushed; each worker runs the code below.
  if (config.WEB_CONCURRENCY > 1 && cluster.isPrimary) {
    await runPrimary(config);
    return new Promise<number>(() => undefined);
  }
  const logger = new Logger('Playtime');
  const stop = new StopSignal(logger);

  let embedded: EmbeddedPostgres | null = null;
  let app: NestFastifyApplication | null = null;
  try {
    // A signal during start-up stops it after the current step, with the same clean ending.
    const pgLogger = new Logger('EmbeddedPostgres');
    const db = await resolveDatabase(config, (line) => pgLogger.log(line));
    embedded = db.embedded;
    if (!stop.requested) {
      const applied = await migrateDatabase(db.url);
      if (applied.length) logger.log(`migrations applied: ${applied.join(', ')}`);
    }
    if (!stop.requested) {
      app = await createApp({ config, databaseUrl: db.url, interactive });
      if (embedded) {
        const seeded = await app.get(CatalogService).seedDemoIfEmpty();
        if (seeded) logger.log(`demo catalogue loaded: ${seeded} entries`);
      }
    }
    if (app && !stop.requested) {
      await app.listen({ port: config.PORT, host: config.HOST });
      const base = `http://localhost:${config.PORT}`;
      logger.log(`Playtime listening on ${base} — API docs: ${base}/docs`);
      await printTryIt(config, base, interactive);
    }
    await stop.received;
  } catch (err) {
    if (err instanceof EmbeddedPostgresError) logger.error(err.message);
    else logger.error(`start-up failed: ${(err as Error).stack ?? String(err)}`);
    await app?.close().catch(() => undefined);
    await embedded?.stop().catch((e: Error) => logger.error(`could not stop the embedded PostgreSQL: ${e.message}`));
    if (err instanceof EmbeddedPostgresError) console.error(`\n${err.message}\n`);
    return 1;
  }

  // Drain and final flush happen in the batcher's beforeApplicationShutdown, then the server
  // and the pool close. Only after that may the embedded database stop.
  let code = 0;
  try {
    await app?.close();
  } catch (err) {
    logger.error(`shutdown failed: ${(err as Error).stack ?? String(err)}`);
    code = 1;
  }
  try {
    await embedded?.stop({ waitForClientsMs: config.SHUTDOWN_FLUSH_TIMEOUT_MS });
  } catch (err) {
    logger.error(`could not stop the embedded PostgreSQL: ${(err as Error).message}`);
    code = 1;
  }
  logger.log(code === 0 ? 'stopped cleanly' : 'stopped with errors');
  return code;
}

/**
 * In development-token mode, a ready-to-paste request that answers 202 and the read that shows
 * it. Human text: on stdout in a terminal, on stderr otherwise, so stdout stays JSON lines.
 */
async function printTryIt(config: AppConfig, base: string, interactive: boolean): Promise<void> {
  const hmac = resolveHmacSecret(config);
  if (!hmac?.dev) return;
  const token = await signToken(hmac.secret, 'demo-user', { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });
  // 30 s: a session's first heartbeat is credited at most 60 s (plausibility: 2 × the seconds
  // between its first and latest heartbeat + 60), so the read shows exactly what was sent.
  const body = JSON.stringify({
    sessionId: '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f', mediaType: 'movie', mediaId: 27205,
    currentTime: 600, totalDuration: 8880, playedSeconds: 30, title: 'Inception',
  });
  const text =
    `\nTry it (development token for "demo-user"; make your own with: npm run token -- <userId> [--admin]):\n\n` +
    `curl -i -X POST ${base}/v1/playtime -H 'Authorization: Bearer ${token}' -H 'Content-Type: application/json' -d '${body}'\n\n` +
    `curl -s '${base}/v1/history/movie/27205' -H 'Authorization: Bearer ${token}'\n\n` +
    `The read answers resumeAt 600 and totalPlayedSeconds 30 at once, before any flush. A session's first\n` +
    `heartbeat is credited at most 60 s: playedSeconds is clamped to 2 × (seconds since the session's first\n` +
    `heartbeat) + 60, so send it every 10–30 s with the seconds really played.\n`;
  (interactive ? process.stdout : process.stderr).write(text + '\n');
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
