import { randomUUID } from 'node:crypto';
import { AutoDeleteCron } from '../../src/maintenance/auto-delete.cron.js';
import { AutoDeleteService } from '../../src/maintenance/auto-delete.service.js';
import { WatchHoursCron } from '../../src/reporting/watch-hours.cron.js';
import { createTestApp, episodeHeartbeat, type TestApp } from '../utils/create-app.js';

const DAY_MS = 86_400_000;
type Doc = Record<string, unknown>;

let t: TestApp;
let admin: { Authorization: string };

/** A fresh app on its own database, with the start-up roll-up and auto-delete run done. */
async function start(): Promise<void> {
  // the service's play threshold: a 20-second look is not a play and moves no position
  t = await createTestApp({ MIN_PLAY_SECONDS: '60' });
  await t.app.get(WatchHoursCron).startUpCatchUp;
  await t.app.get(AutoDeleteCron).startUpRun;
  admin = { Authorization: `Bearer ${await t.token('ops', { admin: true })}` };
}

const as = async (user: string) => ({ Authorization: `Bearer ${await t.token(user)}` });
const daysAgo = (n: number) => new Date(t.clock.now() - n * DAY_MS);
const day = (n: number) => daysAgo(n).toISOString().slice(0, 10);
/** One imported play of `played` seconds ending at noon UTC `n` days ago. */
const doc = (userId: string, n: number, item: Doc, played = 1000): Doc => ({
  userId, progress: 40, currentTime: 1200, totalDuration: 3000, totalPlayedSeconds: played, finished: false,
  lastWatchedAt: `${day(n)}T12:00:00.000Z`, title: 'Something', ...item,
});
const movie = (mediaId: number) => ({ mediaType: 'movie', mediaId });
const episode = (mediaId: number, episodeNumber: number) => ({ mediaType: 'tv', mediaId, seasonNumber: 1, episodeNumber });
const keys = async (user: string) =>
  (await t.http().get('/v1/history').query({ limit: 100 }).set(await as(user)).expect(200)).body.items
    .map((i: Doc) => `${i.mediaType} ${i.mediaId}${i.episodeNumber ? ` e${i.episodeNumber}` : ''}`).sort();
const stats = async (user: string) =>
  (await t.http().get('/v1/stats/me').query({ from: day(80), to: day(0) }).set(await as(user)).expect(200)).body;
const reportDay = async (n: number) =>
  (await t.http().get('/v1/admin/reports/watch-hours').query({ from: day(n), to: day(n), groupBy: 'day' }).set(admin).expect(200)).body.rows[0];

describe('auto-delete (SPEC §9)', () => {
  beforeAll(async () => {
    await start();
    const docs = [
      doc('ad-user', 40, movie(1)), // past the window
      doc('ad-user', 10, movie(2)), // inside
      doc('ad-user', 45, episode(5, 1)), // a show whose only episode goes
      doc('ad-user', 50, episode(6, 2)), // one episode goes…
      doc('ad-user', 5, episode(6, 3)), // …its show's latest stays
      doc('ad-user', 60, movie(3)), // old play, but looked at yesterday (below)
      doc('ad-other', 40, movie(1)), // auto-delete off: nothing goes
      doc('ad-off', 40, movie(1)),
    ];
    const res = await t.http().post('/v1/admin/history/import').set(admin).send(docs).expect(200);
    expect(res.body).toMatchObject({ imported: docs.length, rejected: 0 });
    // a 20-second session of movie 3 yesterday: not a play, but the item was watched
    const session = randomUUID();
    await t.http().post('/v1/playtime/batch').set(await as('ad-user')).send({ heartbeats: [
      { ...episodeHeartbeat(), mediaType: 'movie', mediaId: 3, seasonNumber: null, episodeNumber: null, sessionId: session, playedSeconds: 0, currentTime: 0, occurredAt: daysAgo(1).toISOString() },
      { ...episodeHeartbeat(), mediaType: 'movie', mediaId: 3, seasonNumber: null, episodeNumber: null, sessionId: session, playedSeconds: 20, currentTime: 20, occurredAt: new Date(daysAgo(1).getTime() + 20_000).toISOString() },
    ] }).expect(202);
    await t.batcher.flush();
    await t.http().put(`/v1/history/tv/5/hidden`).set(await as('ad-user')).expect(204);
    await t.http().put(`/v1/history/tv/6/hidden`).set(await as('ad-user')).expect(204);
    await t.http().patch('/v1/me/settings').set(await as('ad-user')).send({ autoDeleteDays: 30 }).expect(200);
    await t.http().patch('/v1/me/settings').set(await as('ad-off')).send({ autoDeleteDays: 0 }).expect(200);
    // day −40 is rolled up now; day −45 and −50 are not (the job rolls them up before deleting)
    await t.http().post('/v1/admin/reports/rollup').query({ date: day(40) }).set(admin).expect(200);
  });
  afterAll(() => t.close());

  it('deletes exactly the items past the window, with their sessions, statistics and hide marks; the rest stays', async () => {
    const before = { user: await keys('ad-user'), other: await keys('ad-other'), off: await keys('ad-off'), stats: await stats('ad-user') };
    expect(before.user).toEqual(['movie 1', 'movie 2', 'movie 3', 'tv 5 e1', 'tv 6 e2', 'tv 6 e3']);
    const reports = { d40: await reportDay(40), d45: await reportDay(45), d50: await reportDay(50) };
    expect(reports.d40).toMatchObject({ watchSeconds: 3000 }); // ad-user, ad-other and ad-off

    const res = await t.http().post('/v1/admin/maintenance/run').query({ job: 'auto-delete' }).set(admin).expect(200);
    expect(res.body).toEqual({ job: 'auto-delete', users: 1, items: 3, sessions: 3, buckets: 3, hidden: 1 });

    expect(await keys('ad-user')).toEqual(['movie 2', 'movie 3', 'tv 6 e3']);
    expect(await keys('ad-other')).toEqual(before.other);
    expect(await keys('ad-off')).toEqual(before.off);
    const { rows: marks } = await t.db.query(`SELECT media_id, season_number FROM history_hidden WHERE user_id = 'ad-user' ORDER BY 1`);
    expect(marks).toEqual([{ media_id: 6, season_number: null }]); // show 5 has no episode left: its mark went too
    const { rows: sessions } = await t.db.query(
      `SELECT media_id, count(*)::int AS n FROM watch_sessions WHERE user_id = 'ad-user' GROUP BY 1 ORDER BY 1`);
    expect(sessions).toEqual([{ media_id: 2, n: 1 }, { media_id: 3, n: 2 }, { media_id: 6, n: 1 }]);
    const { rows: orphanHours } = await t.db.query(
      `SELECT count(*)::int AS n FROM watch_session_hours sh WHERE NOT EXISTS (SELECT 1 FROM watch_sessions ws WHERE ws.id = sh.session_id)`);
    expect(orphanHours[0].n).toBe(0);

    const after = await stats('ad-user');
    expect(after.totalSeconds).toBe(before.stats.totalSeconds - 3000);
    expect(after.daily.find((d: Doc) => d.date === day(40)).seconds).toBe(0);
    // reports keep their anonymous totals: the rolled-up day, and the days rolled up before the delete
    expect(await reportDay(40)).toEqual(reports.d40);
    expect(await reportDay(45)).toEqual(reports.d45);
    expect(await reportDay(50)).toEqual(reports.d50);

    // nothing left to do: a second run deletes nothing
    const again = await t.http().post('/v1/admin/maintenance/run').query({ job: 'auto-delete' }).set(admin).expect(200);
    expect(again.body).toMatchObject({ users: 0, items: 0 });
  });

});

// Its own database: the daily run deletes every user's old items, so it must not meet the ones above.
describe('auto-delete in chunks (SPEC §9)', () => {
  beforeAll(start);
  afterAll(() => t.close());

  it('works in chunks, runs once a day unless forced, and is for admins only', async () => {
    const docs = Array.from({ length: 1203 }, (_, i) => doc('ad-bulk', 31 + (i % 20), movie(1000 + i), 10));
    docs.push(doc('ad-bulk', 3, movie(99)));
    await t.http().post('/v1/admin/history/import').set(admin).set('Content-Type', 'application/x-ndjson')
      .send(docs.map((d) => JSON.stringify(d)).join('\n')).expect(200);
    await t.http().patch('/v1/me/settings').set(await as('ad-bulk')).send({ autoDeleteDays: 30 }).expect(200);
    const service = t.app.get(AutoDeleteService);
    // today's scheduled run already happened at start-up: the daily run does nothing until tomorrow
    expect(await service.run()).toBeNull();
    t.clock.advance(DAY_MS);
    const daily = await service.run();
    expect(daily).toMatchObject({ users: 1, items: 1203 });
    expect(await service.run()).toBeNull();
    expect(await keys('ad-bulk')).toEqual(['movie 99']);

    await t.http().post('/v1/admin/maintenance/run').query({ job: 'auto-delete' }).expect(401);
    await t.http().post('/v1/admin/maintenance/run').query({ job: 'auto-delete' }).set(await as('ad-bulk')).expect(403);
    const bad = await t.http().post('/v1/admin/maintenance/run').query({ job: 'vacuum' }).set(admin).expect(400);
    expect(bad.body.errors[0].field).toBe('job');
  });
});
