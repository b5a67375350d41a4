import { randomUUID } from 'node:crypto';
import { createTestApp, episodeHeartbeat, movieHeartbeat, type TestApp } from '../utils/create-app.js';
import { closeAll, twoInstances } from '../utils/two-instances.js';

/** The service defaults of SPEC §7 (createTestApp turns the §7 rules off for older tests). */
const SPEC_DEFAULTS = { MIN_PLAY_SECONDS: '60', MIN_RESUME_DURATION_SECONDS: '300', CONTINUE_WATCHING_DAYS: '112' };
const DAY = 86_400_000;

type Item = { currentTime: number; progress: number; finished: boolean; completedCount: number; totalPlayedSeconds: number; lastWatchedAt: string; resumeAt: number; hidden: boolean };

/**
 * A player session as a client sends it: one heartbeat per step, `gapSeconds` apart on the
 * instance's clock (receipt time), each step `[currentTime, playedSeconds]`.
 */
async function session(t: TestApp, token: string, base: Record<string, unknown>, steps: [number, number][], gapSeconds = 30): Promise<string> {
  const sessionId = randomUUID();
  for (const [currentTime, playedSeconds] of steps) {
    t.clock.advance(gapSeconds * 1000);
    await t.http().post('/v1/playtime').set('Authorization', `Bearer ${token}`).send({ ...base, sessionId, currentTime, playedSeconds }).expect(202);
  }
  return sessionId;
}

async function item(t: TestApp, token: string, path = '/v1/history/movie/550'): Promise<Item> {
  return (await t.http().get(path).set('Authorization', `Bearer ${token}`).expect(200)).body as Item;
}

async function continueKeys(t: TestApp, token: string): Promise<string[]> {
  const res = await t.http().get('/v1/history/continue-watching').set('Authorization', `Bearer ${token}`).expect(200);
  return (res.body.items as { mediaType: string; mediaId: number; seasonNumber: number | null; episodeNumber: number | null; reason: string }[]).map(
    (i) => `${i.mediaType}:${i.mediaId}:${i.seasonNumber ?? ''}:${i.episodeNumber ?? ''}:${i.reason}`,
  );
}

describe('plays (SPEC §7)', () => {
  let t: TestApp;
  let n = 0;
  let token: string;
  beforeAll(async () => {
    t = await createTestApp(SPEC_DEFAULTS);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    token = await t.token(`plays-${++n}`);
  });

  it('a session that dies at position 0 leaves the resume point of the play where it was, before and after the flush', async () => {
    await session(t, token, movieHeartbeat(), [[3000, 0], [3060, 60], [3120, 120]]);
    const before = await item(t, token);
    expect(before).toMatchObject({ currentTime: 3120, resumeAt: 3120 });
    // another device opens the movie, reports 0 and dies: 5 s played, not a play
    await session(t, token, movieHeartbeat(), [[0, 5]]);
    for (const flushed of [false, true]) {
      if (flushed) await t.batcher.flush();
      const after = await item(t, token);
      expect(after).toMatchObject({ currentTime: 3120, resumeAt: 3120, lastWatchedAt: before.lastWatchedAt });
      // its seconds still count (SPEC §7.1)
      expect(after.totalPlayedSeconds).toBe(125);
    }
  });

  it('becomes a play at exactly MIN_PLAY_SECONDS credited, not a second before', async () => {
    await session(t, token, movieHeartbeat({ mediaId: 551 }), [[4000, 0], [4100, 100]]);
    await t.batcher.flush();
    // 59 s: not a play, the position stays
    const short = await session(t, token, movieHeartbeat({ mediaId: 551 }), [[100, 0], [159, 59]]);
    await t.batcher.flush();
    expect(await item(t, token, '/v1/history/movie/551')).toMatchObject({ currentTime: 4100, totalPlayedSeconds: 159 });
    // one more second in the same session makes it a play: its latest heartbeat now applies
    t.clock.advance(1000);
    await t.http().post('/v1/playtime').set('Authorization', `Bearer ${token}`)
      .send(movieHeartbeat({ mediaId: 551, sessionId: short, currentTime: 160, playedSeconds: 60 })).expect(202);
    expect(await item(t, token, '/v1/history/movie/551')).toMatchObject({ currentTime: 160, totalPlayedSeconds: 160 });
    await t.batcher.flush();
    expect(await item(t, token, '/v1/history/movie/551')).toMatchObject({ currentTime: 160, totalPlayedSeconds: 160 });
  });

  it('before any play, the latest heartbeat sets the position; the first play then takes over', async () => {
    await session(t, token, movieHeartbeat({ mediaId: 552 }), [[700, 10]]);
    await t.batcher.flush();
    expect(await item(t, token, '/v1/history/movie/552')).toMatchObject({ currentTime: 700 });
    await session(t, token, movieHeartbeat({ mediaId: 552 }), [[2000, 0], [2090, 90]]);
    expect(await item(t, token, '/v1/history/movie/552')).toMatchObject({ currentTime: 2090 });
  });

  it('completedCount counts plays that reached the finished point, not short sessions that did', async () => {
    await session(t, token, movieHeartbeat({ mediaId: 553, totalDuration: 1000 }), [[990, 10]]);
    await t.batcher.flush();
    expect(await item(t, token, '/v1/history/movie/553')).toMatchObject({ completedCount: 0, finished: true });
    await session(t, token, movieHeartbeat({ mediaId: 553, totalDuration: 1000 }), [[800, 0], [950, 150]], 75);
    expect(await item(t, token, '/v1/history/movie/553')).toMatchObject({ completedCount: 1 });
    await t.batcher.flush();
    expect(await item(t, token, '/v1/history/movie/553')).toMatchObject({ completedCount: 1, finished: true });
  });

  it('continue watching leaves out items without a play, short items, and stale items', async () => {
    await session(t, token, movieHeartbeat({ mediaId: 554 }), [[3000, 20]]); // not a play
    await session(t, token, movieHeartbeat({ mediaId: 555, totalDuration: 299 }), [[100, 0], [150, 90]]); // short
    await session(t, token, movieHeartbeat({ mediaId: 556, totalDuration: 300 }), [[100, 0], [150, 90]]); // just long enough
    await session(t, token, movieHeartbeat({ mediaId: 557 }), [[1000, 0], [1100, 100]]);
    expect(await continueKeys(t, token)).toEqual(['movie:557:::resume', 'movie:556:::resume']);
    expect(await item(t, token, '/v1/history/movie/555')).toMatchObject({ resumeAt: 0, currentTime: 150 });
    await t.batcher.flush();
    expect(await continueKeys(t, token)).toEqual(['movie:557:::resume', 'movie:556:::resume']);
    // 112 days on, both are stale; a day less, 557 (watched later) is still there
    t.clock.advance(112 * DAY - 30_000);
    expect(await continueKeys(t, token)).toEqual(['movie:557:::resume']);
    t.clock.advance(2 * 60_000);
    expect(await continueKeys(t, token)).toEqual([]);
    // still in the history, with the position
    const list = await t.http().get('/v1/history').set('Authorization', `Bearer ${token}`).expect(200);
    expect(list.body.items.map((i: { mediaId: number }) => i.mediaId)).toEqual([557, 556, 555, 554]);
  });

  it('a show whose latest episode was only glimpsed continues with the episode that has a play', async () => {
    const show = { mediaId: 1400, totalDuration: 3600 };
    await session(t, token, episodeHeartbeat({ ...show, episodeNumber: 3 }), [[1200, 0], [1300, 100]]);
    await session(t, token, episodeHeartbeat({ ...show, episodeNumber: 4 }), [[0, 8]]);
    expect(await continueKeys(t, token)).toEqual(['tv:1400:1:3:resume']);
  });
});

describe('plays across two instances (SPEC §7)', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    [a, b] = await twoInstances(SPEC_DEFAULTS);
  });
  afterAll(() => closeAll(a, b));

  it('a play on one instance and a short session on the other end as one instance holding both, in either flush order', async () => {
    const results: Item[] = [];
    for (const order of [[a, b], [b, a]] as const) {
      const token = await a.token(`two-${randomUUID()}`);
      const mediaId = 560 + results.length;
      b.clock.set(a.clock.now());
      await session(a, token, movieHeartbeat({ mediaId }), [[2000, 0], [2100, 100]]);
      b.clock.set(a.clock.now());
      await session(b, token, movieHeartbeat({ mediaId }), [[0, 4]]);
      for (const inst of order) await inst.batcher.flush();
      results.push(await item(a, token, `/v1/history/movie/${mediaId}`));
    }
    const one = await createTestApp(SPEC_DEFAULTS, { databaseUrl: a.databaseUrl });
    try {
      const token = await one.token(`one-${randomUUID()}`);
      one.clock.set(a.clock.now());
      await session(one, token, movieHeartbeat({ mediaId: 562 }), [[2000, 0], [2100, 100]]);
      await session(one, token, movieHeartbeat({ mediaId: 562 }), [[0, 4]]);
      await one.batcher.flush();
      results.push(await item(one, token, '/v1/history/movie/562'));
    } finally {
      await one.close();
    }
    for (const r of results) expect(r).toMatchObject({ currentTime: 2100, totalPlayedSeconds: 104, completedCount: 0 });
  });
});
