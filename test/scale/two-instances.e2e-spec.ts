import type { Response } from 'supertest';
import { createTestApp, movieHeartbeat, type TestApp } from '../utils/create-app.js';
import { randomUUID } from 'node:crypto';
import { Simulation } from '../utils/audience.js';
import { Rng } from '../utils/random.js';
import { metricValue, startRedis, type RedisServer } from './redis-server.js';

/** One request's worth of a simulated viewer: the heartbeat as sent over HTTP. */
interface Delivery {
  userId: string;
  body: { sessionId: string } & Record<string, unknown>;
}

/** Two instances of the real app (each its own batcher, throttler and cache client) on one database and one Redis. */
async function twoInstances(redis: RedisServer, env: Record<string, string>, envB: Record<string, string> = {}): Promise<[TestApp, TestApp]> {
  const a = await createTestApp({ REDIS_URL: redis.url, ...env });
  try {
    const b = await createTestApp({ REDIS_URL: redis.url, ...env, ...envB }, { databaseUrl: a.databaseUrl });
    return [a, b];
  } catch (err) {
    await a.close();
    throw err;
  }
}

function expectThrottled(res: Response): void {
  expect(res.status).toBe(429);
  expect(res.headers['retry-after']).toMatch(/^\d+$/);
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
}

describe('two instances, one database, one Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  describe('per-user limit (PLAYTIME_RATE_LIMIT=3) shared through Redis', () => {
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      [a, b] = await twoInstances(redis, { PLAYTIME_RATE_LIMIT: '3' });
    });
    afterAll(async () => {
      await b?.close();
      await a?.close();
    });

    const post = async (t: TestApp, userId: string, body = movieHeartbeat()) =>
      t.http().post('/v1/playtime').set('Authorization', `Bearer ${await t.token(userId)}`).send(body);

    it('answers 429 with Retry-After on the second instance once the user spent the limit on the first', async () => {
      const user = 'scale-alice';
      for (let i = 0; i < 3; i++) expect((await post(a, user, movieHeartbeat({ mediaId: 10 + i }))).status).toBe(202);
      expectThrottled(await post(b, user, movieHeartbeat({ mediaId: 99 })));
      expectThrottled(await post(a, user, movieHeartbeat({ mediaId: 99 })));
      // The batch and beacon routes share the budget on either instance.
      const token = await b.token(user);
      expectThrottled(await b.http().post('/v1/playtime/batch').set('Authorization', `Bearer ${token}`).send({ heartbeats: [movieHeartbeat({ mediaId: 99 })] }));
      expectThrottled(await b.http().post('/v1/playtime/beacon').send({ ...movieHeartbeat({ mediaId: 99 }), accessToken: token }));

      // Another user still has a whole budget on B.
      for (let i = 0; i < 3; i++) expect((await post(b, 'scale-bob', movieHeartbeat({ mediaId: 20 + i }))).status).toBe(202);
      expectThrottled(await post(a, 'scale-bob'));

      // What was accepted is stored; what was refused is not.
      await Promise.all([a.batcher.flush(), b.batcher.flush()]);
      const { rows } = await a.db.query<{ user_id: string; media_id: number }>(
        `SELECT user_id, media_id FROM watch_history WHERE user_id IN ('scale-alice', 'scale-bob') ORDER BY 1, 2`,
      );
      expect(rows.map((r) => `${r.user_id}:${r.media_id}`)).toEqual([
        'scale-alice:10', 'scale-alice:11', 'scale-alice:12', 'scale-bob:20', 'scale-bob:21', 'scale-bob:22',
      ]);
    });

    it('keeps the counts in Redis (prefixed per throttler) and never fell back to memory', async () => {
      // Its own user spends the budget on A and is refused on B: the block lives in Redis.
      const user = `scale-carol-${randomUUID().slice(0, 8)}`;
      for (let i = 0; i < 3; i++) expect((await post(a, user, movieHeartbeat({ mediaId: 30 + i }))).status).toBe(202);
      expectThrottled(await post(b, user));
      const probe = redis.client();
      const keys = await probe.keys('playtime:throttler:*');
      expect(keys).toEqual(expect.arrayContaining([`playtime:throttler:user:{playtime:user:user:${user}}:block`]));
      expect(keys.some((k) => k.startsWith('playtime:throttler:ip:'))).toBe(true);
      for (const t of [a, b]) {
        const scrape = (await t.http().get('/metrics').expect(200)).text;
        expect(scrape).toContain('playtime_redis_fallbacks_total{component="throttler"} 0');
        expect(metricValue(scrape, 'playtime_redis_fallbacks_total', { component: 'cache' })).toBe(0);
      }
    });

    it('shares the catalogue cache: an admin write on A is seen by B at once (no stale per-instance copy)', async () => {
      const admin = `Bearer ${await a.token('scale-admin', { admin: true })}`;
      const reader = `Bearer ${await b.token('scale-reader')}`;
      await a.http().put('/v1/admin/catalog/movie/4242').set('Authorization', admin).send({ title: 'First cut', runtimeSeconds: 6000 }).expect(200);
      expect((await b.http().get('/v1/catalog/movie/4242').set('Authorization', reader).expect(200)).body.title).toBe('First cut');
      expect((await a.http().get('/v1/catalog/movie/4242').set('Authorization', reader).expect(200)).body.title).toBe('First cut');
      await a.http().put('/v1/admin/catalog/movie/4242').set('Authorization', admin).send({ title: "Director's cut", runtimeSeconds: 7000 }).expect(200);
      // B cached the old entry; A's write moved the shared version, so B reads the new one.
      expect((await b.http().get('/v1/catalog/movie/4242').set('Authorization', reader).expect(200)).body.title).toBe("Director's cut");
      expect((await redis.client().keys('playtime::catalog:*')).length).toBeGreaterThan(0);
    });
  });

  describe.each([
    ['both batching', {}],
    ['A batching, B write-through (PLAYTIME_FLUSH_INTERVAL_MS=0)', { PLAYTIME_FLUSH_INTERVAL_MS: '0' }],
  ])('a simulated audience spread across both (%s)', (_mode, envB) => {
    const seed = Number(process.env.SCALE_SEED ?? Math.floor(Math.random() * 2 ** 31));
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      // The service's default MIN_PLAY_SECONDS: short sessions beside plays take no position (SPEC §7).
      [a, b] = await twoInstances(redis, { PLAYTIME_RATE_LIMIT: '1000000', PLAYTIME_IP_RATE_LIMIT: '1000000', MIN_PLAY_SECONDS: '60' }, envB);
    });
    afterAll(async () => {
      await b?.close();
      await a?.close();
    });

    it(`stores exact totals, positions, finished flags and completions (seed ${seed}; replay with SCALE_SEED)`, async () => {
      const rng = new Rng(seed);
      // 60 viewers, 30 requests each, between 3 h and 2 min ago; more rewatches, second devices and
      // starts inside a title than the default audience, so every case below occurs.
      const now = Date.now();
      const run = randomUUID().slice(0, 8);
      const sim = new Simulation(seed, Array.from({ length: 60 }, (_, i) => `aud-${i}-${run}`), now - 3 * 3600_000, {
        now: () => now - 120_000,
        minPlaySeconds: 60,
        behaviour: { rewatch: 0.9, secondDevice: 0.05, startInside: 0.9 },
      });
      const heartbeats: Delivery[] = [];
      for (let round = 0; round < 30; round++) {
        for (const v of sim.viewers) {
          const hb = sim.heartbeatFor(v);
          if (!hb) continue;
          heartbeats.push({ userId: hb.userId, body: JSON.parse(hb.body) as Delivery['body'] });
          sim.onResult(hb, 202, now);
        }
      }
      const expected = [...sim.expected().values()];

      // Every heartbeat once, ~15 % of them twice (a retry), in random order, each to a random
      // instance, alone or in a batch with others of the same user.
      const deliveries: Delivery[] = rng.shuffle([...heartbeats, ...heartbeats.filter(() => rng.next() < 0.15)]);
      const requests: { app: TestApp; userId: string; bodies: Delivery['body'][] }[] = [];
      const open = new Map<string, { app: TestApp; userId: string; bodies: Delivery['body'][] }>();
      for (const d of deliveries) {
        const pending = open.get(d.userId);
        if (pending && pending.bodies.length < 6 && rng.next() < 0.5) {
          pending.bodies.push(d.body);
          continue;
        }
        const req = { app: rng.next() < 0.5 ? a : b, userId: d.userId, bodies: [d.body] };
        requests.push(req);
        open.set(d.userId, req);
      }

      const tokens = new Map<string, string>();
      for (const e of expected) if (!tokens.has(e.userId)) tokens.set(e.userId, await a.token(e.userId));
      const flushes: Promise<void>[] = [];
      const sent = { a: 0, b: 0 };
      const instancesOfSession = new Map<string, Set<TestApp>>();
      for (const { app, bodies } of requests) {
        for (const body of bodies) instancesOfSession.set(body.sessionId, (instancesOfSession.get(body.sessionId) ?? new Set()).add(app));
      }
      for (let i = 0; i < requests.length; i += 20) {
        const wave = requests.slice(i, i + 20);
        const responses = await Promise.all(
          wave.map(({ app, userId, bodies }) => {
            const authz = `Bearer ${tokens.get(userId)}`;
            sent[app === a ? 'a' : 'b'] += bodies.length;
            return bodies.length === 1
              ? app.http().post('/v1/playtime').set('Authorization', authz).send(bodies[0])
              : app.http().post('/v1/playtime/batch').set('Authorization', authz).send({ heartbeats: bodies });
          }),
        );
        for (const res of responses) expect(res.status).toBe(202);
        // Both instances flush at random points, at the same time as each other and as new writes.
        if (rng.next() < 0.35) flushes.push(a.batcher.flush(), b.batcher.flush());
      }
      await Promise.all(flushes);
      await Promise.all([a.batcher.flush(), b.batcher.flush()]);
      expect(sent.a).toBeGreaterThan(100);
      expect(sent.b).toBeGreaterThan(100);
      // Most sessions had heartbeats on both instances.
      const split = [...instancesOfSession.values()].filter((s) => s.size === 2).length;
      expect(split).toBeGreaterThan(instancesOfSession.size / 2);

      const { rows } = await a.db.query<{
        user_id: string; media_type: 'movie' | 'tv'; media_id: number; season_number: number | null; episode_number: number | null;
        total_played_s: number; current_time_s: number; total_duration_s: number; progress: number; finished: boolean;
        completed_count: number; position_at: Date;
      }>(`SELECT user_id, media_type, media_id, season_number, episode_number, total_played_s, current_time_s,
                 total_duration_s, progress, finished, completed_count, position_at
          FROM watch_history WHERE user_id LIKE 'aud-%'`);
      const key = (x: { userId: string; mediaType: string; mediaId: number; season: number | null; episode: number | null }) =>
        `${x.userId}/${x.mediaType}/${x.mediaId}/${x.season}/${x.episode}`;
      const stored = new Map(
        rows.map((r) => [
          key({ userId: r.user_id, mediaType: r.media_type, mediaId: r.media_id, season: r.season_number, episode: r.episode_number }),
          r,
        ]),
      );
      expect(rows).toHaveLength(expected.length);
      const mismatches: string[] = [];
      for (const e of expected) {
        const r = stored.get(key(e));
        const got = r && {
          totalPlayedSeconds: Number(r.total_played_s), currentTime: Number(r.current_time_s), totalDuration: Number(r.total_duration_s),
          progress: r.progress, finished: r.finished, completedCount: r.completed_count, positionAt: r.position_at.getTime(),
        };
        const want = {
          totalPlayedSeconds: e.total, currentTime: e.currentTime, totalDuration: e.duration,
          progress: e.progress, finished: e.finished, completedCount: e.completedCount, positionAt: e.positionAt,
        };
        if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`${key(e)}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
      }
      expect(mismatches).toEqual([]);
      // The audience is varied enough for the comparison to mean something.
      expect(expected.some((e) => e.finished)).toBe(true);
      expect(expected.some((e) => !e.finished && e.completedCount > 0)).toBe(true);
      expect(expected.some((e) => e.sessions > 1)).toBe(true);
      expect(expected.some((e) => e.plays > 0 && e.plays < e.sessions)).toBe(true);

      // One session row per session; the hourly statistics add up to the same totals.
      const sessions = await a.db.query<{ n: string }>(`SELECT count(*) AS n FROM watch_sessions WHERE user_id LIKE 'aud-%'`);
      expect(Number(sessions.rows[0].n)).toBe(expected.reduce((n, e) => n + e.sessions, 0));
      const buckets = await a.db.query<{ s: string }>(`SELECT sum(seconds) AS s FROM watch_buckets WHERE user_id LIKE 'aud-%'`);
      expect(Number(buckets.rows[0].s)).toBe(expected.reduce((n, e) => n + e.total, 0));

      // Either instance answers the same through the API.
      for (const e of expected.slice(0, 10)) {
        const q = e.mediaType === 'tv' ? `?seasonNumber=${e.season}&episodeNumber=${e.episode}` : '';
        for (const t of [a, b]) {
          const res = await t.http().get(`/v1/history/${e.mediaType}/${e.mediaId}${q}`).set('Authorization', `Bearer ${tokens.get(e.userId)}`).expect(200);
          expect(res.body).toMatchObject({ totalPlayedSeconds: e.total, currentTime: e.currentTime, finished: e.finished, completedCount: e.completedCount });
        }
      }
    }, 240_000); // 25 s alone; several times that on a loaded 2-core machine
  });
});
