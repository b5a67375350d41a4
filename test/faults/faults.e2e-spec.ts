import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { ensureDatabase } from '../../src/database/ensure-database.js';
import { migrateDatabase } from '../../src/database/run-migrations.js';
import { signToken } from '../../src/auth/sign-token.js';
import { HttpAudience as Audience } from '../utils/http-audience.js';
import { TEST_SECRET } from '../utils/create-app.js';
import { ensureBuilt, freePort, startChild, type ChildServer } from '../utils/child-server.js';
import { createTestDatabase } from '../utils/test-database.js';

const SERVICE_ENV = {
  JWT_SECRET: TEST_SECRET,
  PLAYTIME_FLUSH_INTERVAL_MS: '500',
  PLAYTIME_RATE_LIMIT: '100000',
  PLAYTIME_IP_RATE_LIMIT: '1000000',
  LOG_LEVEL: 'warn',
};

async function stored(url: string): Promise<Map<string, { total: number; position: number }>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query(`SELECT user_id, media_id, total_played_s, current_time_s FROM watch_history`);
  await client.end();
  return new Map(rows.map((r) => [`${r.user_id}/${r.media_id}`, { total: r.total_played_s, position: r.current_time_s }]));
}

async function drained(server: ChildServer): Promise<void> {
  const admin = await signToken(TEST_SECRET, 'ops', { admin: true });
  const end = Date.now() + 60_000;
  for (;;) {
    const c = (await fetch(`${server.base}/v1/admin/ingest`, { headers: { authorization: `Bearer ${admin}` } }).then((r) => r.json())) as { pendingItems: number };
    if (c.pendingItems === 0) return;
    if (Date.now() > end) throw new Error(`still pending: ${JSON.stringify(c)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Faults under load, on the built service as its own process: nothing accepted is lost. */
describe('faults under load', () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it('PostgreSQL stopped for 10 s: every accepted heartbeat is stored once it is back', async () => {
    mkdirSync(resolve('.data'), { recursive: true });
    const dir = mkdtempSync(resolve('.data/fault-pg-'));
    const db = new EmbeddedPostgres(dir, await freePort());
    await db.start();
    const url = db.url('playtime');
    await ensureDatabase(url);
    await migrateDatabase(url);
    const server = await startChild({ ...SERVICE_ENV, DATABASE_URL: url });
    try {
      const audience = await Audience.create(TEST_SECRET, 25);
      let phase = 'before';
      const load = audience.runWhile(() => server.base, () => phase !== 'done', 60_000);
      await new Promise((r) => setTimeout(r, 1500));
      await db.stop();
      phase = 'outage';
      const accepted = audience.acceptedCount;
      await new Promise((r) => setTimeout(r, 10_000));
      expect(audience.acceptedCount).toBeGreaterThan(accepted); // writes kept being accepted
      await db.start();
      phase = 'after';
      await new Promise((r) => setTimeout(r, 1500));
      phase = 'done';
      await load;
      await drained(server);
      expect(await stored(url)).toEqual(audience.expected());
    } finally {
      server.child.kill('SIGKILL');
      await db.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('SIGTERM under load: exit 0, and everything accepted is stored', async () => {
    const db = await createTestDatabase();
    const server = await startChild({ ...SERVICE_ENV, PLAYTIME_FLUSH_INTERVAL_MS: '3600000', DATABASE_URL: db.url });
    try {
      const audience = await Audience.create(TEST_SECRET, 25);
      let running = true;
      const load = audience.runWhile(() => server.base, () => running, 30_000, 10);
      await new Promise((r) => setTimeout(r, 1500));
      server.child.kill('SIGTERM');
      expect(await server.exit).toBe(0);
      running = false;
      await load;
      expect(audience.acceptedCount).toBeGreaterThan(0);
      expect(await stored(db.url)).toEqual(audience.expected());
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
      await db.drop();
    }
  }, 60_000);

  it('SIGKILL: at most the last flush window is missing, and the next heartbeat of each session restores the totals', async () => {
    const db = await createTestDatabase();
    let server = await startChild({ ...SERVICE_ENV, PLAYTIME_FLUSH_INTERVAL_MS: '1000', DATABASE_URL: db.url });
    try {
      const audience = await Audience.create(TEST_SECRET, 25);
      let running = true;
      const load = audience.runWhile(() => server.base, () => running, 30_000, 20);
      await new Promise((r) => setTimeout(r, 2500));
      server.child.kill('SIGKILL');
      await server.exit;
      running = false;
      await load;
      const expected = audience.expected();
      const afterKill = await stored(db.url);
      // some of the last window may be missing, nothing more: every stored total is behind or equal
      for (const [key, want] of expected) {
        const got = afterKill.get(key);
        if (got) expect(got.total).toBeLessThanOrEqual(want.total);
      }
      expect(afterKill.size).toBeGreaterThan(0);

      server = await startChild({ ...SERVICE_ENV, PLAYTIME_FLUSH_INTERVAL_MS: '200', DATABASE_URL: db.url });
      await audience.tick(() => server.base); // each live session's next heartbeat
      await drained(server);
      expect(await stored(db.url)).toEqual(audience.expected());
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
      await db.drop();
    }
  }, 90_000);
});
