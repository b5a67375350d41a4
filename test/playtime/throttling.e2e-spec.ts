import type { Response } from 'supertest';
import { createTestApp, episodeHeartbeat, movieHeartbeat, type TestApp } from '../utils/create-app.js';

/** A 429 with a usable `Retry-After` (whole seconds, at most the one-minute window) and a JSON body. */
function expectThrottled(res: Response): void {
  expect(res.status).toBe(429);
  const retryAfter = res.headers['retry-after'];
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(retryAfter)).toBeLessThanOrEqual(60);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
  expect(typeof res.body.message).toBe('string');
}

async function storedRows(t: TestApp, userId: string, mediaId: number): Promise<number> {
  await t.batcher.flush();
  const { rows } = await t.db.query<{ n: string }>('SELECT count(*) AS n FROM watch_history WHERE user_id = $1 AND media_id = $2', [
    userId,
    mediaId,
  ]);
  return Number(rows[0].n);
}

describe('per-user write limit (PLAYTIME_RATE_LIMIT=3)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ PLAYTIME_RATE_LIMIT: '3' });
  });
  afterAll(async () => {
    await t.close();
  });

  const heartbeat = async (userId: string, body: Record<string, unknown> = movieHeartbeat()) =>
    t.http().post('/v1/playtime').set('Authorization', `Bearer ${await t.token(userId)}`).send(body);
  const batch = async (userId: string, heartbeats: Record<string, unknown>[]) =>
    t.http().post('/v1/playtime/batch').set('Authorization', `Bearer ${await t.token(userId)}`).send({ heartbeats });
  const beacon = async (userId: string, body: Record<string, unknown> = movieHeartbeat()) =>
    t.http().post('/v1/playtime/beacon').send({ ...body, accessToken: await t.token(userId) });

  it("answers a user's 4th write in a minute with 429, Retry-After and a JSON body, and does not store it", async () => {
    const user = 'throttle-alice';
    for (let i = 0; i < 3; i++) {
      const res = await heartbeat(user, movieHeartbeat({ mediaId: 100 + i }));
      expect(res.status).toBe(202);
    }
    const refused = await heartbeat(user, movieHeartbeat({ mediaId: 999, currentTime: 777 }));
    expectThrottled(refused);

    // Still refused on the next try: the window has not passed.
    expectThrottled(await heartbeat(user, movieHeartbeat({ mediaId: 999 })));

    // The refused heartbeats are neither visible to reads nor written by a flush; the accepted ones are.
    const authz = `Bearer ${await t.token(user)}`;
    await t.http().get('/v1/history/movie/999').set('Authorization', authz).expect(404);
    expect(await storedRows(t, user, 999)).toBe(0);
    expect(await storedRows(t, user, 100)).toBe(1);
    expect(await storedRows(t, user, 102)).toBe(1);
  });

  it('shares one budget across /v1/playtime, /batch (one request, however many heartbeats) and /beacon', async () => {
    const user = 'throttle-bob';
    expect((await heartbeat(user, movieHeartbeat({ mediaId: 200 }))).status).toBe(202);
    const many = Array.from({ length: 10 }, (_, i) => episodeHeartbeat({ episodeNumber: i + 1 }));
    const batched = await batch(user, many);
    expect(batched.status).toBe(202);
    expect(batched.body).toEqual({ accepted: 10 });
    expect((await beacon(user, movieHeartbeat({ mediaId: 201 }))).status).toBe(204);

    // Budget spent: every write route refuses, whichever was used before.
    expectThrottled(await heartbeat(user, movieHeartbeat({ mediaId: 202 })));
    expectThrottled(await batch(user, [movieHeartbeat({ mediaId: 203 })]));
    expectThrottled(await beacon(user, movieHeartbeat({ mediaId: 204 })));

    for (const mediaId of [202, 203, 204]) expect(await storedRows(t, user, mediaId)).toBe(0);
    expect(await storedRows(t, user, 201)).toBe(1);
  });

  it('counts the beacon against the user of its accessToken', async () => {
    const user = 'throttle-carol';
    for (let i = 0; i < 3; i++) expect((await beacon(user, movieHeartbeat({ mediaId: 300 + i }))).status).toBe(204);
    expectThrottled(await heartbeat(user, movieHeartbeat({ mediaId: 303 })));
    expectThrottled(await beacon(user, movieHeartbeat({ mediaId: 304 })));
  });

  /** Spends `user`'s budget of the minute: three writes accepted, the fourth refused. */
  const spend = async (user: string, mediaId: number) => {
    for (let i = 0; i < 3; i++) expect((await heartbeat(user, movieHeartbeat({ mediaId: mediaId + i }))).status).toBe(202);
    expectThrottled(await heartbeat(user));
  };

  it('does not affect another user', async () => {
    // erin is over her limit; dave has his own budget.
    await spend('throttle-erin', 500);
    expectThrottled(await heartbeat('throttle-erin'));
    for (let i = 0; i < 3; i++) expect((await heartbeat('throttle-dave', movieHeartbeat({ mediaId: 400 + i }))).status).toBe(202);
    expectThrottled(await heartbeat('throttle-dave'));
    expect(await storedRows(t, 'throttle-dave', 402)).toBe(1);
  });

  it('does not throttle read routes', async () => {
    const authz = `Bearer ${await t.token('throttle-frank')}`;
    await spend('throttle-frank', 100);
    for (let i = 0; i < 10; i++) {
      const res = await t.http().get('/v1/history/movie/100').set('Authorization', authz);
      expect(res.status).toBe(200);
      expect(res.body.mediaId).toBe(100);
    }
  });
});

describe('per-IP write limit (PLAYTIME_IP_RATE_LIMIT=5, TRUST_PROXY unset)', () => {
  // Every request here comes from one address: each test needs that address's budget whole.
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ PLAYTIME_IP_RATE_LIMIT: '5', PLAYTIME_RATE_LIMIT: '1000' });
  });
  afterEach(async () => {
    await t.close();
  });

  it('answers the 6th write from one IP with 429, even from 6 different users', async () => {
    for (let i = 1; i <= 5; i++) {
      const res = await t.http().post('/v1/playtime').set('Authorization', `Bearer ${await t.token(`ip-user-${i}`)}`).send(movieHeartbeat());
      expect(res.status).toBe(202);
    }
    const sixth = await t.http().post('/v1/playtime').set('Authorization', `Bearer ${await t.token('ip-user-6')}`).send(movieHeartbeat({ mediaId: 600 }));
    expectThrottled(sixth);
    expect(await storedRows(t, 'ip-user-6', 600)).toBe(0);
  });

  it('does not let X-Forwarded-For pick a new IP bucket when no proxy is trusted', async () => {
    for (let i = 1; i <= 5; i++) {
      await t.http().post('/v1/playtime').set('Authorization', `Bearer ${await t.token(`xff-spender-${i}`)}`).send(movieHeartbeat()).expect(202);
    }
    // Same client, same (exhausted) IP bucket: the header is ignored.
    for (let i = 1; i <= 3; i++) {
      const res = await t.http()
        .post('/v1/playtime')
        .set('Authorization', `Bearer ${await t.token(`xff-user-${i}`)}`)
        .set('X-Forwarded-For', `203.0.113.${i}`)
        .send(movieHeartbeat());
      expectThrottled(res);
    }
  });
});

describe('X-Forwarded-For without a trusted proxy, fresh buckets', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ PLAYTIME_IP_RATE_LIMIT: '5', PLAYTIME_RATE_LIMIT: '1000' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('puts 6 requests with 6 different X-Forwarded-For values in one bucket: the 6th is 429', async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= 6; i++) {
      const res = await t.http()
        .post('/v1/playtime')
        .set('Authorization', `Bearer ${await t.token(`spoof-user-${i}`)}`)
        .set('X-Forwarded-For', `198.51.100.${i}`)
        .send(movieHeartbeat());
      statuses.push(res.status);
      if (i === 6) expectThrottled(res);
    }
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
  });
});

/**
 * Behind trusted proxies the client address is the nearest untrusted X-Forwarded-For entry: the
 * same rules must hold whether the proxy is trusted by hop count or by address.
 */
function describeTrustedProxy(trustProxy: string): void {
  describe(`X-Forwarded-For through a trusted proxy (TRUST_PROXY=${trustProxy})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ PLAYTIME_IP_RATE_LIMIT: '5', PLAYTIME_RATE_LIMIT: '1000', TRUST_PROXY: trustProxy });
    });
    afterAll(async () => {
      await t.close();
    });

    const fromIp = async (xff: string, userId: string) =>
      t.http().post('/v1/playtime').set('Authorization', `Bearer ${await t.token(userId)}`).set('X-Forwarded-For', xff).send(movieHeartbeat());

    it('gives distinct client addresses separate IP buckets', async () => {
      const statuses: number[] = [];
      for (let i = 1; i <= 8; i++) statuses.push((await fromIp(`192.0.2.${i}`, `proxied-user-${i}`)).status);
      expect(statuses).toEqual(Array(8).fill(202));
    });

    it('still limits one client address behind the proxy', async () => {
      const statuses: number[] = [];
      for (let i = 1; i <= 5; i++) statuses.push((await fromIp('192.0.2.100', `same-ip-user-${i}`)).status);
      expect(statuses).toEqual(Array(5).fill(202));
      expectThrottled(await fromIp('192.0.2.100', 'same-ip-user-6'));
      // Other addresses are unaffected.
      expect((await fromIp('192.0.2.101', 'same-ip-user-7')).status).toBe(202);
    });

    it('ignores addresses a client prepends to X-Forwarded-For', async () => {
      const statuses: number[] = [];
      for (let i = 1; i <= 6; i++) statuses.push((await fromIp(`10.9.9.${i}, 192.0.2.200`, `prepend-user-${i}`)).status);
      expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
    });

    it('treats an IPv6 client by its /64, so rotating addresses inside it gives no fresh buckets', async () => {
      const statuses: number[] = [];
      for (let i = 1; i <= 6; i++) statuses.push((await fromIp(`2001:db8:aa:bb::${i.toString(16)}`, `v6-user-${i}`)).status);
      expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
      // Another /64 is another client.
      expect((await fromIp('2001:db8:aa:cc::1', 'v6-user-7')).status).toBe(202);
    });
  });
}

describeTrustedProxy('1');
describeTrustedProxy('127.0.0.1,::1');
