import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { signToken } from '../../src/auth/sign-token.js';
import { ensureBuilt, startChild, type ChildServer } from '../utils/child-server.js';
import { movieHeartbeat, TEST_SECRET } from '../utils/create-app.js';
import { createTestDatabase } from '../utils/test-database.js';
import { expectFetchFieldError } from '../utils/field-error.js';

/**
 * Input PostgreSQL would refuse (PITFALLS 8.4), sent to the built service: every case is a 400
 * naming the field, before anything is kept. Behind it, an item the database refuses anyway
 * is set aside, logged by its key's hash, and its query parameters never reach the log.
 */
const startServer = (url: string) => startChild({ DATABASE_URL: url, JWT_SECRET: TEST_SECRET, PLAYTIME_FLUSH_INTERVAL_MS: '3600000', LOG_LEVEL: 'info' });

describe('poison input against the built service', () => {
  let server: ChildServer;
  let db: { url: string; drop: () => Promise<void> };
  let token: string;
  let admin: string;

  beforeAll(async () => {
    ensureBuilt();
    db = await createTestDatabase();
    server = await startServer(db.url);
    token = await signToken(TEST_SECRET, 'poison-client');
    admin = await signToken(TEST_SECRET, 'poison-admin', { admin: true });
  }, 120_000);

  afterAll(async () => {
    if (server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exit;
    }
    await db.drop();
  });

  const call = (method: string, path: string, body?: string, type = 'application/json', auth: string | null = token, on: ChildServer = server) =>
    fetch(`${on.base}${path}`, {
      method,
      headers: { ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...(body !== undefined ? { 'content-type': type } : {}) },
      body,
    });

  const json = (v: unknown) => JSON.stringify(v);

  it('refuses NUL anywhere in a request with a 400 naming the field', async () => {
    const nul = 'a\u0000b';
    const cases: [Promise<Response>, string][] = [
      [call('POST', '/v1/playtime', json(movieHeartbeat({ title: nul }))), 'title'],
      [call('POST', '/v1/playtime', json(movieHeartbeat({ sessionId: nul }))), 'sessionId'],
      [call('POST', '/v1/playtime', json({ ...movieHeartbeat(), ['x\u0000']: 1 })), 'x\\u0000'],
      [call('POST', '/v1/playtime/batch', json({ heartbeats: [movieHeartbeat(), movieHeartbeat(), movieHeartbeat({ title: nul })] })), 'heartbeats[2].title'],
      [call('POST', '/v1/playtime/beacon', json({ ...movieHeartbeat({ title: nul }), accessToken: token }), 'text/plain', null), 'title'],
      [call('POST', '/v1/playtime/beacon', json({ ...movieHeartbeat({ title: nul }), accessToken: token }), 'application/json', null), 'title'],
      [call('GET', '/v1/catalog?search=%00'), 'search'],
      [call('GET', '/v1/catalog?search=ok&search=%00'), 'search[1]'],
      [call('GET', '/v1/stats/me?tz=Europe/Paris%00'), 'tz'],
      [call('GET', '/v1/history?cursor=%00'), 'cursor'],
      [call('GET', '/v1/history/movie/550%00'), 'mediaId'],
      [call('DELETE', '/v1/history/movie/550?seasonNumber=%00'), 'seasonNumber'],
      [call('PUT', '/v1/admin/catalog/movie/550', json({ title: nul, runtimeSeconds: 100 }), 'application/json', admin), 'title'],
    ];
    for (const [res, field] of cases) await expectFetchFieldError(await res, field);
  });

  it('refuses numbers past what the database and any real video hold, naming the field', async () => {
    const tv = (over: Record<string, unknown>) => movieHeartbeat({ mediaType: 'tv', seasonNumber: 1, episodeNumber: 1, ...over });
    const cases: [Record<string, unknown>, string][] = [
      [movieHeartbeat({ mediaId: 2_147_483_648 }), 'mediaId'],
      [tv({ seasonNumber: 2_147_483_648 }), 'seasonNumber'],
      [tv({ episodeNumber: 2_147_483_648 }), 'episodeNumber'],
      [movieHeartbeat({ currentTime: 10_000_001 }), 'currentTime'],
      [movieHeartbeat({ totalDuration: 1e12 }), 'totalDuration'],
      [movieHeartbeat({ playedSeconds: 10_000_001 }), 'playedSeconds'],
      [movieHeartbeat({ occurredAt: '0000-01-01T00:00:00Z' }), 'occurredAt'],
    ];
    for (const [body, field] of cases) await expectFetchFieldError(await call('POST', '/v1/playtime', json(body)), field);
    // The largest values allowed are accepted.
    const ok = await call('POST', '/v1/playtime', json(movieHeartbeat({ mediaId: 2_147_483_647, currentTime: 10_000_000, totalDuration: 10_000_000, playedSeconds: 10_000_000 })));
    expect(ok.status).toBe(202);
  });

  it('sets aside an item the database refuses, logs it by hash, and never logs query parameters', async () => {
    // Its own server and database: the test stops the server, and the other tests, in any order,
    // need theirs running.
    const ownDb = await createTestDatabase();
    const own = await startServer(ownDb.url);
    const probeUser = `probe-user-${randomUUID()}`;
    const probeTitle = `probe-title-${randomUUID()}`;
    // A rule only the database knows, so a valid heartbeat is refused at flush time (23514).
    const client = new pg.Client({ connectionString: ownDb.url });
    await client.connect();
    await client.query(`ALTER TABLE watch_history ADD CONSTRAINT no_probe CHECK (title IS NULL OR title NOT LIKE 'probe-title-%')`);
    const probe = await signToken(TEST_SECRET, probeUser);
    const good = await signToken(TEST_SECRET, 'good-neighbour');
    expect((await call('POST', '/v1/playtime', json(movieHeartbeat({ mediaId: 77, title: probeTitle })), 'application/json', probe, own)).status).toBe(202);
    expect((await call('POST', '/v1/playtime', json(movieHeartbeat({ mediaId: 78 })), 'application/json', probe, own)).status).toBe(202);
    expect((await call('POST', '/v1/playtime', json(movieHeartbeat({ mediaId: 79 })), 'application/json', good, own)).status).toBe(202);
    // The probe user's read stores that user's items: one is refused, the other stored.
    expect((await call('GET', '/v1/stats/me', undefined, undefined, probe, own)).status).toBe(200);

    own.child.kill('SIGTERM');
    expect(await own.exit).toBe(0);
    const { rows: stored } = await client.query(`SELECT user_id, media_id FROM watch_history ORDER BY media_id`);
    const { rows: rejects } = await client.query(`SELECT user_id, key_hash, error_code FROM ingest_rejects`);
    await client.end();
    expect(stored.filter((r) => [77, 78, 79].includes(r.media_id))).toEqual([
      { user_id: probeUser, media_id: 78 },
      { user_id: 'good-neighbour', media_id: 79 },
    ]);
    expect(rejects).toEqual([{ user_id: probeUser, key_hash: expect.stringMatching(/^[0-9a-f]{16}$/), error_code: '23514' }]);

    const out = own.output();
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // The failing query was logged, through pino, without its parameters.
    expect(lines.some((l) => l.msg === 'query failed' && String(l.error).startsWith('23514'))).toBe(true);
    expect(lines).toContainEqual(expect.objectContaining({ msg: expect.stringContaining('set aside'), keyHash: rejects[0].key_hash, code: '23514' }));
    expect(out).not.toContain(probeUser);
    expect(out).not.toContain(probeTitle);
    expect(lines.some((l) => l.msg === 'final flush done, nothing pending')).toBe(true);
    await ownDb.drop();
  }, 120_000);
});
