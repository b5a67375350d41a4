import { createTestApp, type TestApp } from '../utils/create-app.js';
import { startRedis, type RedisServer } from '../scale/redis-server.js';

/** The history-change budget lives in the throttler storage: with REDIS_URL, one budget across instances. */
describe('HISTORY_WRITE_RATE_LIMIT across two instances sharing Redis', () => {
  let redis: RedisServer;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    redis = await startRedis();
    a = await createTestApp({ REDIS_URL: redis.url, HISTORY_WRITE_RATE_LIMIT: '2' });
    b = await createTestApp({ REDIS_URL: redis.url, HISTORY_WRITE_RATE_LIMIT: '2' }, { databaseUrl: a.databaseUrl });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis?.stop();
  });

  it('refuses the third change on either instance once two were made, one on each', async () => {
    const auth = { Authorization: `Bearer ${await a.token('redis-flooder')}` };
    await a.http().delete('/v1/history').set(auth).expect(204);
    await b.http().delete('/v1/history/movie/1').set(auth).expect(404);
    for (const t of [a, b]) {
      const res = await t.http().delete('/v1/history').set(auth).expect(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    // Reads are not part of the budget.
    await b.http().get('/v1/history').set(auth).expect(200);
  });
});
