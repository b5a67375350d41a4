import fc from 'fast-check';
import { type TestApp } from '../utils/create-app.js';
import { scenarioArb } from './model.property.model.js';
import { play, type Instance } from './model.property.run.js';
import { closeAll, twoInstances } from '../utils/two-instances.js';

/**
 * Property: whatever clients send (replays, reordered and offline heartbeats across midnight,
 * session ids in any case, deletes in the middle of sessions, requests that must be refused) to
 * two instances on one database, flushed at random points, every item, continue watching and the
 * daily statistics equal what the model in model.property.model.ts computes from the text of the
 * SPEC. Over HTTP only; the clocks of both instances move together, one second per request.
 * model.property.http.e2e-spec.ts runs the same scenarios against the built service.
 */
describe('model property (in-process, two instances)', () => {
  let a: TestApp;
  let b: TestApp;
  let run = 0;
  beforeAll(async () => {
    [a, b] = await twoInstances({ TOMBSTONE_PRUNE_INTERVAL_MS: '0' });
  });
  afterAll(() => closeAll(b, a));

  const instance = (t: TestApp): Instance => ({
    async call(method, path, token, body) {
      const req = method === 'GET' ? t.http().get(path) : method === 'POST' ? t.http().post(path) : t.http().delete(path);
      const res = await req.set('Authorization', `Bearer ${token}`).send(body as object);
      return { status: res.status, body: res.body };
    },
  });

  it('every answer equals the model, whatever the order, replays, deletes and flush points', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const user = `prop-${++run}`;
        let now = Math.max(a.clock.now(), b.clock.now());
        const tick = async () => {
          now += 1000;
          a.clock.set(now);
          b.clock.set(now);
        };
        await play(scenario, [instance(a), instance(b)], user, await a.token(user), tick);
      }),
      // No shrinking: each run is a few seconds of HTTP, and the failing scenario is printed as found.
      { numRuns: 20, endOnFailure: true },
    );
  });
});
