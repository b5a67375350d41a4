import fc from 'fast-check';
import { SignJWT } from 'jose';
import request from 'supertest';
import { signToken } from '../../src/auth/sign-token.js';
import { createTestApp, movieHeartbeat, TEST_SECRET } from '../utils/create-app.js';
import { ensureBuilt, startChild } from '../utils/child-server.js';
import { createTestDatabase } from '../utils/test-database.js';

/**
 * Hostile input on every route: fuzzed bodies, path segments, query strings, headers and tokens.
 * Never a 5xx, never JSON that is not an object, never the victim's data.
 */
const SECRET_TITLE = 'VICTIM-SECRET-TITLE';

const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    "' OR 1=1 --", '"; DROP TABLE watch_history; --', '$1', '%00', '../../etc/passwd', '{"$gt":""}', '__proto__',
    'constructor', '1e309', '-0', 'NaN', 'Infinity', '9'.repeat(400), '0x10', '1.5', ' 550', '550abc', '\u0000', 'movie', 'tv',
    '\ud83d\ude00'.repeat(50), 'null', 'true', '[]', '{}',
  ),
);

const jsonValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record({ __proto__: fc.jsonValue(), constructor: fc.jsonValue() }, { requiredKeys: [] }),
  fc.record(
    {
      sessionId: nasty, mediaType: nasty, mediaId: fc.oneof(fc.double(), fc.integer(), nasty, fc.constant(1e308)),
      seasonNumber: fc.jsonValue(), episodeNumber: fc.jsonValue(), currentTime: fc.oneof(fc.double(), nasty),
      totalDuration: fc.oneof(fc.double(), nasty), playedSeconds: fc.oneof(fc.double(), nasty), event: nasty,
      title: fc.oneof(nasty, fc.string({ maxLength: 400 })), occurredAt: fc.oneof(nasty, fc.date().map((d) => (Number.isNaN(d.getTime()) ? 'x' : d.toISOString()))),
      heartbeats: fc.jsonValue(), accessToken: nasty, userId: nasty,
    },
    { requiredKeys: [] },
  ),
);

const ROUTES: { method: 'get' | 'post' | 'put' | 'delete'; path: (a: string, b: string) => string }[] = [
  { method: 'post', path: () => '/v1/playtime' },
  { method: 'post', path: () => '/v1/playtime/batch' },
  { method: 'post', path: () => '/v1/playtime/beacon' },
  { method: 'get', path: () => '/v1/history' },
  { method: 'get', path: () => '/v1/history/continue-watching' },
  { method: 'get', path: () => '/v1/history/export' },
  { method: 'get', path: (a, b) => `/v1/history/${a}/${b}` },
  { method: 'put', path: (a, b) => `/v1/history/${a}/${b}/watched` },
  { method: 'delete', path: (a, b) => `/v1/history/${a}/${b}/watched` },
  { method: 'delete', path: (a, b) => `/v1/history/${a}/${b}` },
  { method: 'get', path: () => '/v1/stats/me' },
  { method: 'get', path: () => '/v1/catalog' },
  { method: 'get', path: (a, b) => `/v1/catalog/${a}/${b}` },
  { method: 'put', path: (a, b) => `/v1/admin/catalog/${a}/${b}` },
  { method: 'post', path: () => '/v1/admin/catalog/import' },
  { method: 'get', path: () => '/v1/admin/ingest' },
  { method: 'get', path: () => '/v1/admin/reports/watch-hours' },
  { method: 'post', path: () => '/v1/admin/reports/rollup' },
];

/** HTTP clients refuse control and non-Latin-1 characters in headers: keep printable ASCII. */
const headerSafe = (s: string) => [...s].filter((c) => c >= ' ' && c <= '~').join('');

/** What the tests need of a running service. */
interface Target {
  http: () => ReturnType<typeof request>;
  token: (userId: string, opts?: { admin?: boolean }) => Promise<string>;
  close: () => Promise<void>;
}

const LIMITS = { PLAYTIME_RATE_LIMIT: '100000', PLAYTIME_IP_RATE_LIMIT: '1000000', HISTORY_WRITE_RATE_LIMIT: '100000', AUTH_FAILURE_LIMIT: '1000000' };

const TARGETS: [string, () => Promise<Target>][] = [
  ['in-process', async () => {
    const t = await createTestApp(LIMITS);
    return { http: t.http, token: t.token, close: () => t.close() };
  }],
  // The built service (`node dist/src/main.js`) as users run it, in production mode.
  ['the built service', async () => {
    ensureBuilt();
    const db = await createTestDatabase();
    const s = await startChild({ ...LIMITS, NODE_ENV: 'production', DATABASE_URL: db.url, JWT_SECRET: TEST_SECRET, LOG_LEVEL: 'warn' });
    return {
      http: () => request(s.base),
      token: (userId, o = {}) => signToken(TEST_SECRET, userId, o),
      close: async () => {
        s.child.kill('SIGTERM');
        await s.exit;
        await db.drop();
      },
    };
  }],
];

describe.each(TARGETS)('hostile input (%s)', (_name, start) => {
  let t: Target;
  let attacker: string;
  const forged: string[] = [];

  beforeAll(async () => {
    t = await start();
    const victim = await t.token('victim');
    await t.http().post('/v1/playtime').set('Authorization', `Bearer ${victim}`).send(movieHeartbeat({ mediaId: 550, title: SECRET_TITLE })).expect(202);
    // a statistics read stores the caller's pending heartbeats (SPEC §4)
    await t.http().get('/v1/stats/me').set('Authorization', `Bearer ${victim}`).expect(200);
    attacker = await t.token('attacker');
    const header = (alg: string) => Buffer.from(JSON.stringify({ alg, typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: 'victim', roles: ['admin'], exp: 9999999999 })).toString('base64url');
    forged.push(
      `${header('none')}.${payload}.`,
      `${header('HS256')}.${payload}.${Buffer.from('sig').toString('base64url')}`,
      await new SignJWT({ roles: ['admin'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('victim').setExpirationTime('1h').sign(new TextEncoder().encode(`${TEST_SECRET}x`)),
      await new SignJWT({ roles: ['admin'] }).setProtectedHeader({ alg: 'HS512' }).setSubject('victim').setExpirationTime('1h').sign(new TextEncoder().encode(TEST_SECRET)),
      attacker.split('.').slice(0, 2).join('.') + '.' + 'A'.repeat(43),
    );
  }, 120_000);
  afterAll(() => t?.close());

  function check(res: { status: number; text: string; headers: Record<string, string> }, asAttacker: boolean) {
    expect(res.status).toBeLessThan(500);
    if (res.text && /json/.test(res.headers['content-type'] ?? '')) {
      const body = JSON.parse(res.text);
      expect(typeof body).toBe('object');
      expect(res.text).not.toMatch(/\bat [\w.<>]+ \(|node_modules|QueryFailedError|SELECT |INSERT /);
    }
    if (asAttacker) expect(res.text).not.toContain(SECRET_TITLE);
  }

  it('never answers 5xx or leaks, whatever the body, path and query', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        nasty,
        nasty,
        fc.dictionary(fc.constantFrom('limit', 'cursor', 'mediaType', 'finished', 'seasonNumber', 'episodeNumber', 'from', 'to', 'tz', 'search', 'groupBy', 'format', 'date', 'userId'), nasty),
        jsonValue,
        fc.boolean(),
        async (route, a, b, query, body, admin) => {
          const token = admin ? await t.token('attacker-admin', { admin: true }) : attacker;
          const path = route.path(encodeURIComponent(a), encodeURIComponent(b));
          const req = t.http()[route.method](path).query(query).set('Authorization', `Bearer ${token}`);
          const text = JSON.stringify(body);
          const res = route.method === 'get' || text === undefined ? await req : await req.set('Content-Type', 'application/json').send(text);
          // admins may read admin data, never the victim's history through user routes
          check(res, !admin || !path.startsWith('/v1/admin'));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('rejects forged and unsigned tokens with 401 on every route', async () => {
    for (const token of forged) {
      for (const route of ROUTES) {
        const res = await t.http()[route.method](route.path('movie', '550')).set('Authorization', `Bearer ${token}`).send({});
        if (route.path('', '') === '/v1/playtime/beacon') continue; // token in the body, checked below
        expect({ route: route.path('movie', '550'), status: res.status }).toEqual({ route: route.path('movie', '550'), status: 401 });
      }
      const beacon = await t.http().post('/v1/playtime/beacon').send({ ...movieHeartbeat(), accessToken: token });
      expect(beacon.status).toBe(401);
    }
  });

  it('survives hostile headers', async () => {
    await fc.assert(
      fc.asyncProperty(nasty, nasty, nasty, async (auth, forwarded, requestId) => {
        const res = await t
          .http()
          .get('/v1/history/movie/550')
          .set('Authorization', headerSafe(auth))
          .set('X-Forwarded-For', headerSafe(forwarded))
          .set('X-Request-Id', headerSafe(requestId));
        check(res, true);
        expect(res.status).toBe(401);
      }),
      { numRuns: 150 },
    );
  });
});
