import { randomUUID } from 'node:crypto';
import { movieHeartbeat, type TestApp } from '../utils/create-app.js';
import { closeAll, twoInstances } from '../utils/two-instances.js';

/**
 * Now playing across two instances on one database, fed by real heartbeats and flushes: a session
 * one instance stored shows on the other, a stop received by the other drops it, and a session
 * seen more than 60 s ago drops out on both.
 */
describe('now playing across instances', () => {
  let a: TestApp;
  let b: TestApp;
  let now: number;
  const setClocks = (ms: number) => {
    a.clock.set(ms);
    b.clock.set(ms);
  };

  beforeAll(async () => {
    [a, b] = await twoInstances();
    now = Date.now();
    setClocks(now);
  });
  afterAll(() => closeAll(a, b));

  const beat = async (app: TestApp, user: string, over: Record<string, unknown>) =>
    app.http().post('/v1/playtime').set('Authorization', `Bearer ${await app.token(user)}`).send(movieHeartbeat(over)).expect(202);
  const nowPlaying = async (app: TestApp) =>
    (await app.http().get('/v1/admin/now-playing').set('Authorization', `Bearer ${await app.token('ops', { admin: true })}`).expect(200)).body;

  it('shows a live session on the other instance, and drops it after a stop received there', async () => {
    const sessionId = randomUUID();
    setClocks(now);
    await beat(a, 'live-1', { sessionId, event: 'start', currentTime: 0, playedSeconds: 0, totalDuration: 8400, device: { platform: 'web' } });
    setClocks(now + 20_000);
    await beat(a, 'live-1', { sessionId, event: 'progress', currentTime: 20, playedSeconds: 20, totalDuration: 8400 });
    await a.batcher.flush();

    const seen = await nowPlaying(b);
    expect(seen.count).toBe(1);
    expect(seen.sessions[0]).toMatchObject({
      userId: 'live-1', sessionId, mediaType: 'movie', mediaId: 550, title: 'Inception', currentTime: 20, totalDuration: 8400,
      progress: 0, event: 'progress', device: { platform: 'web' },
      startedAt: new Date(now).toISOString(), lastSeenAt: new Date(now + 20_000).toISOString(),
    });

    setClocks(now + 30_000);
    await beat(b, 'live-1', { sessionId, event: 'stop', currentTime: 30, playedSeconds: 30, totalDuration: 8400 });
    await b.batcher.flush();
    expect(await nowPlaying(a)).toEqual({ count: 0, sessions: [] });
  });

  it('drops a session whose latest heartbeat is more than 60 s old, on both instances', async () => {
    const sessionId = randomUUID();
    // an hour before the other test's sessions, so either test may run first
    const base = now - 3_600_000;
    setClocks(base + 100_000);
    await beat(b, 'live-2', { sessionId, event: 'progress', currentTime: 500, playedSeconds: 10, totalDuration: 1000 });
    await b.batcher.flush();
    expect((await nowPlaying(a)).sessions.map((s: { sessionId: string }) => s.sessionId)).toEqual([sessionId]);
    expect((await nowPlaying(a)).sessions[0]).toMatchObject({ currentTime: 500, progress: 50 });
    setClocks(base + 160_000);
    expect((await nowPlaying(a)).count).toBe(1); // exactly 60 s old
    setClocks(base + 161_000);
    expect(await nowPlaying(a)).toEqual({ count: 0, sessions: [] });
    expect(await nowPlaying(b)).toEqual({ count: 0, sessions: [] });
  });
});
