import fc from 'fast-check';
import { type TestApp } from '../utils/create-app.js';
import { scenarioArb } from './model.property.model.js';
import { configEnv, play, propertyOptions, propertyTimeout, type Instance } from './model.property.run.js';
import { closeAll, twoInstances } from '../utils/two-instances.js';

/**
 * Property: whatever clients send (replays, reordered and offline heartbeats across midnight,
 * session ids in any case, plays and short sessions, deletes in the middle of sessions, hides,
 * settings and credits changed between flushes, requests that must be refused) to
 * two instances on one database, flushed at random points, every item, the history list, continue
 * watching, the settings and the daily statistics equal what the model in
 * model.property.expected.ts computes from the text of the SPEC. Over HTTP only; the clocks of both instances move together, one second per request.
 * model.property.http.e2e-spec.ts runs the same scenarios against the built service.
 */
describe('model property (in-process, two instances)', () => {
  let a: TestApp;
  let b: TestApp;
  let run = 0;
  beforeAll(async () => {
    // Each flush and read sees the catalogue as it is (the admin's PUT reaches one instance's cache).
    [a, b] = await twoInstances({ TOMBSTONE_PRUNE_INTERVAL_MS: '0', CATALOG_CACHE_TTL_MS: '0', ...configEnv() });
  });
  afterAll(() => closeAll(b, a));

  const instance = (t: TestApp): Instance => ({
    async call(method, path, token, body) {
      const http = t.http();
      const req = method === 'GET' ? http.get(path) : method === 'POST' ? http.post(path) : method === 'PUT' ? http.put(path) : method === 'PATCH' ? http.patch(path) : http.delete(path);
      const res = await req.set('Authorization', `Bearer ${token}`).send(body as object);
      return { status: res.status, body: res.body };
    },
  });

  it('every answer equals the model, whatever the order, replays, deletes, hides, settings and flush points', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const user = `prop-${++run}`;
        let now = Math.max(a.clock.now(), b.clock.now());
        const tick = async () => {
          now += 1000;
          a.clock.set(now);
          b.clock.set(now);
        };
        await play(scenario, {
          instances: [instance(a), instance(b)], token: await a.token(user), adminToken: await a.token('prop-admin', { admin: true }), between: tick, now: () => now,
        });
      }),
      propertyOptions(20),
    );
  }, propertyTimeout(20));
});
