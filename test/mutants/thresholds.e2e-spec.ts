import { randomUUID } from 'node:crypto';
import { createTestApp, movieHeartbeat, type TestApp } from '../utils/create-app.js';

/**
 * Each boundary of the watch model on both sides, through HTTP: the finished point, the per-user
 * ceiling across flushes, lastWatchedAt, the title rule's skipped rows, and the hour windows of
 * statistics and reports (a bucket at 00:00 belongs to its own day, not the day before).
 */

const HOUR = 3_600_000;
const MIN = 60_000;

describe('thresholds', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ MAX_STREAMS_PER_USER: '1' });
  });
  afterAll(() => t?.close());

  const auth = async (user: string, admin = false) => ({ Authorization: `Bearer ${await t.token(user, { admin })}` });
  /** One session of `played` seconds between `start` + 1 min and `start` + 1 min + played (epoch ms). */
  const session = (start: number, played: number, over: Record<string, unknown> = {}) => {
    const sessionId = randomUUID();
    return [
      { ...movieHeartbeat({ sessionId, playedSeconds: 0, ...over }), occurredAt: new Date(start + MIN).toISOString() },
      { ...movieHeartbeat({ sessionId, playedSeconds: played, ...over }), occurredAt: new Date(start + MIN + played * 1000).toISOString() },
    ];
  };
  const send = async (user: string, heartbeats: Record<string, unknown>[]) => {
    await t.http().post('/v1/playtime/batch').set(await auth(user)).send({ heartbeats }).expect(202);
    await t.batcher.flush();
  };
  /** Midnight UTC, `days` days before the test clock's day. */
  const midnight = (days: number) => {
    const d = new Date(t.clock.now());
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - days);
  };
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

  it('is finished at exactly FINISHED_PERCENT, and not one percent below', async () => {
    const user = `th-fin-${randomUUID()}`;
    expect(t.config.FINISHED_PERCENT).toBe(90);
    await t.http().post('/v1/playtime').set(await auth(user)).send(movieHeartbeat({ mediaId: 901, currentTime: 900, totalDuration: 1000 })).expect(202);
    await t.http().post('/v1/playtime').set(await auth(user)).send(movieHeartbeat({ mediaId: 902, currentTime: 894, totalDuration: 1000 })).expect(202);
    await t.batcher.flush();
    const at = (await t.http().get('/v1/history/movie/901').set(await auth(user)).expect(200)).body;
    const below = (await t.http().get('/v1/history/movie/902').set(await auth(user)).expect(200)).body;
    expect([at.progress, at.finished, at.completedCount]).toEqual([90, true, 1]);
    expect([below.progress, below.finished, below.completedCount]).toEqual([89, false, 0]);
  });

  it('keeps the per-user ceiling across flushes: what earlier flushes stored in the hour counts', async () => {
    const user = `th-ceil-${randomUUID()}`;
    const hour = midnight(2) + 10 * HOUR;
    for (let n = 0; n < 3; n++) await send(user, session(hour, 1500, { mediaId: 903 }));
    const item = (await t.http().get('/v1/history/movie/903').set(await auth(user)).expect(200)).body;
    expect(item.totalPlayedSeconds).toBe(3600);
    const stats = (await t.http().get(`/v1/stats/me?from=${iso(hour)}&to=${iso(hour)}`).set(await auth(user)).expect(200)).body;
    expect(stats.totalSeconds).toBe(3600);
  });

  it('never moves lastWatchedAt back for an older session flushed later', async () => {
    const user = `th-last-${randomUUID()}`;
    const late = midnight(1) + 20 * HOUR;
    await send(user, session(late, 300, { mediaId: 904 }));
    await send(user, session(late - 5 * HOUR, 300, { mediaId: 904 }));
    const item = (await t.http().get('/v1/history/movie/904').set(await auth(user)).expect(200)).body;
    expect(item.lastWatchedAt).toBe(new Date(late + MIN + 300_000).toISOString());
    expect(item.totalPlayedSeconds).toBe(600);
  });

  it('a late, older heartbeat flushed on its own moves neither the position nor finished', async () => {
    const user = `th-late-${randomUUID()}`;
    const late = midnight(1) + 8 * HOUR;
    await send(user, [{ ...movieHeartbeat({ mediaId: 910, currentTime: 950, totalDuration: 1000 }), occurredAt: new Date(late).toISOString() }]);
    await send(user, [{ ...movieHeartbeat({ mediaId: 910, currentTime: 100, totalDuration: 1000 }), occurredAt: new Date(late - HOUR).toISOString() }]);
    const item = (await t.http().get('/v1/history/movie/910').set(await auth(user)).expect(200)).body;
    expect([item.currentTime, item.progress, item.finished, item.resumeAt]).toEqual([950, 95, true, 0]);
  });

  it('credits a session more once a late, earlier heartbeat widens its span, whatever the flush order', async () => {
    const user = `th-span-${randomUUID()}`;
    const sessionId = randomUUID();
    const t0 = midnight(1) + 9 * HOUR;
    const beat = (atS: number, played: number) => ({ ...movieHeartbeat({ sessionId, mediaId: 911, playedSeconds: played }), occurredAt: new Date(t0 + atS * 1000).toISOString() });
    await send(user, [beat(100, 250), beat(160, 300)]); // span 60 s: at most 180 s
    expect((await t.http().get('/v1/history/movie/911').set(await auth(user)).expect(200)).body.totalPlayedSeconds).toBe(180);
    await send(user, [beat(0, 50)]); // span 160 s: at most 380 s, so the 300 claimed
    expect((await t.http().get('/v1/history/movie/911').set(await auth(user)).expect(200)).body.totalPlayedSeconds).toBe(300);
    const exported = (await t.http().get('/v1/history/export').set(await auth(user)).expect(200)).body;
    expect(exported.sessions.map((x: { maxPlayedSeconds: number; creditedSeconds: number }) => [x.maxPlayedSeconds, x.creditedSeconds])).toEqual([[300, 300]]);
  });

  it('counts a session that reached the finished point once, however many flushes carry it', async () => {
    const user = `th-once-${randomUUID()}`;
    const sessionId = randomUUID();
    const at = midnight(1) + 7 * HOUR;
    for (const [n, currentTime] of [950, 960, 1000].entries()) {
      await send(user, [{ ...movieHeartbeat({ sessionId, mediaId: 912, currentTime, totalDuration: 1000, playedSeconds: 10 * n }), occurredAt: new Date(at + n * 10_000).toISOString() }]);
    }
    expect((await t.http().get('/v1/history/movie/912').set(await auth(user)).expect(200)).body.completedCount).toBe(1);
  });

  it('names a show by its latest title, skipping newer episodes that carried none', async () => {
    const user = `th-title-${randomUUID()}`;
    const day = midnight(3);
    const ep = (episodeNumber: number, title?: string) => ({ mediaId: 905, mediaType: 'tv', seasonNumber: 1, episodeNumber, totalDuration: 3600, title });
    await send(user, session(day + HOUR, 300, ep(1, 'Night Shift')));
    await send(user, session(day + 3 * HOUR, 300, ep(2)));
    const list = (await t.http().get('/v1/history').set(await auth(user)).expect(200)).body;
    expect(list.items.map((i: { episodeNumber: number; title: string }) => [i.episodeNumber, i.title])).toEqual([[2, 'Night Shift'], [1, 'Night Shift']]);
    const stats = (await t.http().get(`/v1/stats/me?from=${iso(day)}&to=${iso(day)}`).set(await auth(user)).expect(200)).body;
    expect(stats.topTitles.map((x: { mediaId: number; title: string }) => [x.mediaId, x.title])).toEqual([[905, 'Night Shift']]);
  });

  it('counts the hour starting at midnight in its own day only, in statistics and reports', async () => {
    const user = `th-day-${randomUUID()}`;
    const day = midnight(5);
    await send(user, [
      ...session(day, 600, { mediaId: 906 }), // 00:01–00:11 of the day: inside
      ...session(day + 12 * HOUR, 900, { mediaId: 907 }), // noon: inside
      ...session(day + 24 * HOUR, 1200, { mediaId: 908 }), // 00:01 of the next day: outside
    ]);
    const stats = (await t.http().get(`/v1/stats/me?from=${iso(day)}&to=${iso(day)}&tz=UTC`).set(await auth(user)).expect(200)).body;
    expect(stats.totalSeconds).toBe(1500);
    expect(stats.topTitles.map((x: { mediaId: number; seconds: number }) => [x.mediaId, x.seconds])).toEqual([[907, 900], [906, 600]]);

    const report = (await t.http().get('/v1/admin/reports/watch-hours').query({ from: iso(day), to: iso(day), groupBy: 'media' })
      .set(await auth('th-admin', true)).expect(200)).body;
    const mine = report.rows.filter((r: { mediaId: number }) => r.mediaId >= 906 && r.mediaId <= 908);
    expect(mine.map((r: { mediaId: number; watchSeconds: number }) => [r.mediaId, r.watchSeconds]).sort()).toEqual([[906, 600], [907, 900]]);
  });
});
