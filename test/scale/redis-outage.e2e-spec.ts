import { randomUUID } from 'node:crypto';
import { createTestApp, movieHeartbeat, type TestApp } from '../utils/create-app.js';
import { metricValue, startRedis, type RedisServer } from './redis-server.js';

const FALLBACKS = 'playtime_redis_fallbacks_total';

async function fallbacks(t: TestApp, component: 'throttler' | 'cache'): Promise<number> {
  const scrape = (await t.http().get('/metrics').expect(200)).text;
  return metricValue(scrape, FALLBACKS, { component });
}

async function timed<T>(fn: () => PromiseLike<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await fn();
  return [value, performance.now() - started];
}

/** Redis is an optimisation: killing it never takes heartbeats (or catalogue reads) down. */
describe('Redis killed (kill -9) under a running instance', () => {
  let redis: RedisServer;
  let t: TestApp;
  let admin: string;
  let viewer: string;
  beforeAll(async () => {
    redis = await startRedis();
    t = await createTestApp({ REDIS_URL: redis.url, PLAYTIME_RATE_LIMIT: '5', CATALOG_CACHE_TTL_MS: '600000' });
    admin = `Bearer ${await t.token('outage-admin', { admin: true })}`;
    viewer = `Bearer ${await t.token('outage-viewer')}`;
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  const heartbeat = (userId: string, body: Record<string, unknown>) =>
    t.token(userId).then((token) => t.http().post('/v1/playtime').set('Authorization', `Bearer ${token}`).send(body));

  it('uses Redis while it is up: no fallback, throttler and catalogue keys in Redis', async () => {
    await t.http().put('/v1/admin/catalog/movie/777').set('Authorization', admin).send({ title: 'Outage', runtimeSeconds: 5400 }).expect(200);
    expect((await t.http().get('/v1/catalog/movie/777').set('Authorization', viewer).expect(200)).body.title).toBe('Outage');
    expect((await heartbeat('outage-before', movieHeartbeat({ mediaId: 777 }))).status).toBe(202);
    const probe = redis.client();
    expect(await probe.keys('playtime:throttler:user:*outage-before*')).toHaveLength(1);
    expect((await probe.keys('playtime::catalog:*')).length).toBeGreaterThanOrEqual(2); // the version key and the item
    expect(await fallbacks(t, 'throttler')).toBe(0);
    expect(await fallbacks(t, 'cache')).toBe(0);
  });

  it('after kill -9: heartbeats still answer 202 at once, limits still hold (per instance), fallbacks are counted', async () => {
    await redis.kill();
    const session = randomUUID();
    for (let i = 1; i <= 5; i++) {
      const [res, ms] = await timed(() => heartbeat('outage-alice', movieHeartbeat({ sessionId: session, mediaId: 778, currentTime: 100 * i, playedSeconds: 10 * i })));
      expect(res.status).toBe(202);
      expect(ms).toBeLessThan(1_500);
    }
    // The in-memory fallback still limits: the 6th write of the minute is refused.
    const refused = await heartbeat('outage-alice', movieHeartbeat({ sessionId: session, mediaId: 778 }));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Other users, the batch and the beacon route too.
    const token = await t.token('outage-bob');
    await t.http().post('/v1/playtime/batch').set('Authorization', `Bearer ${token}`).send({ heartbeats: [movieHeartbeat({ mediaId: 779, playedSeconds: 42 })] }).expect(202);
    await t.http().post('/v1/playtime/beacon').send({ ...movieHeartbeat({ mediaId: 780, playedSeconds: 7 }), accessToken: token }).expect(204);

    expect(await fallbacks(t, 'throttler')).toBeGreaterThanOrEqual(8);

    // Everything accepted is stored.
    await t.batcher.flush();
    const { rows } = await t.db.query<{ user_id: string; media_id: number; total_played_s: number; current_time_s: number }>(
      `SELECT user_id, media_id, total_played_s, current_time_s FROM watch_history WHERE user_id IN ('outage-alice', 'outage-bob') ORDER BY 2`,
    );
    expect(rows.map((r) => [r.user_id, r.media_id, Number(r.total_played_s), Number(r.current_time_s)])).toEqual([
      ['outage-alice', 778, 50, 500],
      ['outage-bob', 779, 42, 100],
      ['outage-bob', 780, 7, 100],
    ]);
    // Readiness does not depend on Redis.
    await t.http().get('/health/ready').expect(200);
  });

  it('after kill -9: catalogue reads answer from the database, quickly, and the misses are counted', async () => {
    const before = await fallbacks(t, 'cache');
    for (let i = 0; i < 3; i++) {
      const [res, ms] = await timed(() => t.http().get('/v1/catalog/movie/777').set('Authorization', viewer));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ mediaType: 'movie', mediaId: 777, title: 'Outage', runtimeSeconds: 5400 });
      expect(ms).toBeLessThan(1_500);
    }
    const [search, ms] = await timed(() => t.http().get('/v1/catalog').query({ search: 'outa' }).set('Authorization', viewer));
    expect(search.status).toBe(200);
    expect(search.body.items.map((e: { mediaId: number }) => e.mediaId)).toContain(777);
    expect(ms).toBeLessThan(1_500);
    expect(await fallbacks(t, 'cache')).toBeGreaterThan(before);
  });

  it('when Redis is back, the limits and the cache go through it again without a restart', async () => {
    await redis.restart(); // same port, empty
    const probe = redis.client();
    const deadline = Date.now() + 10_000;
    let keys: string[] = [];
    while (keys.length === 0 && Date.now() < deadline) {
      expect((await heartbeat('outage-carol', movieHeartbeat({ mediaId: 781 }))).status).toBe(202);
      keys = await probe.keys('playtime:throttler:user:*outage-carol*');
      if (keys.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(keys).toHaveLength(1);
    const throttlerFallbacks = await fallbacks(t, 'throttler');
    expect((await heartbeat('outage-carol', movieHeartbeat({ mediaId: 781 }))).status).toBe(202);
    expect(await fallbacks(t, 'throttler')).toBe(throttlerFallbacks);

    let cached: string[] = [];
    while (cached.length === 0 && Date.now() < deadline) {
      await t.http().get('/v1/catalog/movie/777').set('Authorization', viewer).expect(200);
      cached = await probe.keys('playtime::catalog:*item:movie:777');
      if (cached.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(cached).toHaveLength(1);
  });
});

describe('Redis hung (SIGSTOP: connections stay open, nothing answers)', () => {
  let redis: RedisServer;
  let t: TestApp;
  let viewer: string;
  let closed = false;
  beforeAll(async () => {
    redis = await startRedis();
    t = await createTestApp({ REDIS_URL: redis.url, PLAYTIME_RATE_LIMIT: '1000' });
    const admin = `Bearer ${await t.token('hung-admin', { admin: true })}`;
    viewer = `Bearer ${await t.token('hung-viewer')}`;
    await t.http().put('/v1/admin/catalog/tv/1399').set('Authorization', admin).send({ title: 'Hung', runtimeSeconds: 3600 }).expect(200);
    await t.http().get('/v1/catalog/tv/1399').set('Authorization', viewer).expect(200);
  });
  afterAll(async () => {
    redis?.resume();
    if (!closed) await t?.close();
    await redis?.stop();
  });

  it('answers heartbeats and catalogue reads without waiting on it: each within a command timeout, most at once', async () => {
    redis.pause();
    const token = `Bearer ${await t.token('hung-alice')}`;
    const session = randomUUID();
    const [, total] = await timed(async () => {
      for (let i = 1; i <= 10; i++) {
        const [hb, hbMs] = await timed(() =>
          t.http().post('/v1/playtime').set('Authorization', token).send(movieHeartbeat({ sessionId: session, mediaId: 990, playedSeconds: i, currentTime: 10 * i })),
        );
        expect(hb.status).toBe(202);
        expect(hbMs).toBeLessThan(1_500);
        const [read, readMs] = await timed(() => t.http().get('/v1/catalog/tv/1399').set('Authorization', viewer));
        expect(read.status).toBe(200);
        expect(read.body.title).toBe('Hung');
        expect(readMs).toBeLessThan(1_500);
      }
    });
    // 20 requests: only the first of each component waits for the timeout (then Redis is skipped for a moment).
    expect(total).toBeLessThan(4_000);
    expect(await fallbacks(t, 'throttler')).toBeGreaterThanOrEqual(10);
    expect(await fallbacks(t, 'cache')).toBeGreaterThanOrEqual(10);
    await t.batcher.flush();
    const { rows } = await t.db.query(`SELECT total_played_s, current_time_s FROM watch_history WHERE user_id = 'hung-alice'`);
    expect(rows).toEqual([{ total_played_s: 10, current_time_s: 100 }]);
  });

  it('uses it again once it answers', async () => {
    redis.resume();
    const probe = redis.client();
    const token = `Bearer ${await t.token('hung-bob')}`;
    const deadline = Date.now() + 10_000;
    let keys: string[] = [];
    while (keys.length === 0 && Date.now() < deadline) {
      await t.http().post('/v1/playtime').set('Authorization', token).send(movieHeartbeat()).expect(202);
      keys = await probe.keys('playtime:throttler:user:*hung-bob*');
      if (keys.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(keys).toHaveLength(1);
  });

  it('does not hold up shutdown when it hangs again', async () => {
    redis.pause();
    await t.http().get('/v1/catalog/tv/1399').set('Authorization', viewer).expect(200);
    const [, ms] = await timed(() => t.close());
    closed = true;
    expect(ms).toBeLessThan(5_000);
  });
});

describe('Redis connections on shutdown', () => {
  it('closes every connection it opened when the app closes', async () => {
    const redis = await startRedis();
    try {
      const probe = redis.client();
      const baseline = (await probe.client('LIST')) as string;
      const t = await createTestApp({ REDIS_URL: redis.url });
      await t.http().post('/v1/playtime').set('Authorization', `Bearer ${await t.token('shutdown-user')}`).send(movieHeartbeat()).expect(202);
      await t.http().get('/v1/catalog/movie/1').set('Authorization', `Bearer ${await t.token('shutdown-user')}`).expect(404);
      const during = (await probe.client('LIST')) as string;
      expect(during.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(baseline.split('\n').filter(Boolean).length + 2);
      expect(during).toContain('name=playtime-throttler');
      await t.close();
      const deadline = Date.now() + 5_000;
      let after = '';
      do {
        after = (await probe.client('LIST')) as string;
        if (after.split('\n').filter(Boolean).length === 1) break;
        await new Promise((r) => setTimeout(r, 50));
      } while (Date.now() < deadline);
      expect(after.split('\n').filter(Boolean)).toHaveLength(1); // the probe alone
    } finally {
      await redis.stop();
    }
  });
});
