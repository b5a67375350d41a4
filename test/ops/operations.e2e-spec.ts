import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { signToken } from '../../src/auth/sign-token.js';
import { createTestApp, movieHeartbeat, TEST_SECRET, type TestApp } from '../utils/create-app.js';
import { createTestDatabase } from '../utils/test-database.js';
import { ensureBuilt, startChild } from '../utils/child-server.js';
import { send } from '../utils/playback.js';
import { catalogEntry } from '../factories/catalog.factory.js';

/** The value of one sample in Prometheus text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return undefined;
}

describe('operations', () => {
  describe('/metrics', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ PLAYTIME_RATE_LIMIT: '3' });
      await catalogEntry(t, { mediaType: 'movie', mediaId: 550, title: 'Fight Club' });
    });
    afterAll(() => t.close());

    it('moves its counters after heartbeats, a rejection, a throttle, a flush and cache reads', async () => {
      const scrape = async () => {
        const res = await t.http().get('/metrics').expect(200);
        expect(res.headers['content-type']).toMatch(/^text\/plain/);
        return res.text;
      };
      const before = await scrape();
      expect(sample(before, 'playtime_heartbeats_accepted_total')).toBe(0);
      expect(sample(before, 'process_resident_memory_bytes')).toBeGreaterThan(0);

      const token = await t.token('metrics-user');
      await send(t, token, movieHeartbeat());
      await send(t, token, movieHeartbeat({ mediaId: 551 }));
      await t.http().post('/v1/playtime').set('Authorization', `Bearer ${token}`).send({ bad: true }).expect(400);
      await t.http().post('/v1/playtime').set('Authorization', `Bearer ${token}`).send(movieHeartbeat()).expect(429);
      let text = await scrape();
      expect(sample(text, 'playtime_heartbeats_accepted_total')).toBe(2);
      expect(sample(text, 'playtime_pending_items')).toBe(2);
      expect(sample(text, 'playtime_write_requests_rejected_total', { status_code: '400' })).toBe(1);
      expect(sample(text, 'playtime_write_requests_throttled_total')).toBe(1);
      expect(sample(text, 'http_request_duration_seconds_count', { method: 'POST', route: '/v1/playtime', status_code: '202' })).toBe(2);

      await t.batcher.flush();
      for (let i = 0; i < 2; i++) await t.http().get('/v1/catalog/movie/550').set('Authorization', `Bearer ${token}`).expect(200);
      text = await scrape();
      expect(sample(text, 'playtime_pending_items')).toBe(0);
      expect(sample(text, 'playtime_flush_duration_seconds_count')).toBe(1);
      expect(sample(text, 'playtime_flush_rows_sum')).toBe(6);
      expect(sample(text, 'playtime_flush_statements_sum')).toBe(6);
      expect(sample(text, 'playtime_flush_failures_total')).toBe(0);
      expect(sample(text, 'catalog_cache_misses_total')).toBe(1);
      expect(sample(text, 'catalog_cache_hits_total')).toBe(1);
    });
  });

  describe('/health/ready', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ PLAYTIME_MAX_PENDING: '10' });
    });
    afterAll(() => t.close());

    it('fails above 80 % of PLAYTIME_MAX_PENDING, before writes are refused, and recovers after a flush', async () => {
      const token = await t.token('ready-user');
      for (let i = 0; i < 7; i++) await send(t, token, movieHeartbeat({ mediaId: 100 + i }));
      await t.http().get('/health/ready').expect(200);
      await send(t, token, movieHeartbeat({ mediaId: 200 }));
      const res = await t.http().get('/health/ready').expect(503);
      expect(res.body).toMatchObject({ saturated: true, pendingItems: 8, database: 'up' });
      await send(t, token, movieHeartbeat({ mediaId: 201 })); // still accepted
      await t.batcher.flush();
      await t.http().get('/health/ready').expect(200);
      await t.http().get('/health/live').expect(200);
    });
  });

  describe('logs of the built server', () => {
    beforeAll(() => ensureBuilt(), 120_000);

    it('are JSON lines with a request id, one line per flush, and never a token or secret', async () => {
      const db = await createTestDatabase();
      const server = await startChild({ DATABASE_URL: db.url, JWT_SECRET: TEST_SECRET, PLAYTIME_FLUSH_INTERVAL_MS: '3600000', LOG_LEVEL: 'info' });
      try {
        const token = await signToken(TEST_SECRET, 'log-user');
        const requestId = `req-${randomUUID()}`;
        const res = await fetch(`${server.base}/v1/playtime`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-request-id': requestId },
          body: JSON.stringify(movieHeartbeat()),
        });
        expect(res.status).toBe(202);
        expect(res.headers.get('x-request-id')).toBe(requestId);
        const beacon = await fetch(`${server.base}/v1/playtime/beacon`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: JSON.stringify({ ...movieHeartbeat({ mediaId: 2 }), accessToken: token }),
        });
        expect(beacon.status).toBe(204);
        const generated = (await fetch(`${server.base}/v1/history/movie/550`, { headers: { authorization: `Bearer ${token}` } })).headers.get('x-request-id');
        expect(generated).toMatch(/^[0-9a-f-]{36}$/);
        server.child.kill('SIGTERM');
        expect(await server.exit).toBe(0);

        const out = server.output();
        expect(out).not.toContain(token);
        expect(out).not.toContain(TEST_SECRET);
        const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
        const request = lines.find((l) => (l.req as { id?: string } | undefined)?.id === requestId);
        expect(request).toMatchObject({ req: { method: 'POST', url: '/v1/playtime' }, res: { statusCode: 202 } });
        expect(typeof request!.responseTime).toBe('number');
        expect(lines.some((l) => (l.req as { url?: string } | undefined)?.url?.startsWith('/health'))).toBe(false);
        const flush = lines.filter((l) => l.msg === 'flush');
        expect(flush).toHaveLength(1);
        expect(flush[0]).toMatchObject({ items: 2, statements: 6 });
        expect(typeof flush[0].ms).toBe('number');
        const client = new pg.Client({ connectionString: db.url });
        await client.connect();
        const { rows } = await client.query('SELECT count(*)::int AS n FROM watch_history');
        await client.end();
        expect(rows[0].n).toBe(2);
      } finally {
        if (server.child.exitCode === null) server.child.kill('SIGKILL');
        await db.drop();
      }
    });
  });
});
