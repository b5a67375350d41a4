import { randomUUID } from 'node:crypto';
import { createTestApp, movieHeartbeat, type TestApp } from '../utils/create-app.js';
import { DAY_MS } from '../../src/watch/time.js';

/**
 * What per-user settings and catalogue credits do to reads (SPEC §7): `finished`, `resumeAt` and
 * continue watching follow the settings of read time; `completedCount` the settings in force when
 * the play was stored; the export carries the settings and `DELETE /v1/history` resets them.
 */
describe('settings and credits in reads (SPEC §7)', () => {
  let t: TestApp;
  let n = 0;
  let token: string;
  const auth = () => ({ Authorization: `Bearer ${token}` });

  async function play(mediaId: number, from: number, to: number, totalDuration = 1000) {
    const sessionId = randomUUID();
    for (const [currentTime, playedSeconds] of [[from, 0], [to, 60]]) {
      t.clock.advance(60_000);
      await t.http().post('/v1/playtime').set(auth()).send(movieHeartbeat({ mediaId, sessionId, currentTime, playedSeconds, totalDuration })).expect(202);
    }
  }
  const patch = async (body: Record<string, unknown>) => t.http().patch('/v1/me/settings').set(auth()).send(body).expect(200);
  const get = async (mediaId: number) => (await t.http().get(`/v1/history/movie/${mediaId}`).set(auth()).expect(200)).body;
  const cw = async () => ((await t.http().get('/v1/history/continue-watching').set(auth()).expect(200)).body.items as { mediaId: number }[]).map((i) => i.mediaId);

  beforeAll(async () => {
    t = await createTestApp({ MIN_PLAY_SECONDS: '60', MIN_RESUME_DURATION_SECONDS: '300', CONTINUE_WATCHING_DAYS: '112' });
    const admin = await t.token('settings-admin', { admin: true });
    await t.http().put('/v1/admin/catalog/movie/801').set('Authorization', `Bearer ${admin}`)
      .send({ title: 'Credits Movie', runtimeSeconds: 1000, creditsStartSeconds: 700 }).expect(200);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    token = await t.token(`settings-effects-${++n}`);
  });

  it('finished, resumeAt and continue watching follow the finishedPercent of read time', async () => {
    await play(800, 740, 800);
    expect(await get(800)).toMatchObject({ progress: 80, finished: false, resumeAt: 800 });
    expect(await cw()).toEqual([800]);
    await patch({ finishedPercent: 80 });
    expect(await get(800)).toMatchObject({ progress: 80, finished: true, resumeAt: 0 });
    expect(await cw()).toEqual([]);
    const finished = await t.http().get('/v1/history').query({ finished: 'true' }).set(auth()).expect(200);
    expect(finished.body.items.map((i: { mediaId: number }) => i.mediaId)).toEqual([800]);
    await t.batcher.flush();
    expect(await get(800)).toMatchObject({ finished: true });
    const stored = await t.http().get('/v1/history').query({ finished: 'true' }).set(auth()).expect(200);
    expect(stored.body.items.map((i: { mediaId: number }) => i.mediaId)).toEqual([800]);
    await patch({ finishedPercent: null });
    expect(await get(800)).toMatchObject({ finished: false, resumeAt: 800 });
  });

  it('completedCount counts by the settings in force when the play was stored', async () => {
    await patch({ finishedPercent: 80 });
    await play(802, 740, 800);
    await t.batcher.flush();
    await patch({ finishedPercent: 95 });
    expect(await get(802)).toMatchObject({ completedCount: 1, finished: false });
    await play(802, 800, 850);
    await t.batcher.flush();
    expect(await get(802)).toMatchObject({ completedCount: 1, finished: false, currentTime: 850 });
  });

  it('minResumePercent and continueWatchingDays of the user decide continue watching', async () => {
    await play(803, 40, 100, 8400); // 1 %
    expect(await cw()).toEqual([]);
    await patch({ minResumePercent: 0 });
    expect(await cw()).toEqual([803]);
    await patch({ continueWatchingDays: 1 });
    t.clock.advance(86_400_000 + 1000);
    expect(await cw()).toEqual([]);
    await patch({ continueWatchingDays: 0 });
    expect(await cw()).toEqual([803]);
  });

  it('decide continue watching from stored items too, to the millisecond of the stale bound, by the service clock', async () => {
    // Nothing unflushed: the read's first chunk brings the settings and applies the stale bound itself.
    await play(804, 40, 100, 8400); // 1 %
    await t.batcher.flush();
    expect(await cw()).toEqual([]);
    await patch({ minResumePercent: 0 });
    expect(await cw()).toEqual([804]);
    const last = Date.parse((await get(804)).lastWatchedAt);
    t.clock.set(last + 112 * DAY_MS); // CONTINUE_WATCHING_DAYS: stale only after exactly 112 days
    expect(await cw()).toEqual([804]);
    t.clock.set(last + 112 * DAY_MS + 1);
    expect(await cw()).toEqual([]);
    await patch({ continueWatchingDays: 200 });
    expect(await cw()).toEqual([804]);
    await patch({ continueWatchingDays: 112 });
    expect(await cw()).toEqual([]);
    await patch({ continueWatchingDays: 0 });
    expect(await cw()).toEqual([804]);
  });

  it('the finished point is the start of the credits when the catalogue knows it, before FINISHED_PERCENT', async () => {
    await play(801, 640, 699);
    expect(await get(801)).toMatchObject({ finished: false, completedCount: 0, resumeAt: 699 });
    await play(801, 640, 700);
    expect(await get(801)).toMatchObject({ progress: 70, finished: true, completedCount: 1, resumeAt: 0 });
    await t.batcher.flush();
    expect(await get(801)).toMatchObject({ progress: 70, finished: true, completedCount: 1 });
    expect(await cw()).toEqual([]);
  });

  it('the export carries the settings; DELETE /v1/history resets them', async () => {
    await patch({ finishedPercent: 85, continueWatchingDays: 30 });
    await play(804, 100, 200);
    const exported = await t.http().get('/v1/history/export').set(auth()).expect(200);
    expect(exported.body.settings).toEqual({ finishedPercent: 85, minResumePercent: 5, continueWatchingDays: 30, autoDeleteDays: 0 });
    await t.http().delete('/v1/history').set(auth()).expect(204);
    const after = await t.http().get('/v1/me/settings').set(auth()).expect(200);
    expect(after.body).toEqual({ finishedPercent: 90, minResumePercent: 5, continueWatchingDays: 112, autoDeleteDays: 0 });
  });
});
