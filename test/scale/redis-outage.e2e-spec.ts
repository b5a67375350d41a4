import { randomUUID } from 'node:crypto';
import { CACHE_MANAGER, type Cache } from '@nestjs/cache-manager';
import type { Redis } from 'ioredis';
import { redisClientOf } from '../../src/redis/redis-cache-store.js';
import { RedisGuard, RedisSkippedError, RedisTimeoutError } from '../../src/redis/redis-guard.js';
import type { RedisThrottlerStorage } from '../../src/redis/redis-throttler.storage.js';
import { REDIS_RETRY_AFTER_FAILURE_MS, REDIS_THROTTLER_STORAGE } from '../../src/redis/redis.constants.js';
import { createTestApp, movieHeartbeat, type TestApp } from '../utils/create-app.js';
import { metricValue, startRedis, type RedisServer } from './redis-server.js';

const FALLBACKS = 'playtime_redis_fallbacks_total';

async function fallbacks(t: TestApp, component: 'throttler' | 'cache'): Promise<number> {
  const scrape = (await t.http().get('/metrics').expect(200)).text;
  return metricValue(scrape, FALLBACKS, { component });
}

type Outcome = 'answered' | 'skipped' | 'timed out' | 'failed at once';
interface RedisOutcomes {
  mark: () => number;
  since: (mark: number) => Outcome[];
  restore: () => void;
}

/**
 * What every Redis operation of the app came to, recorded on the guard they all go through (the
 * throttler's storage and the catalogue cache's store). How long each may wait is the guard's
 * rule, checked with moved time in `redis-guard.spec.ts`; here the outcomes say which rule applied.
 */
function recordRedisOutcomes(): RedisOutcomes {
  const outcomes: Outcome[] = [];
  const run = RedisGuard.prototype.run;
  const spy = jest.spyOn(RedisGuard.prototype, 'run').mockImplementation(async function (this: RedisGuard, operation: () => Promise<unknown>) {
    try {
      const value = await run.call(this, operation);
      outcomes.push('answered');
      return value;
    } catch (err) {
      const timedOut = err instanceof RedisTimeoutError || (err instanceof Error && /timed? ?out/i.test(err.message));
      outcomes.push(err instanceof RedisSkippedError ? 'skipped' : timedOut ? 'timed out' : 'failed at once');
      throw err;
    }
  } as typeof run);
  return { since: (mark) => outcomes.slice(mark), mark: () => outcomes.length, restore: () => spy.mockRestore() };
}

const count = (outcomes: Outcome[], which: Outcome) => outcomes.filter((o) => o === which).length;

/**
 * Resolves on the next `ready` of both of the app's Redis connections (throttler, catalogue
 * cache). Taken before the server comes back, so a connection that has not yet noticed it was
 * cut cannot pass for a reconnected one.
 */
function reconnection(t: TestApp): Promise<unknown> {
  const throttler = (t.app.get<RedisThrottlerStorage>(REDIS_THROTTLER_STORAGE) as unknown as { redis: Redis }).redis;
  const cache = redisClientOf(t.app.get<Cache>(CACHE_MANAGER).stores[0])!;
  return Promise.all([new Promise((resolve) => throttler.once('ready', resolve)), new Promise((resolve) => cache.once('ready', resolve))]);
}

/**
 * Moves the monotonic clock the Redis guards read (`performance.now`) on by their retry interval,
 * so the next operation probes Redis instead of waiting that interval out. Forward only, until the
 * file ends: moving it back would leave the guards' deadlines in the future.
 */
let clockShift = 0;
let clockSpy: jest.SpyInstance | null = null;
function pastRetryInterval(): void {
  clockShift += REDIS_RETRY_AFTER_FAILURE_MS;
  if (clockSpy) return;
  const now = performance.now.bind(performance);
  clockSpy = jest.spyOn(performance, 'now').mockImplementation(() => now() + clockShift);
}
afterAll(() => clockSpy?.mockRestore());

/** Restarts a killed (or running) Redis and waits until the app uses it again. */
async function bringBack(t: TestApp, redis: RedisServer): Promise<void> {
  const back = reconnection(t);
  await redis.restart(); // same port, empty
  await back;
  pastRetryInterval();
}

/** Redis is an optimisation: killing it never takes heartbeats (or catalogue reads) down. */
describe('Redis killed (kill -9) under a running instance', () => {
  let redis: RedisServer;
  let t: TestApp;
  let admin: string;
  let viewer: string;
  let outcomes: RedisOutcomes;
  beforeAll(async () => {
    outcomes = recordRedisOutcomes();
    redis = await startRedis();
    t = await createTestApp({ REDIS_URL: redis.url, PLAYTIME_RATE_LIMIT: '5', CATALOG_CACHE_TTL_MS: '600000' });
    admin = `Bearer ${await t.token('outage-admin', { admin: true })}`;
    viewer = `Bearer ${await t.token('outage-viewer')}`;
    await t.http().put('/v1/admin/catalog/movie/777').set('Authorization', admin).send({ title: 'Outage', runtimeSeconds: 5400 }).expect(200);
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
    outcomes?.restore();
  });

  const heartbeat = (userId: string, body: Record<string, unknown>) =>
    t.token(userId).then((token) => t.http().post('/v1/playtime').set('Authorization', `Bearer ${token}`).send(body));

  it('uses Redis while it is up: no fallback, throttler and catalogue keys in Redis', async () => {
    await bringBack(t, redis); // whatever an earlier test left
    const before = { throttler: await fallbacks(t, 'throttler'), cache: await fallbacks(t, 'cache') };
    expect((await t.http().get('/v1/catalog/movie/777').set('Authorization', viewer).expect(200)).body.title).toBe('Outage');
    expect((await heartbeat('outage-before', movieHeartbeat({ mediaId: 777 }))).status).toBe(202);
    const probe = redis.client();
    expect(await probe.keys('playtime:throttler:user:*outage-before*')).toHaveLength(1);
    expect((await probe.keys('playtime::catalog:*')).length).toBeGreaterThanOrEqual(2); // the version key and the item
    expect(await fallbacks(t, 'throttler')).toBe(before.throttler);
    expect(await fallbacks(t, 'cache')).toBe(before.cache);
  });

  it('after kill -9: heartbeats still answer 202 at once, limits still hold (per instance), fallbacks are counted', async () => {
    await redis.kill();
    const before = await fallbacks(t, 'throttler');
    const mark = outcomes.mark();
    const session = randomUUID();
    for (let i = 1; i <= 5; i++) {
      const res = await heartbeat('outage-alice', movieHeartbeat({ sessionId: session, mediaId: 778, currentTime: 100 * i, playedSeconds: 10 * i }));
      expect(res.status).toBe(202);
    }
    // A closed connection fails at once (or is not even tried): nothing waited for a timeout.
    const seen = outcomes.since(mark);
    expect(seen.length).toBeGreaterThanOrEqual(5);
    expect(count(seen, 'failed at once') + count(seen, 'skipped')).toBe(seen.length);
    // The in-memory fallback still limits: the 6th write of the minute is refused.
    const refused = await heartbeat('outage-alice', movieHeartbeat({ sessionId: session, mediaId: 778 }));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Other users, the batch and the beacon route too.
    const token = await t.token('outage-bob');
    await t.http().post('/v1/playtime/batch').set('Authorization', `Bearer ${token}`).send({ heartbeats: [movieHeartbeat({ mediaId: 779, playedSeconds: 42 })] }).expect(202);
    await t.http().post('/v1/playtime/beacon').send({ ...movieHeartbeat({ mediaId: 780, playedSeconds: 7 }), accessToken: token }).expect(204);

    expect(await fallbacks(t, 'throttler')).toBeGreaterThanOrEqual(before + 8);

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

  it('after kill -9: catalogue reads answer from the database, at once, and the misses are counted', async () => {
    await redis.kill();
    const before = await fallbacks(t, 'cache');
    const mark = outcomes.mark();
    for (let i = 0; i < 3; i++) {
      const res = await t.http().get('/v1/catalog/movie/777').set('Authorization', viewer);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ mediaType: 'movie', mediaId: 777, title: 'Outage', runtimeSeconds: 5400 });
    }
    const search = await t.http().get('/v1/catalog').query({ search: 'outa' }).set('Authorization', viewer);
    expect(search.status).toBe(200);
    expect(search.body.items.map((e: { mediaId: number }) => e.mediaId)).toContain(777);
    expect(await fallbacks(t, 'cache')).toBeGreaterThan(before);
    const seen = outcomes.since(mark);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(count(seen, 'failed at once') + count(seen, 'skipped')).toBe(seen.length);
  });

  it('when Redis is back, the limits and the cache go through it again without a restart', async () => {
    await redis.kill();
    await bringBack(t, redis);
    const probe = redis.client();
    const throttlerFallbacks = await fallbacks(t, 'throttler');
    expect((await heartbeat('outage-carol', movieHeartbeat({ mediaId: 781 }))).status).toBe(202);
    expect(await probe.keys('playtime:throttler:user:*outage-carol*')).toHaveLength(1);
    expect((await heartbeat('outage-carol', movieHeartbeat({ mediaId: 781 }))).status).toBe(202);
    expect(await fallbacks(t, 'throttler')).toBe(throttlerFallbacks);

    await t.http().get('/v1/catalog/movie/777').set('Authorization', viewer).expect(200);
    expect(await probe.keys('playtime::catalog:*item:movie:777')).toHaveLength(1);
  });
});

describe('Redis hung (SIGSTOP: connections stay open, nothing answers)', () => {
  let redis: RedisServer;
  let t: TestApp;
  let viewer: string;
  let outcomes: RedisOutcomes;
  beforeAll(async () => {
    outcomes = recordRedisOutcomes();
    redis = await startRedis();
    t = await createTestApp({ REDIS_URL: redis.url, PLAYTIME_RATE_LIMIT: '1000' });
    const admin = `Bearer ${await t.token('hung-admin', { admin: true })}`;
    viewer = `Bearer ${await t.token('hung-viewer')}`;
    await t.http().put('/v1/admin/catalog/tv/1399').set('Authorization', admin).send({ title: 'Hung', runtimeSeconds: 3600 }).expect(200);
    await t.http().get('/v1/catalog/tv/1399').set('Authorization', viewer).expect(200);
  });
  afterAll(async () => {
    redis?.resume();
    await t?.close();
    await redis?.stop();
    outcomes?.restore();
  });

  it('answers heartbeats and catalogue reads without waiting on it: each within a command timeout, most at once', async () => {
    pastRetryInterval(); // an earlier test's failure does not hold Redis back here
    const before = { throttler: await fallbacks(t, 'throttler'), cache: await fallbacks(t, 'cache') };
    redis.pause();
    const mark = outcomes.mark();
    const token = `Bearer ${await t.token('hung-alice')}`;
    const session = randomUUID();
    for (let i = 1; i <= 10; i++) {
      const hb = await t.http().post('/v1/playtime').set('Authorization', token).send(movieHeartbeat({ sessionId: session, mediaId: 990, playedSeconds: i, currentTime: 10 * i }));
      expect(hb.status).toBe(202);
      const read = await t.http().get('/v1/catalog/tv/1399').set('Authorization', viewer);
      expect(read.status).toBe(200);
      expect(read.body.title).toBe('Hung');
    }
    // Every operation either waited for the command timeout or was not even sent: none hung on
    // beyond it, and once one timed out the next ones (a heartbeat's second throttler at least)
    // were skipped.
    const seen = outcomes.since(mark);
    expect(count(seen, 'answered')).toBe(0);
    expect(count(seen, 'timed out')).toBeGreaterThanOrEqual(2); // the throttler's first, the cache's first
    expect(count(seen, 'skipped')).toBeGreaterThanOrEqual(1);
    expect(count(seen, 'timed out') + count(seen, 'skipped')).toBe(seen.length);
    redis.resume();
    expect(await fallbacks(t, 'throttler')).toBeGreaterThanOrEqual(before.throttler + 10);
    expect(await fallbacks(t, 'cache')).toBeGreaterThanOrEqual(before.cache + 10);
    await t.batcher.flush();
    const { rows } = await t.db.query(`SELECT total_played_s, current_time_s FROM watch_history WHERE user_id = 'hung-alice'`);
    expect(rows).toEqual([{ total_played_s: 10, current_time_s: 100 }]);
  });

  it('uses it again once it answers', async () => {
    const token = `Bearer ${await t.token('hung-bob')}`;
    redis.pause();
    const before = await fallbacks(t, 'throttler');
    await t.http().post('/v1/playtime').set('Authorization', token).send(movieHeartbeat()).expect(202);
    expect(await fallbacks(t, 'throttler')).toBeGreaterThan(before);
    redis.resume();
    pastRetryInterval();
    const after = await fallbacks(t, 'throttler');
    const mark = outcomes.mark();
    await t.http().post('/v1/playtime').set('Authorization', token).send(movieHeartbeat()).expect(202);
    expect(outcomes.since(mark)).toEqual(['answered', 'answered']); // the user's and the address's limits
    expect(await fallbacks(t, 'throttler')).toBe(after);
    expect(await redis.client().keys('playtime:throttler:user:*hung-bob*')).toHaveLength(1);
  });

  it('does not hold up shutdown when it hangs again', async () => {
    const own = await createTestApp({ REDIS_URL: redis.url }, { databaseUrl: t.databaseUrl });
    try {
      await own.http().get('/v1/catalog/tv/1399').set('Authorization', viewer).expect(200);
      redis.pause();
      await own.http().get('/v1/catalog/tv/1399').set('Authorization', viewer).expect(200);
      // Closing waits for no reply from the hung server: were it to, this would never return.
      await own.close();
    } finally {
      redis.resume();
    }
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
