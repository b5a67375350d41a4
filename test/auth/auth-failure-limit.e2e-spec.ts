import { signToken } from '../../src/auth/sign-token.js';
import { createTestApp, movieHeartbeat, type TestApp } from '../utils/create-app.js';

const LIMIT = 5;
const WRONG_SECRET = 'another-secret-another-secret-another-secret';

/**
 * SPEC §3 / issue 10 point 12: after AUTH_FAILURE_LIMIT failed authentications in a minute, a
 * client IP gets 429 with Retry-After; tokens already verified keep working from that IP.
 */
describe('failed authentications limited per client IP', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ AUTH_FAILURE_LIMIT: String(LIMIT), TRUST_PROXY: '1' });
  });
  afterEach(() => t.close());

  const post = (token: string | null, clientIp = '203.0.113.7') => {
    const req = t.http().post('/v1/playtime').set('X-Forwarded-For', clientIp);
    if (token) req.set('Authorization', `Bearer ${token}`);
    return req.send(movieHeartbeat());
  };
  const badToken = () => signToken(WRONG_SECRET, 'mallory');

  async function exhaust(clientIp?: string): Promise<void> {
    for (let i = 0; i < LIMIT; i++) expect((await post(await badToken(), clientIp)).status).toBe(401);
  }

  it(`answers 429 with Retry-After after ${LIMIT} failures in a minute, until the minute is over`, async () => {
    await exhaust();
    const res = await post(await badToken());
    expect(res.status).toBe(429);
    expect(res.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Missing tokens are failures too, and are held back the same way.
    expect((await post(null)).status).toBe(429);

    t.clock.advance(retryAfter * 1000);
    expect((await post(await badToken())).status).toBe(401);
    await post(await t.token('newcomer')).expect(202);
  });

  it('keeps accepting a token already verified from the blocked address; a never-seen token waits', async () => {
    const regular = await t.token('regular-viewer');
    await post(regular).expect(202);
    await exhaust();
    await post(regular).expect(202);
    await post(regular).expect(202);
    expect((await post(await t.token('first-time-viewer'))).status).toBe(429);
  });

  it('counts per client IP as TRUST_PROXY gives it, not per shared proxy', async () => {
    await exhaust('203.0.113.7');
    expect((await post(await badToken(), '203.0.113.7')).status).toBe(429);
    // Another client behind the same trusted proxy is not affected.
    expect((await post(await badToken(), '198.51.100.20')).status).toBe(401);
    await post(await t.token('someone-else'), '198.51.100.20').expect(202);
    // A client cannot pick a fresh bucket by prepending addresses: the trusted hop decides.
    expect((await post(await badToken(), '10.9.9.9, 203.0.113.7')).status).toBe(429);
  });

  it('does not count successes, 403s or validation errors', async () => {
    const viewer = await t.token('viewer');
    for (let i = 0; i < LIMIT * 2; i++) {
      await post(viewer).expect(202);
      await t.http().get('/v1/admin/ingest').set('X-Forwarded-For', '203.0.113.7').set('Authorization', `Bearer ${viewer}`).expect(403);
      await t.http().post('/v1/playtime').set('X-Forwarded-For', '203.0.113.7').set('Authorization', `Bearer ${viewer}`).send({}).expect(400);
    }
    expect((await post(await badToken())).status).toBe(401);
  });
});

describe('failed authentications without TRUST_PROXY', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ AUTH_FAILURE_LIMIT: String(LIMIT) });
  });
  afterAll(() => t.close());

  it('ignores X-Forwarded-For: rotating it does not dodge the limit', async () => {
    for (let i = 0; i < LIMIT; i++) {
      const res = await t.http().post('/v1/playtime').set('X-Forwarded-For', `192.0.2.${i}`).set('Authorization', `Bearer ${await signToken(WRONG_SECRET, 'm')}`).send(movieHeartbeat());
      expect(res.status).toBe(401);
    }
    const res = await t.http().post('/v1/playtime').set('X-Forwarded-For', '192.0.2.200').set('Authorization', 'Bearer nope').send(movieHeartbeat());
    expect(res.status).toBe(429);
  });
});
