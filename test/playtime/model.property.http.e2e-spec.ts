import fc from 'fast-check';
import { SignJWT } from 'jose';
import { TEST_SECRET } from '../utils/create-app.js';
import { ensureBuilt, startChild, type ChildServer } from '../utils/child-server.js';
import { createTestDatabase } from '../utils/test-database.js';
import { scenarioArb } from './model.property.model.js';
import { configEnv, play, propertyOptions, propertyTimeout, type Instance } from './model.property.run.js';

/**
 * The model property against the built service (`node dist/src/main.js`): two processes on one
 * database, real clocks, nothing but HTTP. Flush points are statistics reads, which store the
 * caller's pending heartbeats on the instance asked.
 */
describe('model property (built service, two processes)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let servers: ChildServer[] = [];
  let run = 0;
  /** When the latest answer arrived: the next request must start in a later millisecond. */
  let lastAnswer = 0;

  beforeAll(async () => {
    ensureBuilt();
    db = await createTestDatabase();
    const env = {
      DATABASE_URL: db.url, JWT_SECRET: TEST_SECRET, LOG_LEVEL: 'warn', PLAYTIME_FLUSH_INTERVAL_MS: '3600000',
      PLAYTIME_RATE_LIMIT: '100000', PLAYTIME_IP_RATE_LIMIT: '1000000', HISTORY_WRITE_RATE_LIMIT: '100000', AUTH_FAILURE_LIMIT: '100000',
      // the admin's catalogue PUT reaches one process's cache: the other reads the table
      CATALOG_CACHE_TTL_MS: '0', ...configEnv(),
    };
    servers = [await startChild(env), await startChild(env)];
  }, 180_000);
  afterAll(async () => {
    for (const s of servers) {
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
      await s.exit;
    }
    await db?.drop();
  });

  const instance = (s: ChildServer): Instance => ({
    async call(method, path, token, body) {
      const res = await fetch(`${s.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      lastAnswer = Date.now();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
  });

  /**
   * "Received before the delete" compares receipt times in milliseconds, taken by two processes
   * from the same machine clock: starting each request in a later millisecond than the answer
   * before it keeps the order the client saw.
   */
  const nextMillisecond = async () => {
    while (Date.now() <= lastAnswer) await new Promise((r) => setImmediate(r));
  };

  it('every answer equals the model, whatever the order, replays, deletes, hides, settings and flush points', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const user = `http-prop-${++run}`;
        const sign = (sub: string, roles: string[]) => new SignJWT({ roles }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt()
          .setExpirationTime('1h').sign(new TextEncoder().encode(TEST_SECRET));
        await play(scenario, {
          instances: servers.map(instance), token: await sign(user, []), adminToken: await sign('http-prop-admin', ['admin']), between: nextMillisecond, now: () => Date.now(),
        });
      }),
      propertyOptions(12),
    );
  }, propertyTimeout(12));
});
