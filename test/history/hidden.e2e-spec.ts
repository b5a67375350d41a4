import { randomUUID } from 'node:crypto';
import { catalogEntries } from '../factories/catalog.factory.js';
import { createTestApp, episodeHeartbeat, movieHeartbeat, type TestApp } from '../utils/create-app.js';
import { closeAll, twoInstances } from '../utils/two-instances.js';

/** Hide and unhide (SPEC §7), with the service's own defaults for plays. */
describe('hidden items (SPEC §7)', () => {
  let t: TestApp;
  let n = 0;
  let token: string;
  const auth = () => ({ Authorization: `Bearer ${token}` });

  /** A play: two heartbeats 60 s apart, 60 s played. */
  async function play(base: Record<string, unknown>, currentTime: number) {
    const sessionId = randomUUID();
    for (const [ct, played] of [[currentTime - 60, 0], [currentTime, 60]]) {
      t.clock.advance(60_000);
      await t.http().post('/v1/playtime').set(auth()).send({ ...base, sessionId, currentTime: ct, playedSeconds: played }).expect(202);
    }
  }
  const cw = async () =>
    ((await t.http().get('/v1/history/continue-watching').set(auth()).expect(200)).body.items as { mediaId: number; episodeNumber: number | null; reason: string }[]).map(
      (i) => `${i.mediaId}:${i.episodeNumber ?? ''}:${i.reason}`,
    );
  const get = async (path: string) => (await t.http().get(path).set(auth()).expect(200)).body as { hidden: boolean; currentTime: number; totalPlayedSeconds: number };

  beforeAll(async () => {
    t = await createTestApp({ MIN_PLAY_SECONDS: '60', MIN_RESUME_DURATION_SECONDS: '300', CONTINUE_WATCHING_DAYS: '112' });
    await catalogEntries(t, [
      {
        mediaType: 'tv', mediaId: 2000, title: 'Hidden Show',
        seasons: [{ seasonNumber: 1, episodes: [1, 2, 3].map((e) => ({ episodeNumber: e, title: `E${e}`, runtimeSeconds: 1000 })) }],
      },
    ]);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    token = await t.token(`hidden-${++n}`);
  });

  it('404 for hiding or unhiding what was never watched, 400 naming a half-given episode', async () => {
    await t.http().put('/v1/history/movie/700/hidden').set(auth()).expect(404);
    await t.http().delete('/v1/history/movie/700/hidden').set(auth()).expect(404);
    await t.http().put('/v1/history/tv/2000/hidden').set(auth()).expect(404);
    const bad = await t.http().put('/v1/history/tv/2000/hidden').query({ seasonNumber: 1 }).set(auth()).expect(400);
    expect(JSON.stringify(bad.body)).toContain('episodeNumber');
    await t.http().put('/v1/history/movie/700/hidden').expect(401);
  });

  it('a hidden movie keeps its position, totals and place in the history, and leaves continue watching', async () => {
    await play(movieHeartbeat({ mediaId: 700 }), 3000);
    await play(movieHeartbeat({ mediaId: 701 }), 2000);
    expect(await cw()).toEqual(['701::resume', '700::resume']);
    await t.http().put('/v1/history/movie/700/hidden').set(auth()).expect(204);
    expect(await cw()).toEqual(['701::resume']);
    expect(await get('/v1/history/movie/700')).toMatchObject({ hidden: true, currentTime: 3000, totalPlayedSeconds: 60 });
    const list = await t.http().get('/v1/history').set(auth()).expect(200);
    expect(list.body.items.map((i: { mediaId: number; hidden: boolean }) => [i.mediaId, i.hidden])).toEqual([[701, false], [700, true]]);
    await t.http().delete('/v1/history/movie/700/hidden').set(auth()).expect(204);
    expect(await cw()).toEqual(['701::resume', '700::resume']);
  });

  it('a heartbeat received after the hide unhides it, before and after the flush; one received before does not', async () => {
    const sessionId = randomUUID();
    t.clock.advance(60_000);
    await t.http().post('/v1/playtime').set(auth()).send(movieHeartbeat({ mediaId: 702, sessionId, currentTime: 1000, playedSeconds: 0 })).expect(202);
    t.clock.advance(60_000);
    await t.http().post('/v1/playtime').set(auth()).send(movieHeartbeat({ mediaId: 702, sessionId, currentTime: 1060, playedSeconds: 60 })).expect(202);
    // unflushed heartbeats received before the hide are stored first and do not undo it
    await t.http().put('/v1/history/movie/702/hidden').set(auth()).expect(204);
    await t.batcher.flush();
    expect(await get('/v1/history/movie/702')).toMatchObject({ hidden: true });
    t.clock.advance(30_000);
    await t.http().post('/v1/playtime').set(auth()).send(movieHeartbeat({ mediaId: 702, sessionId, currentTime: 1090, playedSeconds: 90 })).expect(202);
    expect(await get('/v1/history/movie/702')).toMatchObject({ hidden: false, currentTime: 1090 });
    expect(await cw()).toEqual(['702::resume']);
    await t.batcher.flush();
    expect(await get('/v1/history/movie/702')).toMatchObject({ hidden: false });
  });

  it('a hidden show hides its episodes and its next episode; a heartbeat of any episode brings it back', async () => {
    await play(episodeHeartbeat({ mediaId: 2000, seasonNumber: 1, episodeNumber: 1, totalDuration: 1000 }), 990);
    await play(movieHeartbeat({ mediaId: 703 }), 2000);
    await t.batcher.flush();
    expect(await cw()).toEqual(['703::resume', '2000:2:next-episode']);
    await t.http().put('/v1/history/tv/2000/hidden').set(auth()).expect(204);
    expect(await cw()).toEqual(['703::resume']);
    expect(await get('/v1/history/tv/2000?seasonNumber=1&episodeNumber=1')).toMatchObject({ hidden: true });
    // a short look at episode 2 (not a play) unhides the show; continue watching goes on from episode 1's next
    t.clock.advance(60_000);
    await t.http().post('/v1/playtime').set(auth())
      .send(episodeHeartbeat({ mediaId: 2000, seasonNumber: 1, episodeNumber: 2, totalDuration: 1000, currentTime: 5, playedSeconds: 5 })).expect(202);
    expect(await get('/v1/history/tv/2000?seasonNumber=1&episodeNumber=1')).toMatchObject({ hidden: false });
    expect(await cw()).toEqual(['703::resume', '2000:2:next-episode']);
    await t.batcher.flush();
    expect(await cw()).toEqual(['703::resume', '2000:2:next-episode']);
  });

  it('hiding one episode hides the show entry it stands for, and no other show', async () => {
    await play(episodeHeartbeat({ mediaId: 2000, seasonNumber: 1, episodeNumber: 2, totalDuration: 1000 }), 500);
    await t.http().put('/v1/history/tv/2000/hidden').query({ seasonNumber: 1, episodeNumber: 2 }).set(auth()).expect(204);
    expect(await cw()).toEqual([]);
    expect(await get('/v1/history/tv/2000?seasonNumber=1&episodeNumber=2')).toMatchObject({ hidden: true, currentTime: 500 });
  });

  it('a delete of everything forgets the hides', async () => {
    await play(movieHeartbeat({ mediaId: 704 }), 2000);
    await t.http().put('/v1/history/movie/704/hidden').set(auth()).expect(204);
    await t.http().delete('/v1/history').set(auth()).expect(204);
    await play(movieHeartbeat({ mediaId: 704 }), 2000);
    expect(await get('/v1/history/movie/704')).toMatchObject({ hidden: false });
  });
});

describe('hidden across two instances', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    [a, b] = await twoInstances({ MIN_PLAY_SECONDS: '60' });
  });
  afterAll(() => closeAll(a, b));

  it('a heartbeat held by another instance from before the hide, flushed after it, leaves the item hidden', async () => {
    const token = await a.token('hide-two');
    const auth = { Authorization: `Bearer ${token}` };
    const sessionId = randomUUID();
    a.clock.advance(60_000);
    await a.http().post('/v1/playtime').set(auth).send(movieHeartbeat({ mediaId: 710, sessionId, currentTime: 1000, playedSeconds: 0 })).expect(202);
    a.clock.advance(60_000);
    await a.http().post('/v1/playtime').set(auth).send(movieHeartbeat({ mediaId: 710, sessionId, currentTime: 1060, playedSeconds: 60 })).expect(202);
    await a.batcher.flush();
    b.clock.set(a.clock.now() + 10_000);
    await b.http().post('/v1/playtime').set(auth).send(movieHeartbeat({ mediaId: 710, sessionId, currentTime: 1070, playedSeconds: 70 })).expect(202);
    a.clock.set(b.clock.now() + 10_000);
    await a.http().put('/v1/history/movie/710/hidden').set(auth).expect(204);
    await b.batcher.flush();
    const res = await a.http().get('/v1/history/movie/710').set(auth).expect(200);
    expect(res.body).toMatchObject({ hidden: true, currentTime: 1070, totalPlayedSeconds: 70 });
  });
});
