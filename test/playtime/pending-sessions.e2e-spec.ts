import { randomUUID } from 'node:crypto';
import { createTestApp, movieHeartbeat, type TestApp } from '../utils/create-app.js';
import { send } from '../utils/playback.js';

/**
 * PLAYTIME_MAX_PENDING_SESSIONS_PER_USER: memory held for one user is bounded whatever that
 * client sends (a database outage keeps everything pending); other users are not affected.
 */
describe('pending sessions per user', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ PLAYTIME_MAX_PENDING_SESSIONS_PER_USER: '3', PLAYTIME_FLUSH_INTERVAL_MS: '4000' });
  });
  afterAll(() => t.close());

  const post = (token: string, body: unknown, path = '/v1/playtime') => t.http().post(path).set('Authorization', `Bearer ${token}`).send(body as object);

  it('answers 429 with Retry-After past the bound for that user only, keeping nothing of the refused request', async () => {
    const greedy = await t.token('greedy');
    const known = randomUUID();
    const batch = [known, randomUUID(), randomUUID()].map((sessionId, i) => movieHeartbeat({ sessionId, mediaId: 10 + i, playedSeconds: 5 }));
    await post(greedy, { heartbeats: batch }, '/v1/playtime/batch').expect(202);

    const refused = await post(greedy, movieHeartbeat({ mediaId: 20 }));
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('4');
    expect(refused.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });

    // A batch that mixes a known session with a new one is refused whole: the known one is not advanced.
    const mixed = [movieHeartbeat({ sessionId: known, mediaId: 10, playedSeconds: 9 }), movieHeartbeat({ mediaId: 21 })];
    expect((await post(greedy, { heartbeats: mixed }, '/v1/playtime/batch')).status).toBe(429);
    expect(t.batcher.unflushedForUser('greedy').map((i) => i.mediaId).sort()).toEqual([10, 11, 12]);
    expect(t.batcher.unflushed({ userId: 'greedy', mediaType: 'movie', mediaId: 10, seasonNumber: null, episodeNumber: null })!.sessions.get(known)!.maxPlayed).toBe(5);

    // Sessions already pending keep going; another user is not affected.
    await send(t, greedy, movieHeartbeat({ sessionId: known, mediaId: 10, playedSeconds: 8 }));
    const other = await t.token('other');
    for (let i = 0; i < 3; i++) await send(t, other, movieHeartbeat({ mediaId: 30 + i }));

    // Once stored, the user has room again.
    await t.batcher.flush();
    await send(t, greedy, movieHeartbeat({ mediaId: 20 }));
    const { rows } = await t.db.query(`SELECT media_id, total_played_s FROM watch_history WHERE user_id = 'greedy' ORDER BY 1`);
    expect(rows).toEqual([
      { media_id: 10, total_played_s: 8 },
      { media_id: 11, total_played_s: 5 },
      { media_id: 12, total_played_s: 5 },
    ]);
  });
});
