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
import { Counter, nextLine } from '../utils/events.js';
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

/** Resolves once the service's own counter says nothing is pending any more (all of it flushed). */
async function drained(server: ChildServer): Promise<void> {
  const admin = await signToken(TEST_SECRET, 'ops', { admin: true });
  for (;;) {
    const c = (await fetch(`${server.base}/v1/admin/ingest`, { headers: { authorization: `Bearer ${admin}` } }).then((r) => r.json())) as { pendingItems: number };
    if (c.pendingItems === 0) return;
    await new Promise((r) => setTimeout(r, 100)); // between two reads of the counter, not a wait for an outcome
  }
}

/** Drives `audience` against `server` until `stop` is called; `ticks` counts the rounds it completed. */
function load(audience: Audience, base: () => string, pauseMs = 50): { ticks: Counter; stop: () => Promise<void> } {
  const ticks = new Counter();
  let running = true;
  let first = true;
  const done = audience.runWhile(
    base,
    () => {
      if (!first) ticks.bump(); // called before each round: every call but the first ends one
      first = false;
      return running;
    },
    600_000,
    pauseMs,
  );
  return {
    ticks,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

/** Faults under load, on the built service as its own process: nothing accepted is lost. */
describe('faults under load', () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it('PostgreSQL stopped: every heartbeat answered 202 is stored, exactly, once it is back', async () => {
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
      const traffic = load(audience, () => server.base);
      await traffic.ticks.after(5);
      // Three failed flushes: the service has met the outage and backed off more than once.
      const flushesFailed = nextLine(server.child, /flush of \d+ items failed/, 3);
      await db.stop();
      await flushesFailed;
      const accepted = audience.acceptedCount;
      await traffic.ticks.after(5);
      expect(audience.acceptedCount).toBeGreaterThan(accepted); // writes kept being accepted
      await db.start();
      await traffic.ticks.after(5);
      await traffic.stop();
      await drained(server);
      // SPEC §4: a heartbeat answered 202 is stored even if the database was unavailable. Those
      // refused (503 past PLAYTIME_MAX_PENDING) may be missing; nothing else may.
      expect(await stored(url)).toEqual(audience.expected());
    } finally {
      server.child.kill('SIGKILL');
      await db.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('SIGTERM under load: exit 0, and everything answered 202 is stored, exactly', async () => {
    const db = await createTestDatabase();
    const server = await startChild({ ...SERVICE_ENV, PLAYTIME_FLUSH_INTERVAL_MS: '3600000', DATABASE_URL: db.url });
    try {
      const audience = await Audience.create(TEST_SECRET, 25);
      const traffic = load(audience, () => server.base, 10);
      await traffic.ticks.after(5);
      server.child.kill('SIGTERM');
      expect(await server.exit).toBe(0);
      await traffic.stop();
      expect(audience.acceptedCount).toBeGreaterThan(0);
      expect(await stored(db.url)).toEqual(audience.expected());
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
      await db.drop();
    }
  }, 60_000);

  it('SIGKILL: only what came after the last flush is missing, and the next heartbeat of each session restores the totals', async () => {
    const db = await createTestDatabase();
    let server = await startChild({ ...SERVICE_ENV, PLAYTIME_FLUSH_INTERVAL_MS: '1000', DATABASE_URL: db.url });
    try {
      const audience = await Audience.create(TEST_SECRET, 25);
      let traffic = load(audience, () => server.base, 20);
      await traffic.ticks.after(5);
      await traffic.stop();
      await drained(server);
      const flushed = audience.expected();
      expect(await stored(db.url)).toEqual(flushed);

      traffic = load(audience, () => server.base, 20);
      await traffic.ticks.after(3);
      server.child.kill('SIGKILL');
      await server.exit;
      await traffic.stop();
      const expected = audience.expected();
      const afterKill = await stored(db.url);
      // Everything stored by a finished flush is there; what is missing came after it.
      expect([...afterKill.keys()].sort()).toEqual([...flushed.keys()].sort());
      for (const [key, want] of expected) {
        const got = afterKill.get(key)!;
        expect(got.total).toBeGreaterThanOrEqual(flushed.get(key)!.total);
        expect(got.total).toBeLessThanOrEqual(want.total);
        expect(got.position).toBeGreaterThanOrEqual(flushed.get(key)!.position);
        expect(got.position).toBeLessThanOrEqual(want.position);
      }

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
