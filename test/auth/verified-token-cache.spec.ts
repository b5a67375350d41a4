import { HttpException } from '@nestjs/common';
import { SignJWT, type JWTPayload } from 'jose';
import { TokenVerifier } from '../../src/auth/token-verifier.js';
import { loadConfig } from '../../src/config/app-config.js';
import { FakeClock } from '../utils/fake-clock.js';

const SECRET = 'cache-secret-cache-secret-cache-secret-0123';
const START_MS = Date.UTC(2026, 11, 2, 12, 0, 0);
const START_S = START_MS / 1000;

function hs256(claims: JWTPayload, secret = SECRET): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}

/** A verifier on its own clock (token time), with a cache of `entries` (0: no caching). */
function verifierWith(entries: number, clock: FakeClock): TokenVerifier {
  const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: SECRET, JWT_AUDIENCE: 'playtime-api' }, null);
  return new TokenVerifier(config, clock, { tokenTime: () => clock.now(), cacheEntries: entries });
}

/** What a verification gives: the user id, or the HTTP status and message it fails with. */
async function outcome(v: TokenVerifier, token: string): Promise<string> {
  try {
    return `ok:${(await v.verify(token)).userId}`;
  } catch (err) {
    if (err instanceof HttpException) return `${err.getStatus()}:${err.message}`;
    throw err;
  }
}

describe('verified-token cache', () => {
  let clock: FakeClock;
  beforeEach(() => {
    clock = new FakeClock();
    clock.set(START_MS);
  });

  it('serves a verified token from the cache, and stops accepting it at its exp', async () => {
    const v = verifierWith(100, clock);
    const token = await hs256({ sub: 'u1', aud: 'playtime-api', exp: START_S + 60 });
    const first = await v.verify(token);
    // The same object back: no second verification.
    expect(await v.verify(token)).toBe(first);
    expect(v.cache.size).toBe(1);

    clock.set((START_S + 60) * 1000 - 1);
    expect(await v.verify(token)).toBe(first);
    clock.set((START_S + 60) * 1000);
    expect(await outcome(v, token)).toBe('401:Token expired');
    expect(v.cache.size).toBe(0);
  });

  it('stays within its bound, dropping the least recently used token first', async () => {
    const v = verifierWith(3, clock);
    const tokens = await Promise.all([...Array(10).keys()].map((i) => hs256({ sub: `u${i}`, aud: 'playtime-api', exp: START_S + 3600 })));
    const users = [];
    for (const token of tokens) users.push(await v.verify(token));
    expect(v.cache.size).toBe(3);
    // Touch u7 so u8 becomes the oldest; a new token then pushes u8 out.
    expect(await v.verify(tokens[7])).toBe(users[7]);
    await v.verify(await hs256({ sub: 'u10', aud: 'playtime-api', exp: START_S + 3600 }));
    expect(v.cache.size).toBe(3);
    expect(await v.verify(tokens[7])).toBe(users[7]);
    expect(await v.verify(tokens[9])).toBe(users[9]);
    expect(await v.verify(tokens[8])).not.toBe(users[8]);
    expect(await v.verify(tokens[0])).not.toBe(users[0]);
    expect(v.cache.size).toBe(3);
  });

  it('never caches a failure', async () => {
    const v = verifierWith(100, clock);
    const bad = [
      await hs256({ sub: 'u1', aud: 'playtime-api', exp: START_S + 60 }, 'another-secret-another-secret-another-secret'),
      await hs256({ sub: 'u1', aud: 'another-app', exp: START_S + 60 }),
      await hs256({ sub: '', aud: 'playtime-api', exp: START_S + 60 }),
      await hs256({ sub: 'u1', aud: 'playtime-api', exp: START_S - 1 }),
      'not-a-token',
    ];
    for (const token of bad) {
      expect(await outcome(v, token)).toMatch(/^401:/);
      expect(await outcome(v, token)).toMatch(/^401:/);
    }
    expect(v.cache.size).toBe(0);
  });

  it('gives the same answers as uncached verification as time passes', async () => {
    const cached = verifierWith(100, clock);
    const uncached = verifierWith(0, clock);
    const claims = (over: JWTPayload) => ({ sub: 'u1', aud: 'playtime-api', exp: START_S + 120, ...over });
    const tokens = [
      await hs256(claims({})),
      await hs256(claims({ exp: START_S + 30 })),
      await hs256(claims({ nbf: START_S + 60 })),
      await hs256(claims({ roles: ['admin'], sub: 'ops' })),
      await hs256(claims({ aud: 'another-app' })),
      await hs256(claims({}), 'another-secret-another-secret-another-secret'),
    ];
    const seen: string[] = [];
    for (const offsetS of [0, 1, 29, 30, 59, 60, 61, 119, 120, 500]) {
      clock.set((START_S + offsetS) * 1000);
      for (const token of tokens) {
        const expected = await outcome(uncached, token);
        expect({ offsetS, got: await outcome(cached, token) }).toEqual({ offsetS, got: expected });
        seen.push(expected);
      }
    }
    expect(uncached.cache.size).toBe(0);
    // The sequence went through acceptance and every kind of refusal.
    expect(new Set(seen)).toEqual(new Set(['ok:u1', 'ok:ops', '401:Token expired', '401:Invalid token']));
  });
});
