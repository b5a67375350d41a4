import http from 'node:http';
import pg from 'pg';
import { signToken } from '../../src/auth/sign-token.js';
import { TEST_SECRET, movieHeartbeat } from '../utils/create-app.js';
import { ensureBuilt, startChild, type ChildServer } from '../utils/child-server.js';
import { outputWhere } from '../utils/events.js';
import { createTestDatabase } from '../utils/test-database.js';

const USERS = 40;

/** One POST on a connection of its own (no keep-alive), so node:cluster hands each to a worker in turn. */
function postAlone(base: string, token: string, body: Record<string, unknown>): Promise<number> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}/v1/playtime`,
      { method: 'POST', agent: false, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** The pids of the processes that logged a heartbeat request (pino's request lines carry `pid`). */
function heartbeatPids(output: string): number[] {
  const pids: number[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{') || !line.includes('"/v1/playtime"')) continue;
    const entry = JSON.parse(line) as { pid?: number; req?: { url?: string }; res?: { statusCode?: number } };
    if (entry.req?.url === '/v1/playtime' && entry.res?.statusCode === 202 && entry.pid) pids.push(entry.pid);
  }
  return pids;
}

describe('WEB_CONCURRENCY=2: the built service as one primary and two workers on one port', () => {
  let db: { url: string; drop: () => Promise<void> };
  let s: ChildServer;

  beforeAll(async () => {
    ensureBuilt();
    db = await createTestDatabase();
    // No flush before the shutdown: everything stored was flushed by the workers' final flush.
    s = await startChild({ WEB_CONCURRENCY: '2', DATABASE_URL: db.url, JWT_SECRET: TEST_SECRET, PLAYTIME_FLUSH_INTERVAL_MS: '3600000' });
  }, 180_000);
  afterAll(async () => {
    if (s && s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    await db?.drop();
  });

  it('takes heartbeats through both workers, and after SIGTERM (sent twice) stores every accepted one and exits 0', async () => {
    // The port answers as soon as one worker listens: send nothing before both do.
    await outputWhere(s, (out) => out.includes('all 2 workers listening'));
    const statuses: number[] = [];
    for (let i = 0; i < USERS; i++) {
      statuses.push(await postAlone(s.base, await signToken(TEST_SECRET, `cluster-${i}`), movieHeartbeat({ mediaId: 7000 + i, playedSeconds: 10 + i })));
    }
    expect(statuses).toEqual(Array(USERS).fill(202));

    // Every request line is logged once the response is sent: wait for all of them.
    await outputWhere(s, (out) => heartbeatPids(out).length >= USERS);
    const pids = heartbeatPids(s.output());
    expect(pids).toHaveLength(USERS);
    const workers = new Set(pids);
    expect(workers.size).toBe(2);
    expect(workers.has(s.child.pid!)).toBe(false);

    // A repeated signal (npm forwarding a group's Ctrl-C) must not cut the final flush short.
    s.child.kill('SIGTERM');
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
    // Each worker flushed its own buffer before exiting.
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();

    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const { rows } = await c.query<{ user_id: string; media_id: number; total_played_s: number }>(
        `SELECT user_id, media_id, total_played_s FROM watch_history WHERE user_id LIKE 'cluster-%' ORDER BY media_id`,
      );
      expect(rows).toEqual(Array.from({ length: USERS }, (_, i) => ({ user_id: `cluster-${i}`, media_id: 7000 + i, total_played_s: 10 + i })));
    } finally {
      await c.end();
    }
  });
});
