import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { createApp } from '../../src/app.factory.js';
import { signToken } from '../../src/auth/sign-token.js';
import { loadConfig, type AppConfig } from '../../src/config/app-config.js';
import { PlaytimeBatcher } from '../../src/playtime/playtime.batcher.js';
import { FakeClock } from './fake-clock.js';
import { createTestDatabase } from './test-database.js';

export const TEST_SECRET = 'test-secret-test-secret-test-secret-0123456789';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  clock: FakeClock;
  batcher: PlaytimeBatcher;
  /** A direct connection pool for assertions on the tables. */
  db: pg.Pool;
  databaseUrl: string;
  http: () => ReturnType<typeof request>;
  token: (userId: string, opts?: { admin?: boolean }) => Promise<string>;
  close: () => Promise<void>;
}

/**
 * The real application (same factory as `main.ts`) on a fresh copy of the migrated template
 * database. The flush timer is effectively off (1 h) unless overridden: tests flush explicitly.
 */
export async function createTestApp(env: Record<string, string> = {}, opts: { databaseUrl?: string } = {}): Promise<TestApp> {
  const database = opts.databaseUrl ? null : await createTestDatabase();
  const databaseUrl = opts.databaseUrl ?? database!.url;
  const config = loadConfig(
    {
      NODE_ENV: 'test',
      JWT_SECRET: TEST_SECRET,
      PLAYTIME_FLUSH_INTERVAL_MS: '3600000',
      PLAYTIME_RATE_LIMIT: '1000',
      HISTORY_WRITE_RATE_LIMIT: '1000',
      PLAYTIME_IP_RATE_LIMIT: '100000',
      // Every test request comes from one address: tests of the failure limit set their own.
      AUTH_FAILURE_LIMIT: '100000',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
      PLAYTIME_DATA_DIR: '.data/test-app',
      // Every session a play, every item resumable, nothing stale: the rules of SPEC §4/§5 alone.
      // Tests of SPEC §7 (plays, short and stale items) pass the service defaults or their own.
      MIN_PLAY_SECONDS: '0',
      MIN_RESUME_DURATION_SECONDS: '0',
      CONTINUE_WATCHING_DAYS: '0',
      ...env,
    },
    null,
  );
  const clock = new FakeClock();
  const app = await createApp({ config, databaseUrl, clock });
  await app.getHttpAdapter().getInstance().ready();
  const db = new pg.Pool({ connectionString: databaseUrl, max: 3 });
  return {
    app,
    config,
    clock,
    batcher: app.get(PlaytimeBatcher),
    db,
    databaseUrl,
    http: () => request(app.getHttpServer()),
    token: (userId, o = {}) => signToken(TEST_SECRET, userId, o),
    close: async () => {
      await app.close();
      await db.end();
      await database?.drop();
    },
  };
}

/** A valid movie heartbeat; override any field. */
export function movieHeartbeat(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sessionId: randomUUID(),
    mediaType: 'movie',
    mediaId: 550,
    currentTime: 100,
    totalDuration: 8400,
    playedSeconds: 10,
    event: 'progress',
    title: 'Inception',
    ...over,
  };
}

export function episodeHeartbeat(over: Record<string, unknown> = {}): Record<string, unknown> {
  return movieHeartbeat({ mediaType: 'tv', mediaId: 1399, seasonNumber: 1, episodeNumber: 1, totalDuration: 3600, title: 'Winter Is Coming', ...over });
}
