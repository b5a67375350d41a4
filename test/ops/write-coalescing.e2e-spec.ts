import { createTestApp, movieHeartbeat, type TestApp } from '../utils/create-app.js';

/**
 * The service as `createApp` builds it writes the answers finished in one event-loop turn at the
 * end of that turn (see `src/common/write-coalescing.ts`), heartbeats included.
 */
describe('answers written together, in the app as served', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it("answers a turn's heartbeats only after the last of them was accepted", async () => {
    const headers = { authorization: `Bearer ${await t.token('turn-user')}`, 'content-type': 'application/json' };
    const fastify = t.app.getHttpAdapter().getInstance();
    // A first heartbeat verifies the token and caches it: the next ones need no I/O at all.
    expect((await fastify.inject({ method: 'POST', url: '/v1/playtime', headers, payload: movieHeartbeat({ mediaId: 1 }) })).statusCode).toBe(202);

    const K = 8;
    const events: string[] = [];
    const accept = t.batcher.accept.bind(t.batcher);
    const spy = jest.spyOn(t.batcher, 'accept').mockImplementation(async (userId, heartbeats) => {
      await accept(userId, heartbeats);
      events.push('accepted');
    });
    try {
      const answers = await Promise.all(
        Array.from({ length: K }, (_, i) =>
          fastify.inject({ method: 'POST', url: '/v1/playtime', headers, payload: movieHeartbeat({ mediaId: 100 + i }) }).then((res) => {
            events.push('answered');
            return res.statusCode;
          }),
        ),
      );
      expect(answers).toEqual(Array(K).fill(202));
      // Sent together, the K requests are handled in one turn; every answer waits for its end.
      expect(events).toEqual([...Array(K).fill('accepted'), ...Array(K).fill('answered')]);
    } finally {
      spy.mockRestore();
    }
  });
});
