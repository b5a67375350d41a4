import { createTestApp, movieHeartbeat, type TestApp } from '../utils/create-app.js';
import { getItem, send } from '../utils/playback.js';

/**
 * SPEC §4: session ids compare case-insensitively. PostgreSQL's uuid already does; the service's
 * memory must too, or one session sent in four spellings is counted four times.
 */
describe('session ids in several spellings', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('counts one session once, in memory and in SQL, before and after the flush', async () => {
    const id = '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f';
    const spellings = [id, id.toUpperCase(), '6F1c2B7e-1D2a-4C3b-9E8f-0A1b2C3d4E5f', '6f1C2b7E-1d2A-4c3B-9e8F-0a1B2c3D4e5F'];
    const token = await t.token('case-user');
    for (const [i, sessionId] of spellings.entries()) {
      // The last heartbeat is past the finished point: one completion, of one session.
      await send(t, token, movieHeartbeat({ sessionId, playedSeconds: 10 * (i + 1), currentTime: i === 3 ? 8000 : 100 * (i + 1) }));
      t.clock.advance(10_000);
    }
    const before = await getItem(t, token);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ totalPlayedSeconds: 40, completedCount: 1 });
    expect(t.batcher.unflushedForUser('case-user')[0].sessions.size).toBe(1);

    await t.batcher.flush();
    const after = await getItem(t, token);
    expect(after.body).toMatchObject({ totalPlayedSeconds: 40, completedCount: 1 });
    const { rows } = await t.db.query(`SELECT session_id::text AS id FROM watch_sessions WHERE user_id = 'case-user'`);
    expect(rows).toEqual([{ id }]);
    const stats = await t.http().get('/v1/stats/me').set('Authorization', `Bearer ${token}`).expect(200);
    expect(stats.body.totalSeconds).toBe(40);

    // A later heartbeat in yet another spelling still continues the same session.
    await send(t, token, movieHeartbeat({ sessionId: id.toUpperCase(), playedSeconds: 50, currentTime: 8100 }));
    await t.batcher.flush();
    expect((await getItem(t, token)).body).toMatchObject({ totalPlayedSeconds: 50, completedCount: 1 });
  });
});
