import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { signToken } from '../../src/auth/sign-token.js';
import { TEST_SECRET, movieHeartbeat } from '../utils/create-app.js';
import { ensureBuilt, startChild, type ChildServer } from '../utils/child-server.js';
import { outputWhere } from '../utils/events.js';
import { createTestDatabase } from '../utils/test-database.js';
import { metricValue, startRedis, type RedisServer } from './redis-server.js';

/**
 * The built service (`node dist/src/main.js`) as two real processes on one database and one
 * Redis, as deploy/compose.yaml runs it.
 */
describe('two built instances (separate processes) with Redis', () => {
  let redis: RedisServer;
  let db: { url: string; drop: () => Promise<void> };
  let a: ChildServer;
  let b: ChildServer;

  beforeAll(async () => {
    ensureBuilt();
    redis = await startRedis();
    db = await createTestDatabase();
    const env = { DATABASE_URL: db.url, REDIS_URL: redis.url, JWT_SECRET: TEST_SECRET, PLAYTIME_RATE_LIMIT: '3', PLAYTIME_FLUSH_INTERVAL_MS: '3600000' };
    a = await startChild(env);
    b = await startChild(env);
  }, 180_000);
  afterAll(async () => {
    for (const s of [a, b]) if (s && s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    await redis?.stop();
    await db?.drop();
  });

  const post = async (s: ChildServer, userId: string, body: Record<string, unknown>) =>
    fetch(`${s.base}/v1/playtime`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await signToken(TEST_SECRET, userId)}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const metric = async (s: ChildServer, component: string) =>
    metricValue(await (await fetch(`${s.base}/metrics`)).text(), 'playtime_redis_fallbacks_total', { component });

  // One scenario in two phases, in this order (the second kills Redis and stops both processes),
  // so a random test order cannot run the second before the first.
  async function shareRedisAndTheLimit(): Promise<void> {
    for (const s of [a, b]) {
      await outputWhere(s, (out) => out.includes('connected to Redis'));
      expect(s.output()).toContain('connected to Redis');
    }
    for (let i = 0; i < 3; i++) expect((await post(a, 'built-alice', movieHeartbeat({ mediaId: 30 + i }))).status).toBe(202);
    const refused = await post(b, 'built-alice', movieHeartbeat({ mediaId: 39 }));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  }

  it('say they share Redis and the per-user limit; keep heartbeats flowing after Redis is killed, say so in logs and metrics, and still exit 0 on SIGTERM with everything stored', async () => {
    await shareRedisAndTheLimit();
    // One session whose heartbeats alternate between the two processes, before and after the kill.
    const sessionId = randomUUID();
    const beat = (s: ChildServer, n: number) => post(s, 'built-carol', movieHeartbeat({ sessionId, mediaId: 40, playedSeconds: 10 * n, currentTime: 1000 + 10 * n }));
    expect((await beat(a, 1)).status).toBe(202);
    expect((await beat(b, 2)).status).toBe(202);

    await redis.kill();
    expect((await beat(a, 3)).status).toBe(202);
    expect((await post(b, 'built-dave', movieHeartbeat({ mediaId: 41, playedSeconds: 25 }))).status).toBe(202);
    expect(await metric(a, 'throttler')).toBeGreaterThan(0);
    expect(await metric(b, 'throttler')).toBeGreaterThan(0);
    await outputWhere(a, (out) => out.includes('Redis unavailable for the throttler'));
    const catalogue = await fetch(`${b.base}/v1/catalog?search=x`, { headers: { authorization: `Bearer ${await signToken(TEST_SECRET, 'built-dave')}` } });
    expect(catalogue.status).toBe(200);

    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect(await Promise.all([a.exit, b.exit])).toEqual([0, 0]);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT user_id, media_id, total_played_s, current_time_s FROM watch_history WHERE user_id IN ('built-carol', 'built-dave') ORDER BY media_id`,
      );
      // Cumulative playedSeconds: the total is the session's largest value, whichever process had it.
      expect(rows).toEqual([
        { user_id: 'built-carol', media_id: 40, total_played_s: 30, current_time_s: 1030 },
        { user_id: 'built-dave', media_id: 41, total_played_s: 25, current_time_s: 100 },
      ]);
    } finally {
      await client.end();
    }
  }, 120_000);
});
