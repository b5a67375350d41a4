import { createTestApp, episodeHeartbeat, movieHeartbeat, type TestApp } from '../utils/create-app.js';
import { getItem, newSession, send } from '../utils/playback.js';

/** SPEC §4 semantics, through the HTTP routes, checked before and after the flush. */
describe('heartbeat semantics', () => {
  let t: TestApp;
  let n = 0;
  let token: string;
  let user: string;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(async () => {
    user = `user-${++n}`;
    token = await t.token(user);
  });

  /** Reads the item, flushes, reads again: both reads must agree (read-your-own-writes). */
  async function readBeforeAndAfterFlush(path = '/v1/history/movie/550') {
    const before = await getItem(t, token, path);
    await t.batcher.flush();
    const after = await getItem(t, token, path);
    expect(before.status).toBe(200);
    expect(after.body).toEqual(before.body);
    return after.body;
  }

  it('counts cumulative playedSeconds of a session once, at its maximum', async () => {
    const sessionId = newSession();
    for (let i = 1; i <= 6; i++) {
      t.clock.advance(10_000);
      await send(t, token, movieHeartbeat({ sessionId, playedSeconds: 10 * i, currentTime: 100 + 10 * i }));
    }
    const item = await readBeforeAndAfterFlush();
    expect(item.totalPlayedSeconds).toBe(60);
    expect(item.currentTime).toBe(160);
  });

  it('ignores duplicated and retried heartbeats', async () => {
    const sessionId = newSession();
    await send(t, token, movieHeartbeat({ sessionId, playedSeconds: 0 }));
    t.clock.advance(30_000);
    const hb = movieHeartbeat({ sessionId, playedSeconds: 30, currentTime: 130 });
    await send(t, token, hb);
    await send(t, token, hb);
    await t.batcher.flush();
    await send(t, token, hb); // a retry arriving after the flush
    const item = await readBeforeAndAfterFlush();
    expect(item.totalPlayedSeconds).toBe(30);
  });

  it('keeps totals exact when heartbeats arrive out of order, across flushes', async () => {
    const sessionId = newSession();
    await send(t, token, movieHeartbeat({ sessionId, playedSeconds: 0 }));
    t.clock.advance(60_000);
    await send(t, token, movieHeartbeat({ sessionId, playedSeconds: 50 }));
    await t.batcher.flush();
    await send(t, token, movieHeartbeat({ sessionId, playedSeconds: 20 })); // older, late
    await send(t, token, movieHeartbeat({ sessionId, playedSeconds: 40 }));
    expect((await readBeforeAndAfterFlush()).totalPlayedSeconds).toBe(50);
  });

  it('sums the maxima of separate sessions (devices) of one item', async () => {
    const a = newSession();
    const b = newSession();
    await send(t, token, movieHeartbeat({ sessionId: a, playedSeconds: 0 }));
    await send(t, token, movieHeartbeat({ sessionId: b, playedSeconds: 0 }));
    t.clock.advance(120_000);
    await send(t, token, movieHeartbeat({ sessionId: a, playedSeconds: 100 }));
    await t.batcher.flush();
    await send(t, token, movieHeartbeat({ sessionId: b, playedSeconds: 45 }));
    expect((await readBeforeAndAfterFlush()).totalPlayedSeconds).toBe(145);
  });

  it('clamps implausible claims to 2 × span + 60 s and credits the rest as time passes', async () => {
    const sessionId = newSession();
    await send(t, token, movieHeartbeat({ sessionId, playedSeconds: 5000 }));
    expect((await readBeforeAndAfterFlush()).totalPlayedSeconds).toBe(60);
    t.clock.advance(100_000);
    await send(t, token, movieHeartbeat({ sessionId, playedSeconds: 5000 }));
    expect((await readBeforeAndAfterFlush()).totalPlayedSeconds).toBe(260);
    t.clock.advance(10_000_000);
    await send(t, token, movieHeartbeat({ sessionId, playedSeconds: 5000 }));
    expect((await readBeforeAndAfterFlush()).totalPlayedSeconds).toBe(5000);
  });

  it('measures the plausibility span by occurredAt, whatever the arrival order', async () => {
    const sessionId = newSession();
    const base = Date.now() - 3600_000;
    const at = (s: number) => new Date(base + s * 1000).toISOString();
    const res = await t
      .http()
      .post('/v1/playtime/batch')
      .set('Authorization', `Bearer ${token}`)
      .send({
        heartbeats: [
          movieHeartbeat({ sessionId, playedSeconds: 600, currentTime: 700, occurredAt: at(600) }),
          movieHeartbeat({ sessionId, playedSeconds: 0, currentTime: 100, occurredAt: at(0) }),
          movieHeartbeat({ sessionId, playedSeconds: 300, currentTime: 400, occurredAt: at(300) }),
        ],
      })
      .expect(202);
    expect(res.body).toEqual({ accepted: 3 });
    const item = await readBeforeAndAfterFlush();
    expect(item.totalPlayedSeconds).toBe(600);
    expect(item.currentTime).toBe(700);
    expect(item.lastWatchedAt).toBe(at(600));
  });

  it('never moves the position back for a late, older heartbeat', async () => {
    const a = newSession();
    const b = newSession();
    const now = Date.now();
    await send(t, token, movieHeartbeat({ sessionId: a, currentTime: 5000, playedSeconds: 30, occurredAt: new Date(now - 1000).toISOString() }));
    await t.batcher.flush();
    // another device's heartbeat from 10 minutes ago arrives late
    await send(t, token, movieHeartbeat({ sessionId: b, currentTime: 1200, playedSeconds: 20, occurredAt: new Date(now - 600_000).toISOString() }));
    const item = await readBeforeAndAfterFlush();
    expect(item.currentTime).toBe(5000);
    expect(item.totalPlayedSeconds).toBe(50); // its played time still counts
    // without occurredAt, the latest receipt wins, from any device
    t.clock.advance(5_000);
    await send(t, token, movieHeartbeat({ sessionId: b, currentTime: 1300, playedSeconds: 25 }));
    expect((await readBeforeAndAfterFlush()).currentTime).toBe(1300);
  });

  it('computes progress, finished, completedCount and resumeAt', async () => {
    const first = newSession();
    await send(t, token, movieHeartbeat({ sessionId: first, currentTime: 210, totalDuration: 8400 })); // 2.5% → 3
    let item = await readBeforeAndAfterFlush();
    expect(item.progress).toBe(3);
    expect(item.resumeAt).toBe(0); // below MIN_RESUME_PERCENT
    expect(item.finished).toBe(false);

    await send(t, token, movieHeartbeat({ sessionId: first, currentTime: 6300, totalDuration: 8400 }));
    item = await readBeforeAndAfterFlush();
    expect(item.progress).toBe(75);
    expect(item.resumeAt).toBe(6300);

    await send(t, token, movieHeartbeat({ sessionId: first, currentTime: 8000, totalDuration: 8400, event: 'stop' }));
    await send(t, token, movieHeartbeat({ sessionId: first, currentTime: 8300, totalDuration: 8400 })); // same session again
    item = await readBeforeAndAfterFlush();
    expect(item).toMatchObject({ progress: 99, finished: true, completedCount: 1, resumeAt: 0 });

    // playing it again from the start clears finished but not completedCount
    t.clock.advance(1000);
    const second = newSession();
    await send(t, token, movieHeartbeat({ sessionId: second, currentTime: 840, totalDuration: 8400 }));
    item = await readBeforeAndAfterFlush();
    expect(item).toMatchObject({ progress: 10, finished: false, completedCount: 1, resumeAt: 840 });

    t.clock.advance(1000);
    await send(t, token, movieHeartbeat({ sessionId: second, currentTime: 8400, totalDuration: 8400 }));
    item = await readBeforeAndAfterFlush();
    expect(item).toMatchObject({ progress: 100, finished: true, completedCount: 2 });
  });

  it('keeps tv episodes apart and answers 404 for an episode never watched', async () => {
    await send(t, token, episodeHeartbeat({ seasonNumber: 1, episodeNumber: 1, currentTime: 1000, playedSeconds: 10 }));
    await send(t, token, episodeHeartbeat({ seasonNumber: 1, episodeNumber: 2, currentTime: 2000, playedSeconds: 20 }));
    const e1 = await readBeforeAndAfterFlush('/v1/history/tv/1399?seasonNumber=1&episodeNumber=1');
    const e2 = await readBeforeAndAfterFlush('/v1/history/tv/1399?seasonNumber=1&episodeNumber=2');
    expect(e1).toMatchObject({ mediaType: 'tv', seasonNumber: 1, episodeNumber: 1, currentTime: 1000, totalPlayedSeconds: 10 });
    expect(e2).toMatchObject({ seasonNumber: 1, episodeNumber: 2, currentTime: 2000, totalPlayedSeconds: 20 });
    const missing = await getItem(t, token, '/v1/history/tv/1399?seasonNumber=2&episodeNumber=1');
    expect(missing.status).toBe(404);
    const noEpisode = await getItem(t, token, '/v1/history/tv/1399');
    expect(noEpisode.status).toBe(400);
    expect(noEpisode.body.errors.map((e: { field: string }) => e.field)).toEqual(['seasonNumber', 'episodeNumber']);
  });

  it('stores one row per movie and attributes played time to hourly buckets', async () => {
    const sessionId = newSession();
    await send(t, token, movieHeartbeat({ sessionId, playedSeconds: 0 }));
    await t.batcher.flush();
    t.clock.advance(60_000);
    await send(t, token, movieHeartbeat({ sessionId, playedSeconds: 55 }));
    await t.batcher.flush();
    const rows = await t.db.query('SELECT total_played_s FROM watch_history WHERE user_id = $1', [user]);
    expect(rows.rows).toEqual([{ total_played_s: 55 }]);
    const buckets = await t.db.query('SELECT sum(seconds)::float8 AS s FROM watch_buckets WHERE user_id = $1', [user]);
    expect(buckets.rows[0].s).toBe(55);
  });

  it('keeps one user out of another user\'s items', async () => {
    await send(t, token, movieHeartbeat({ mediaId: 4242 }));
    const other = await t.token(`${user}-other`);
    expect((await getItem(t, other, '/v1/history/movie/4242')).status).toBe(404);
    await t.batcher.flush();
    expect((await getItem(t, other, '/v1/history/movie/4242')).status).toBe(404);
    expect((await getItem(t, token, '/v1/history/movie/4242')).status).toBe(200);
  });
});
