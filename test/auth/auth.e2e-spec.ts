import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import type { Response } from 'supertest';
import { signToken } from '../../src/auth/sign-token.js';
import { createTestApp, movieHeartbeat, TEST_SECRET, type TestApp } from '../utils/create-app.js';

const COUNTER_NAMES = ['heartbeatsAccepted', 'pendingItems', 'flushes', 'statements', 'rowsWritten', 'lastFlushMs', 'flushFailures'];

const nowSeconds = () => Math.floor(Date.now() / 1000);
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An HS256 token with exactly the given claims (no defaults added). */
function hs256(claims: JWTPayload, secret = TEST_SECRET): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}

/** A 401 as the SPEC wants it: JSON error body, `WWW-Authenticate: Bearer`, token never echoed. */
function expectUnauthorized(res: Response, token?: string): void {
  expect(res.status).toBe(401);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers['www-authenticate']).toBe('Bearer');
  expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
  expect(typeof res.body.message).toBe('string');
  if (token) expect(JSON.stringify(res.body)).not.toContain(token);
}

describe('auth (HS256 with JWT_SECRET)', () => {
  let t: TestApp;
  beforeAll(async () => {
    // This file sends many bad tokens from one address on purpose: the per-IP limit on failed
    // authentications has its own tests (auth-failure-limit.e2e-spec.ts).
    t = await createTestApp({ AUTH_FAILURE_LIMIT: '100000' });
  });
  afterAll(async () => {
    await t.close();
  });

  const postHeartbeat = (authorization?: string) => {
    const req = t.http().post('/v1/playtime');
    if (authorization !== undefined) req.set('Authorization', authorization);
    return req.send(movieHeartbeat());
  };

  it('accepts a valid token (the baseline the 401 cases differ from)', async () => {
    const res = await postHeartbeat(`Bearer ${await t.token('valid-user')}`);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: 1 });
  });

  it('accepts the scheme in any case', async () => {
    await postHeartbeat(`bearer ${await t.token('valid-user')}`).expect(202);
  });

  it('401 without an Authorization header', async () => {
    expectUnauthorized(await postHeartbeat());
  });

  it('401 on reads too, without an Authorization header', async () => {
    expectUnauthorized(await t.http().get('/v1/history/movie/550'));
  });

  it('401 for a non-Bearer scheme', async () => {
    const token = await t.token('u1');
    expectUnauthorized(await postHeartbeat(`Basic ${Buffer.from('u1:pw').toString('base64')}`));
    expectUnauthorized(await postHeartbeat(`Token ${token}`), token);
    expectUnauthorized(await postHeartbeat(token), token);
  });

  it('401 for "Bearer" with no token', async () => {
    expectUnauthorized(await postHeartbeat('Bearer '));
  });

  it('401 for a malformed token', async () => {
    for (const token of ['not-a-jwt', 'a.b.c', `${base64url({ alg: 'HS256' })}.not-json.sig`]) {
      expectUnauthorized(await postHeartbeat(`Bearer ${token}`), token);
    }
  });

  it('401 for a tampered token (payload changed, signature kept)', async () => {
    const [header, , signature] = (await t.token('alice')).split('.');
    const forged = `${header}.${base64url({ sub: 'mallory', exp: nowSeconds() + 3600, roles: ['admin'] })}.${signature}`;
    expectUnauthorized(await postHeartbeat(`Bearer ${forged}`), forged);
  });

  it('401 for an expired token, saying so', async () => {
    const token = await hs256({ sub: 'u1', iat: nowSeconds() - 7200, exp: nowSeconds() - 60 });
    const res = await postHeartbeat(`Bearer ${token}`);
    expectUnauthorized(res, token);
    expect(res.body.message).toMatch(/expired/i);
  });

  it('401 for a token signed with another HS256 secret', async () => {
    const token = await signToken('another-secret-another-secret-another-secret', 'u1');
    expectUnauthorized(await postHeartbeat(`Bearer ${token}`), token);
  });

  it('401 for an unsigned `alg: none` token', async () => {
    const claims = { sub: 'u1', exp: nowSeconds() + 3600, roles: ['admin'] };
    for (const alg of ['none', 'None', 'NONE']) {
      const token = `${base64url({ alg, typ: 'JWT' })}.${base64url(claims)}.`;
      expectUnauthorized(await postHeartbeat(`Bearer ${token}`), token);
      expectUnauthorized(await t.http().get('/v1/admin/ingest').set('Authorization', `Bearer ${token}`), token);
    }
  });

  it('401 for a token without sub', async () => {
    const token = await hs256({ exp: nowSeconds() + 3600 });
    expectUnauthorized(await postHeartbeat(`Bearer ${token}`), token);
  });

  it('401 for a token with an empty or non-string sub', async () => {
    for (const sub of ['', 42]) {
      const token = await hs256({ sub, exp: nowSeconds() + 3600 } as unknown as JWTPayload);
      expectUnauthorized(await postHeartbeat(`Bearer ${token}`), token);
    }
  });

  it('401 for a validly signed token whose sub the database could not hold (NUL, control characters, too long)', async () => {
    const before = t.batcher.counts().heartbeatsAccepted;
    for (const sub of ['nul\u0000user', 'tab\tuser', 'bell\u0007', 'x'.repeat(257)]) {
      const token = await hs256({ sub, exp: nowSeconds() + 3600 });
      expectUnauthorized(await postHeartbeat(`Bearer ${token}`), token);
      expectUnauthorized(await t.http().get('/v1/history').set('Authorization', `Bearer ${token}`), token);
    }
    const longest = await hs256({ sub: 'x'.repeat(256), exp: nowSeconds() + 3600 });
    await postHeartbeat(`Bearer ${longest}`).expect(202);
    expect(t.batcher.counts().heartbeatsAccepted).toBe(before + 1);
  });

  it('401 for a token without exp', async () => {
    const token = await hs256({ sub: 'u1', iat: nowSeconds() });
    expectUnauthorized(await postHeartbeat(`Bearer ${token}`), token);
  });

  it('401 for a token not valid yet (nbf in the future)', async () => {
    const token = await hs256({ sub: 'u1', exp: nowSeconds() + 7200, nbf: nowSeconds() + 3600 });
    expectUnauthorized(await postHeartbeat(`Bearer ${token}`), token);
  });

  it('does not store anything for a rejected request', async () => {
    const before = t.batcher.counts().heartbeatsAccepted;
    await postHeartbeat('Bearer nope').expect(401);
    await postHeartbeat(`Bearer ${await signToken('another-secret-another-secret-another-secret', 'u1')}`).expect(401);
    expect(t.batcher.counts().heartbeatsAccepted).toBe(before);
  });

  describe('admin routes', () => {
    it('403 for a valid token without the admin role', async () => {
      const res = await t.http().get('/v1/admin/ingest').set('Authorization', `Bearer ${await t.token('viewer')}`);
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
      expect(res.headers['www-authenticate']).toBeUndefined();
      expect(res.body.heartbeatsAccepted).toBeUndefined();
    });

    it('403 when roles is not an array containing "admin"', async () => {
      for (const roles of ['admin', ['Admin'], [{ name: 'admin' }], ['viewer', 'editor']]) {
        const token = await hs256({ sub: 'viewer', exp: nowSeconds() + 3600, roles } as unknown as JWTPayload);
        await t.http().get('/v1/admin/ingest').set('Authorization', `Bearer ${token}`).expect(403);
      }
    });

    it('401 (not 403) without a token', async () => {
      expectUnauthorized(await t.http().get('/v1/admin/ingest'));
    });

    it('200 with the admin role, with the ingest counters', async () => {
      const admin = await t.token('ops', { admin: true });
      const before = await t.http().get('/v1/admin/ingest').set('Authorization', `Bearer ${admin}`).expect(200);
      for (const name of COUNTER_NAMES) {
        expect(before.body).toHaveProperty(name);
        expect(Number.isInteger(before.body[name])).toBe(true);
      }
      await postHeartbeat(`Bearer ${await t.token('counted-user')}`).expect(202);
      const after = await t.http().get('/v1/admin/ingest').set('Authorization', `Bearer ${admin}`).expect(200);
      expect(after.body.heartbeatsAccepted).toBe(before.body.heartbeatsAccepted + 1);
    });

    it('accepts "admin" among other roles', async () => {
      const token = await hs256({ sub: 'ops', exp: nowSeconds() + 3600, roles: ['viewer', 'admin'] });
      await t.http().get('/v1/admin/ingest').set('Authorization', `Bearer ${token}`).expect(200);
    });
  });

  describe('health routes', () => {
    it('need no token', async () => {
      const live = await t.http().get('/health/live').expect(200);
      expect(live.body).toEqual({ status: 'ok' });
      const ready = await t.http().get('/health/ready').expect(200);
      expect(ready.body).toMatchObject({ status: 'ok', database: 'up' });
    });

    it('ignore a bad token', async () => {
      await t.http().get('/health/live').set('Authorization', 'Bearer garbage').expect(200);
      await t.http().get('/health/ready').set('Authorization', 'Basic abc').expect(200);
    });
  });

  describe('beacon (token in the body)', () => {
    const movieId = (n: number) => 9_000 + n;

    it('204 for a text/plain JSON body (what sendBeacon sends), and the heartbeat is readable', async () => {
      const token = await t.token('beacon-user');
      const heartbeat = movieHeartbeat({ mediaId: movieId(1), currentTime: 1234, playedSeconds: 30 });
      const res = await t
        .http()
        .post('/v1/playtime/beacon')
        .set('Content-Type', 'text/plain;charset=UTF-8')
        .send(JSON.stringify({ ...heartbeat, accessToken: token }));
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      const item = await t.http().get(`/v1/history/movie/${movieId(1)}`).set('Authorization', `Bearer ${token}`).expect(200);
      expect(item.body.currentTime).toBe(1234);
    });

    it('204 for an application/json body, and the heartbeat is readable', async () => {
      const token = await t.token('beacon-user');
      const heartbeat = movieHeartbeat({ mediaId: movieId(2), currentTime: 777, playedSeconds: 20 });
      await t.http().post('/v1/playtime/beacon').send({ ...heartbeat, accessToken: token }).expect(204);
      const item = await t.http().get(`/v1/history/movie/${movieId(2)}`).set('Authorization', `Bearer ${token}`).expect(200);
      expect(item.body.currentTime).toBe(777);
    });

    it('stores the beacon for the token\'s user only', async () => {
      const token = await t.token('beacon-owner');
      await t.http().post('/v1/playtime/beacon').send({ ...movieHeartbeat({ mediaId: movieId(3) }), accessToken: token }).expect(204);
      const other = await t.http().get(`/v1/history/movie/${movieId(3)}`).set('Authorization', `Bearer ${await t.token('beacon-other')}`);
      expect(other.status).toBe(404);
    });

    it('401 without accessToken, in either content type', async () => {
      expectUnauthorized(await t.http().post('/v1/playtime/beacon').send(movieHeartbeat({ mediaId: movieId(4) })));
      expectUnauthorized(
        await t.http().post('/v1/playtime/beacon').set('Content-Type', 'text/plain').send(JSON.stringify(movieHeartbeat({ mediaId: movieId(4) }))),
      );
      expectUnauthorized(await t.http().post('/v1/playtime/beacon').send({ ...movieHeartbeat({ mediaId: movieId(4) }), accessToken: '' }));
      expectUnauthorized(await t.http().post('/v1/playtime/beacon').send({ ...movieHeartbeat({ mediaId: movieId(4) }), accessToken: 42 }));
    });

    it('401 for an invalid accessToken, in either content type', async () => {
      const expired = await hs256({ sub: 'beacon-user', exp: nowSeconds() - 10 });
      const wrongSecret = await signToken('another-secret-another-secret-another-secret', 'beacon-user');
      for (const accessToken of ['garbage', expired, wrongSecret]) {
        const body = { ...movieHeartbeat({ mediaId: movieId(5) }), accessToken };
        expectUnauthorized(await t.http().post('/v1/playtime/beacon').send(body), accessToken);
        expectUnauthorized(await t.http().post('/v1/playtime/beacon').set('Content-Type', 'text/plain').send(JSON.stringify(body)), accessToken);
      }
      // Nothing was stored for that user.
      const read = await t.http().get(`/v1/history/movie/${movieId(5)}`).set('Authorization', `Bearer ${await t.token('beacon-user')}`);
      expect(read.status).toBe(404);
    });

    it('ignores an Authorization header: the token must be in the body', async () => {
      const token = await t.token('beacon-user');
      const res = await t.http().post('/v1/playtime/beacon').set('Authorization', `Bearer ${token}`).send(movieHeartbeat({ mediaId: movieId(6) }));
      expectUnauthorized(res);
    });

    it('400 for a text/plain body that is not JSON', async () => {
      const res = await t.http().post('/v1/playtime/beacon').set('Content-Type', 'text/plain').send('accessToken=abc&mediaId=1');
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'body' })]);
    });

    it('400 for a valid token with an invalid heartbeat, naming the field', async () => {
      const token = await t.token('beacon-user');
      const res = await t
        .http()
        .post('/v1/playtime/beacon')
        .set('Content-Type', 'text/plain')
        .send(JSON.stringify({ ...movieHeartbeat({ mediaId: movieId(7), totalDuration: -5 }), accessToken: token }));
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.errors)).toContain('totalDuration');
    });
  });

  describe('user isolation', () => {
    it("user A's heartbeat is a 404 for user B", async () => {
      const alice = await t.token('alice');
      const bob = await t.token('bob');
      await t.http().post('/v1/playtime').set('Authorization', `Bearer ${alice}`).send(movieHeartbeat({ mediaId: 4242, currentTime: 600 })).expect(202);

      const own = await t.http().get('/v1/history/movie/4242').set('Authorization', `Bearer ${alice}`).expect(200);
      expect(own.body.currentTime).toBe(600);
      const other = await t.http().get('/v1/history/movie/4242').set('Authorization', `Bearer ${bob}`);
      expect(other.status).toBe(404);
      expect(other.body).toMatchObject({ statusCode: 404 });

      // Still isolated once flushed to the database.
      await t.batcher.flush();
      await t.http().get('/v1/history/movie/4242').set('Authorization', `Bearer ${alice}`).expect(200);
      await t.http().get('/v1/history/movie/4242').set('Authorization', `Bearer ${bob}`).expect(404);
      const { rows } = await t.db.query<{ user_id: string }>('SELECT user_id FROM watch_history WHERE media_id = 4242');
      expect(rows.map((r) => r.user_id)).toEqual(['alice']);
    });

    it('the admin role gives no access to other users\' items on user routes', async () => {
      const carol = await t.token('carol');
      await t.http().post('/v1/playtime').set('Authorization', `Bearer ${carol}`).send(movieHeartbeat({ mediaId: 4343 })).expect(202);
      await t.http().get('/v1/history/movie/4343').set('Authorization', `Bearer ${await t.token('ops', { admin: true })}`).expect(404);
    });
  });
});

describe('auth with JWT_ISSUER and JWT_AUDIENCE', () => {
  const ISSUER = 'https://idp.playtime.test/';
  const AUDIENCE = 'playtime-api';
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE });
  });
  afterAll(async () => {
    await t.close();
  });

  const post = (token: string) => t.http().post('/v1/playtime').set('Authorization', `Bearer ${token}`).send(movieHeartbeat());

  it('202 with the right iss and aud', async () => {
    await post(await signToken(TEST_SECRET, 'u1', { issuer: ISSUER, audience: AUDIENCE })).expect(202);
  });

  it('202 when aud is an array containing the audience', async () => {
    const token = await hs256({ sub: 'u1', exp: nowSeconds() + 3600, iss: ISSUER, aud: ['other-api', AUDIENCE] });
    await post(token).expect(202);
  });

  it('401 with the wrong iss', async () => {
    const token = await signToken(TEST_SECRET, 'u1', { issuer: 'https://evil.test/', audience: AUDIENCE });
    expectUnauthorized(await post(token), token);
  });

  it('401 with the wrong aud', async () => {
    const token = await signToken(TEST_SECRET, 'u1', { issuer: ISSUER, audience: 'another-api' });
    expectUnauthorized(await post(token), token);
  });

  it('401 without iss or aud', async () => {
    expectUnauthorized(await post(await signToken(TEST_SECRET, 'u1', { audience: AUDIENCE })));
    expectUnauthorized(await post(await signToken(TEST_SECRET, 'u1', { issuer: ISSUER })));
    expectUnauthorized(await post(await t.token('u1')));
  });
});

describe('auth with JWT_JWKS_URL (RS256/ES256)', () => {
  let server: Server;
  let t: TestApp;
  let rsaKey: CryptoKey;
  let ecKey: CryptoKey;
  let strangerKey: CryptoKey;
  let jwksRequests = 0;

  const AUDIENCE = 'playtime-api';
  const sign = (key: CryptoKey, alg: 'RS256' | 'ES256', kid: string, claims: JWTPayload = {}) =>
    new SignJWT({ sub: 'sso-user', aud: AUDIENCE, iat: nowSeconds(), exp: nowSeconds() + 600, roles: [], ...claims })
      .setProtectedHeader({ alg, kid, typ: 'JWT' })
      .sign(key);

  beforeAll(async () => {
    const rsa = await generateKeyPair('RS256');
    const ec = await generateKeyPair('ES256');
    const stranger = await generateKeyPair('RS256');
    rsaKey = rsa.privateKey;
    ecKey = ec.privateKey;
    strangerKey = stranger.privateKey;
    const jwks = {
      keys: [
        { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
        { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
      ],
    };
    server = createServer((req, res) => {
      if (req.url === '/jwks.json') {
        jwksRequests++;
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(jwks));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    // JWKS only: no HS256 secret at all. SPEC §3: an audience is required with JWKS.
    t = await createTestApp({ JWT_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`, JWT_AUDIENCE: AUDIENCE, JWT_SECRET: '' });
  });
  afterAll(async () => {
    await t?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  const post = (token: string) => t.http().post('/v1/playtime').set('Authorization', `Bearer ${token}`).send(movieHeartbeat({ mediaId: 680 }));

  it('has no HS256 secret configured', () => {
    expect(t.config.JWT_SECRET).toBeUndefined();
  });

  it('accepts an RS256 token from the JWKS', async () => {
    const token = await sign(rsaKey, 'RS256', 'rsa-1');
    const res = await post(token);
    expect(res.status).toBe(202);
    expect(jwksRequests).toBeGreaterThanOrEqual(1);
    // The user is the token's sub.
    const item = await t.http().get('/v1/history/movie/680').set('Authorization', `Bearer ${token}`).expect(200);
    expect(item.body.currentTime).toBe(100);
  });

  it('accepts an ES256 token from the JWKS', async () => {
    await post(await sign(ecKey, 'ES256', 'ec-1', { sub: 'sso-user-2' })).expect(202);
  });

  it('gives the admin role from an RS256 token', async () => {
    const viewer = await sign(rsaKey, 'RS256', 'rsa-1');
    const admin = await sign(rsaKey, 'RS256', 'rsa-1', { roles: ['admin'] });
    await t.http().get('/v1/admin/ingest').set('Authorization', `Bearer ${viewer}`).expect(403);
    await t.http().get('/v1/admin/ingest').set('Authorization', `Bearer ${admin}`).expect(200);
  });

  it('503 with Retry-After (not 401) for a key id not in the JWKS until the keys are fetched again; 401 if still unpublished', async () => {
    await post(await sign(rsaKey, 'RS256', 'rsa-1')).expect(202);
    const fetched = jwksRequests;
    const unknownKid = await sign(strangerKey, 'RS256', 'not-published');
    // The keys were fetched a moment ago: the refetch is held back, and the token may be valid.
    const held = await post(unknownKid);
    expect(held.status).toBe(503);
    expect(Number(held.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(held.body)).not.toContain(unknownKid);
    expect(jwksRequests).toBe(fetched);
    // Once a refetch is allowed, the provider's current keys settle it.
    t.clock.advance(Number(held.headers['retry-after']) * 1000);
    expectUnauthorized(await post(unknownKid), unknownKid);
    expect(jwksRequests).toBe(fetched + 1);
  });

  it('401 for a known key id with a signature from another key', async () => {
    const stolenKid = await sign(strangerKey, 'RS256', 'rsa-1');
    expectUnauthorized(await post(stolenKid), stolenKid);
  });

  it('401 for a token without the configured audience, or for another one', async () => {
    for (const aud of [undefined, 'another-app']) {
      const token = await sign(rsaKey, 'RS256', 'rsa-1', { aud });
      expectUnauthorized(await post(token), token);
    }
  });

  it('401 for a token whose alg does not match the key', async () => {
    const token = await sign(ecKey, 'ES256', 'rsa-1');
    expectUnauthorized(await post(token), token);
  });

  it('401 for an expired RS256 token', async () => {
    const token = await sign(rsaKey, 'RS256', 'rsa-1', { exp: nowSeconds() - 30 });
    const res = await post(token);
    expectUnauthorized(res, token);
    expect(res.body.message).toMatch(/expired/i);
  });

  it('401 for an HS256 token when only JWKS is configured', async () => {
    const token = await t.token('u1');
    expectUnauthorized(await post(token), token);
  });
});
