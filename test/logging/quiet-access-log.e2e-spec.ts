import { randomUUID } from 'node:crypto';
import { signToken } from '../../src/auth/sign-token.js';
import { TEST_SECRET, movieHeartbeat } from '../utils/create-app.js';
import { ensureBuilt, startChild, type ChildServer } from '../utils/child-server.js';
import { outputWhere } from '../utils/events.js';
import { createTestDatabase } from '../utils/test-database.js';

interface Line {
  level?: number;
  msg?: string;
  req?: { id?: string; method?: string; url?: string; headers?: unknown };
  res?: { statusCode?: number };
}

const lines = (s: ChildServer): Line[] =>
  s
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);

/**
 * At LOG_LEVEL=warn the per-request logger is off (no cost on 2xx answers); refused requests are
 * still logged, one line each, with their request id, and without the credentials they carried.
 */
describe('request log at LOG_LEVEL=warn (the built service)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let s: ChildServer;

  beforeAll(async () => {
    ensureBuilt();
    db = await createTestDatabase();
    s = await startChild({ DATABASE_URL: db.url, JWT_SECRET: TEST_SECRET, LOG_LEVEL: 'warn', PLAYTIME_FLUSH_INTERVAL_MS: '3600000' });
  }, 120_000);
  afterAll(async () => {
    if (s && s.child.exitCode === null && s.child.signalCode === null) {
      s.child.kill('SIGTERM');
      await s.exit;
    }
    await db?.drop();
  });

  it('logs a 401 and a 400 with their ids at warn, and nothing for a 202', async () => {
    const post = (headers: Record<string, string>, body: unknown) =>
      fetch(`${s.base}/v1/playtime`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const okId = `ok-${randomUUID()}`;
    const ok = await post({ authorization: `Bearer ${await signToken(TEST_SECRET, 'quiet-log')}`, 'x-request-id': okId }, movieHeartbeat());
    expect(ok.status).toBe(202);
    const unauthId = `unauth-${randomUUID()}`;
    const unauth = await post({ authorization: 'Bearer not-a-token', 'x-request-id': unauthId }, movieHeartbeat());
    expect(unauth.status).toBe(401);
    const badId = `bad-${randomUUID()}`;
    const bad = await post({ authorization: `Bearer ${await signToken(TEST_SECRET, 'quiet-log')}`, 'x-request-id': badId }, { mediaType: 'book' });
    expect(bad.status).toBe(400);

    // The 400 is the last request: once its line is out, the others' are too.
    await outputWhere(s, () => lines(s).some((l) => l.req?.id === badId));
    const requestLines = lines(s).filter((l) => l.msg === 'request completed');
    const of = (id: string) => requestLines.filter((l) => l.req?.id === id);
    expect(of(unauthId)).toEqual([{ ...of(unauthId)[0], level: 40, req: { id: unauthId, method: 'POST', url: '/v1/playtime' }, res: { statusCode: 401 } }]);
    expect(of(badId)).toHaveLength(1);
    expect(of(badId)[0]).toMatchObject({ level: 40, res: { statusCode: 400 } });
    expect(of(okId)).toEqual([]);
    expect(s.output()).not.toContain('not-a-token');
  });
});
