import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT, type JWK } from 'jose';
import type { Response } from 'supertest';
import { DEFAULT_JWKS_TIMINGS } from '../../src/auth/jwks-key-store.js';
import { TokenVerifier } from '../../src/auth/token-verifier.js';
import { createTestApp, movieHeartbeat, type TestApp } from '../utils/create-app.js';
import { AUDIENCE, CLIENT_ID, OidcTestProvider, signingKey } from './oidc-test-provider.js';

const REFETCH_MS = DEFAULT_JWKS_TIMINGS.minRefetchIntervalMs;

/**
 * The service against a real OpenID provider that rotates its keys: tokens of a new key work as
 * soon as the service may fetch the keys again, are a 503 with `Retry-After` (never a 401) until
 * then, and known keys keep working while the provider is down.
 */
describe('JWKS from a real OpenID provider (oidc-provider, client credentials, RFC 9068 access tokens)', () => {
  let provider: OidcTestProvider;
  let t: TestApp;
  let firstKeys: JWK[];

  beforeEach(async () => {
    firstKeys = [await signingKey('ES256', 'ec-1'), await signingKey('RS256', 'rsa-1')];
    provider = await OidcTestProvider.start(firstKeys);
    t = await createTestApp({ JWT_SECRET: '', JWT_JWKS_URL: provider.jwksUrl, JWT_ISSUER: provider.issuer, JWT_AUDIENCE: AUDIENCE });
  });
  afterEach(async () => {
    await t?.close();
    await provider?.stop();
  });

  const post = (token: string) => t.http().post('/v1/playtime').set('Authorization', `Bearer ${token}`).send(movieHeartbeat({ mediaId: 1_550 }));
  const jwks = () => t.app.get(TokenVerifier).jwks!;
  /** The provider's next keys: new ones first (they sign), the previous ones still published. */
  const rotate = async (keep: JWK[] = firstKeys) => {
    const next = [await signingKey('ES256', 'ec-2'), await signingKey('RS256', 'rsa-2')];
    provider.rotate([...next, ...keep]);
    return next;
  };
  function expectRetryLater(res: Response): number {
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    const retryAfter = Number(res.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(REFETCH_MS / 1000);
    return retryAfter;
  }

  it('accepts its ES256 and RS256 access tokens; the user is the token\'s sub', async () => {
    for (const alg of ['ES256', 'RS256'] as const) {
      const token = await provider.token(alg);
      expect(decodeProtectedHeader(token)).toMatchObject({ alg, typ: 'at+jwt' });
      expect(decodeJwt(token)).toMatchObject({ sub: CLIENT_ID, aud: AUDIENCE, iss: provider.issuer });
      await post(token).expect(202);
    }
    const item = await t.http().get('/v1/history/movie/1550').set('Authorization', `Bearer ${await provider.token()}`).expect(200);
    expect(item.body.currentTime).toBe(100);
    expect(provider.jwksRequests).toBe(1);
  });

  it('after a rotation, a new key\'s token is accepted at once when a refetch is allowed', async () => {
    await post(await provider.token('ES256')).expect(202);
    expect(provider.jwksRequests).toBe(1);
    await rotate();
    t.clock.advance(REFETCH_MS);

    const tokens = [await provider.token('ES256'), await provider.token('RS256')];
    expect(tokens.map((token) => decodeProtectedHeader(token).kid)).toEqual(['ec-2', 'rsa-2']);
    // Clients arriving together with new-key tokens all wait for the same single refetch.
    const answers = await Promise.all([...tokens, ...tokens, ...tokens].map((token) => post(token)));
    expect(answers.map((res) => res.status)).toEqual(Array(6).fill(202));
    expect(provider.jwksRequests).toBe(2);
  });

  it('after a rotation, 503 with Retry-After while the refetch is held back, then accepted', async () => {
    const oldToken = await provider.token('ES256');
    await post(oldToken).expect(202);
    await rotate();
    const newToken = await provider.token('ES256');

    const retryAfter = expectRetryLater(await post(newToken));
    expect(provider.jwksRequests).toBe(1);
    // Known keys are not held back meanwhile.
    await post(oldToken).expect(202);

    t.clock.advance(retryAfter * 1000);
    await post(newToken).expect(202);
    expect(provider.jwksRequests).toBe(2);
  });

  it('provider down: known keys keep working past the refresh age, an unknown key gets 503, never 401', async () => {
    const seen = await provider.token('ES256');
    const unseenSameKey = await provider.token('ES256');
    const rsa = await provider.token('RS256');
    await post(seen).expect(202);
    await rotate();
    const newKeyToken = await provider.token('ES256');
    await provider.stop();

    // Far past the age at which the set is refreshed: the refresh fails and the set is kept.
    t.clock.advance(DEFAULT_JWKS_TIMINGS.maxAgeMs + REFETCH_MS);
    await post(seen).expect(202);
    await jwks().whenIdle();
    await post(unseenSameKey).expect(202);
    await post(rsa).expect(202);

    expectRetryLater(await post(newKeyToken));
    t.clock.advance(REFETCH_MS);
    // The fetch is allowed again and fails: still 503, and the known keys still work.
    expectRetryLater(await post(newKeyToken));
    await post(seen).expect(202);
    await post(rsa).expect(202);
  });

  it('401 for a token wrongly signed under a known kid, without fetching the keys again', async () => {
    await post(await provider.token('ES256')).expect(202);
    t.clock.advance(REFETCH_MS);
    const impostor = await signingKey('ES256', 'ec-1');
    const claims = decodeJwt(await provider.token('ES256'));
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'ec-1', typ: 'at+jwt' })
      .sign(await importJWK(impostor, 'ES256'));
    const res = await post(forged);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(provider.jwksRequests).toBe(1);
  });

  it('a key the provider stops publishing: its tokens fail alike whether verified before or not', async () => {
    const cached = await provider.token('ES256');
    const uncached = await provider.token('ES256');
    await post(cached).expect(202);
    // The first keys are gone from the set; the refresh happens once the set is old.
    await rotate([]);
    t.clock.advance(DEFAULT_JWKS_TIMINGS.maxAgeMs);
    await post(cached).expect(202);
    await jwks().whenIdle();
    expect(provider.jwksRequests).toBe(2);

    // Right after that refresh a refetch is held back: both are 503 for now...
    const a = await post(cached);
    const b = await post(uncached);
    expectRetryLater(a);
    expectRetryLater(b);
    // ...and once the provider's current set confirms the key is gone, both are 401.
    t.clock.advance(REFETCH_MS);
    expect((await post(cached)).status).toBe(401);
    t.clock.advance(REFETCH_MS);
    expect((await post(uncached)).status).toBe(401);
    expect(provider.jwksRequests).toBe(4);
    await post(await provider.token('ES256')).expect(202);
  });
});
