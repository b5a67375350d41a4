import cluster, { type Worker } from 'node:cluster';
import { Logger } from '@nestjs/common';
import { resolveHmacSecret } from '../auth/dev-secret.js';
import type { AppConfig } from '../config/app-config.js';
import { resolveDatabase } from '../database/database-url.js';
import { migrateDatabase } from '../database/run-migrations.js';

/** How long a worker that died on its own waits before it is replaced (no restart storm). */
const RESPAWN_DELAY_MS = 1000;

/**
 * `WEB_CONCURRENCY` > 1: this process forks that many workers, which all listen on one port
 * (node:cluster hands connections out in turn). Each worker is a whole service with its own
 * buffer; totals stay exact across workers as they do across instances.
 *
 * What only the primary does, once: start the embedded database (unless `DATABASE_URL`), run the
 * migrations, create the development token secret (so workers do not race to write it). Workers
 * get the database as `DATABASE_URL`.
 *
 * Shutdown: the first SIGINT/SIGTERM is passed to every worker once; repeats are ignored (npm and
 * a terminal's Ctrl-C deliver the same signal twice, and a second one must not cut a final flush
 * short). When every worker has drained, flushed and exited, the embedded database is stopped and
 * the primary exits 0, or 1 if a worker did not exit cleanly.
 */
export async function runPrimary(config: AppConfig): Promise<void> {
  const logger = new Logger('Cluster');
  const { url, embedded } = await resolveDatabase(config);
  const applied = await migrateDatabase(url);
  if (applied.length) logger.log(`migrations applied: ${applied.join(', ')}`);
  resolveHmacSecret(config);

  let stopping = false;
  let failed = false;
  const workers = new Set<Worker>();
  /** Workers that have listened since start-up; the operator's "ready" line comes when all have. */
  let listened = 0;
  const fork = () => {
    const w = cluster.fork({ DATABASE_URL: url });
    workers.add(w);
    let listening = false;
    w.once('listening', () => {
      listening = true;
      if (++listened === config.WEB_CONCURRENCY) logger.log(`all ${config.WEB_CONCURRENCY} workers listening on port ${config.PORT}`);
    });
    w.on('exit', (code, signal) => {
      workers.delete(w);
      if (stopping) {
        // A worker still starting has no handler yet and dies of the signal: it had accepted nothing.
        if (code !== 0 && !(signal && !listening)) {
          failed = true;
          logger.error(`worker ${w.process.pid} exited with ${signal ?? `code ${code}`} while stopping`);
        }
        if (workers.size === 0) void finish();
        return;
      }
      logger.error(`worker ${w.process.pid} exited with ${signal ?? `code ${code}`}: starting another`);
      setTimeout(() => {
        if (!stopping) fork();
      }, RESPAWN_DELAY_MS).unref();
    });
  };

  const finish = async () => {
    try {
      await embedded?.stop({ owner: true });
      logger.log(`stopped cleanly`);
    } catch (err) {
      failed = true;
      logger.error(`could not stop the embedded database: ${(err as Error).message}`);
    }
    process.exit(failed ? 1 : 0);
  };

  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: ${workers.size} workers draining and flushing`);
    if (workers.size === 0) {
      void finish();
      return;
    }
    for (const w of workers) w.process.kill(signal);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  for (let i = 0; i < config.WEB_CONCURRENCY; i++) fork();
  logger.log(`starting ${config.WEB_CONCURRENCY} workers on port ${config.PORT}`);
}
