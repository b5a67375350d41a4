import { randomUUID } from 'node:crypto';
import type { Heartbeat } from '../../src/playtime/heartbeat.js';
import { createTestApp, episodeHeartbeat, movieHeartbeat, type TestApp } from '../utils/create-app.js';
import { expectFieldError } from '../utils/field-error.js';

const SPEC_DEFAULTS = { MIN_PLAY_SECONDS: '60', MIN_RESUME_DURATION_SECONDS: '300', CONTINUE_WATCHING_DAYS: '112' };
const MINUTE = 60_000;

interface Play {
  sessionId: string;
  mediaType: string;
  mediaId: number;
  seasonNumber: number | null;
  episodeNumber: number | null;
  title: string | null;
  startedAt: string;
  endedAt: string;
  playedSeconds: number;
  fromPosition: number | null;
  toPosition: number | null;
  finished: boolean;
  device: Record<string, string> | null;
}

const TV = { id: 'tv-1', name: 'Living room TV', platform: 'tizen' };
const PHONE = { id: 'ph-7', name: 'Pixel', platform: 'android' };

/**
 * The plays log (SPEC §8): the caller's sessions that are plays, newest `endedAt` first, keyset
 * pages, `from`/`to` and item filters, and the same answer before and after the flush.
 */
describe('GET /v1/history/plays', () => {
  let t: TestApp;
  let n = 0;
  let user: string;
  let token: string;
  const auth = () => ({ Authorization: `Bearer ${token}` });

  /** One session over HTTP, `gapSeconds` of clock between heartbeats; returns its id and the event time of each heartbeat. */
  async function session(base: Record<string, unknown>, steps: [number, number][], gapSeconds = 30): Promise<{ sessionId: string; at: string[] }> {
    const sessionId = String(base.sessionId ?? randomUUID());
    const at: string[] = [];
    for (const [currentTime, playedSeconds] of steps) {
      t.clock.advance(gapSeconds * 1000);
      at.push(new Date(t.clock.now()).toISOString());
      await t.http().post('/v1/playtime').set(auth()).send({ ...base, sessionId, currentTime, playedSeconds }).expect(202);
    }
    return { sessionId, at };
  }

  async function plays(query: Record<string, string | number> = {}): Promise<{ items: Play[]; nextCursor: string | null }> {
    return (await t.http().get('/v1/history/plays').query(query).set(auth()).expect(200)).body;
  }

  /** Every play, following `nextCursor` page by page. */
  async function allPages(query: Record<string, string | number>): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await plays(cursor ? { ...query, cursor } : query);
      ids.push(...page.items.map((p) => p.sessionId));
      cursor = page.nextCursor;
      pages++;
      expect(pages).toBeLessThan(50);
    } while (cursor);
    return { ids, pages };
  }

  /** A play of `mediaId` ending at `endAt` (epoch ms, event time), fed to the batcher: 61 s apart, 60 s played. */
  function playBeats(mediaId: number, endAt: number, sessionId = randomUUID()): Heartbeat[] {
    const base = { sessionId, mediaType: 'movie' as const, mediaId, seasonNumber: null, episodeNumber: null, totalDuration: 5000, event: 'progress' as const };
    return [
      { ...base, currentTime: 10, playedSeconds: 0, occurredAt: new Date(endAt - 61_000) },
      { ...base, currentTime: 70, playedSeconds: 60, occurredAt: new Date(endAt) },
    ];
  }

  beforeAll(async () => {
    t = await createTestApp(SPEC_DEFAULTS);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    user = `plays-log-${++n}`;
    token = await t.token(user);
  });

  it('lists the plays of two devices with positions, credit and device, leaves a non-play out, and reads the same before and after the flush', async () => {
    const movie = await session(movieHeartbeat({ device: TV }), [[100, 0], [160, 60], [220, 120]]);
    // the phone names a device on its second heartbeat only; a later, different one is not taken
    const episode = await session(episodeHeartbeat({ episodeNumber: 2 }), [[0, 0], [600, 50], [660, 90]]);
    await session(episodeHeartbeat({ episodeNumber: 2, sessionId: episode.sessionId, device: PHONE }), [[700, 95]]);
    await session(episodeHeartbeat({ episodeNumber: 2, sessionId: episode.sessionId, device: TV }), [[720, 100]], 10);
    // another device opens the movie and dies after 5 s: not a play
    await session(movieHeartbeat({ device: { id: 'web-1', platform: 'web' } }), [[0, 5]]);

    const expected = [
      {
        sessionId: episode.sessionId, mediaType: 'tv', mediaId: 1399, seasonNumber: 1, episodeNumber: 2,
        startedAt: episode.at[0], playedSeconds: 100, fromPosition: 0, toPosition: 720, finished: false, device: PHONE,
      },
      {
        sessionId: movie.sessionId, mediaType: 'movie', mediaId: 550, seasonNumber: null, episodeNumber: null, title: 'Inception',
        startedAt: movie.at[0], endedAt: movie.at[2], playedSeconds: 120, fromPosition: 100, toPosition: 220, finished: false, device: TV,
      },
    ];
    const before = await plays();
    expect(before.items).toMatchObject(expected);
    expect(before.items).toHaveLength(2);
    expect(before.nextCursor).toBeNull();
    await t.batcher.flush();
    const after = await plays();
    expect(after).toEqual(before);
    expect(after.items[0].endedAt > after.items[1].endedAt).toBe(true);
  });

  it('shows unflushed heartbeats over a stored session: a session that becomes a play, and a play that goes on', async () => {
    const early = await session(movieHeartbeat({ mediaId: 600 }), [[0, 0], [30, 30]]);
    const going = await session(movieHeartbeat({ mediaId: 601, totalDuration: 1000 }), [[0, 0], [70, 70]], 40);
    await t.batcher.flush();
    expect((await plays()).items.map((p) => p.sessionId)).toEqual([going.sessionId]);

    // 30 s more: the first session reaches MIN_PLAY_SECONDS; the second reaches the finished point (90 %)
    const more = await session(movieHeartbeat({ mediaId: 600, sessionId: early.sessionId }), [[60, 60]]);
    const last = await session(movieHeartbeat({ mediaId: 601, totalDuration: 1000, sessionId: going.sessionId }), [[950, 100]]);
    const before = await plays();
    expect(before.items).toMatchObject([
      { sessionId: going.sessionId, endedAt: last.at[0], playedSeconds: 100, fromPosition: 0, toPosition: 950, finished: true },
      { sessionId: early.sessionId, startedAt: early.at[0], endedAt: more.at[0], playedSeconds: 60, fromPosition: 0, toPosition: 60, finished: false },
    ]);
    await t.batcher.flush();
    expect(await plays()).toEqual(before);
  });

  it('pages through 57 plays newest first, each once, with plays not flushed yet among them', async () => {
    const now = t.clock.now();
    const ends = Array.from({ length: 57 }, (_, i) => now - (i + 1) * 7 * MINUTE);
    const beats = ends.slice(0, 50).flatMap((end, i) => playBeats(700 + (i % 5), end));
    await t.batcher.accept(user, beats);
    await t.batcher.flush();
    // seven more, interleaved in time with the stored ones, held unflushed
    const late = ends.slice(50).map((_, i) => ends[i * 7 + 3] - 1000);
    await t.batcher.accept(user, late.flatMap((end) => playBeats(710, end)));

    const expectedEnds = [...ends.slice(0, 50), ...late].sort((a, b) => b - a).map((ms) => new Date(ms).toISOString());
    for (const limit of [10, 7, 100]) {
      const pages: Play[] = [];
      let cursor: string | null = null;
      do {
        const page = await plays(cursor ? { limit, cursor } : { limit });
        expect(page.items.length).toBeLessThanOrEqual(limit);
        pages.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      expect(pages.map((p) => p.endedAt)).toEqual(expectedEnds);
      expect(new Set(pages.map((p) => p.sessionId)).size).toBe(57);
    }
    await t.batcher.flush();
    const { ids, pages } = await allPages({ limit: 10 });
    expect(ids).toHaveLength(57);
    expect(new Set(ids).size).toBe(57);
    expect(pages).toBe(6);
  });

  it('bounds endedAt with from/to (days inclusive, date-times exact) and filters by item', async () => {
    const day = (d: string, hh: string) => Date.parse(`${d}T${hh}:00:00Z`);
    // event times a few days back, each play ending on the hour
    const d1 = new Date(t.clock.now() - 5 * 86_400_000).toISOString().slice(0, 10);
    const d2 = new Date(t.clock.now() - 4 * 86_400_000).toISOString().slice(0, 10);
    const ep = (season: number, episode: number, end: number): Heartbeat[] =>
      playBeats(0, end).map((b) => ({ ...b, mediaType: 'tv', mediaId: 1399, seasonNumber: season, episodeNumber: episode }));
    await t.batcher.accept(user, [
      ...playBeats(550, day(d1, '10')), ...playBeats(551, day(d1, '23')), ...playBeats(550, day(d2, '08')),
      ...ep(1, 1, day(d1, '12')), ...ep(1, 2, day(d2, '09')), ...ep(2, 1, day(d2, '10')),
    ]);
    await t.batcher.flush();
    const ends = async (q: Record<string, string | number>) => (await plays(q)).items.map((p) => p.endedAt.slice(0, 13));
    const h = (d: string, hh: string) => `${d}T${hh}`;

    expect(await ends({ from: d1, to: d1 })).toEqual([h(d1, '23'), h(d1, '12'), h(d1, '10')]);
    expect(await ends({ from: d2 })).toEqual([h(d2, '10'), h(d2, '09'), h(d2, '08')]);
    expect(await ends({ to: d1 })).toEqual([h(d1, '23'), h(d1, '12'), h(d1, '10')]);
    // a date-time bound includes a play ending exactly then
    expect(await ends({ from: `${d1}T12:00:00Z`, to: `${d2}T09:00:00.000+00:00` })).toEqual([h(d2, '09'), h(d2, '08'), h(d1, '23'), h(d1, '12')]);
    expect(await ends({ from: `${d1}T13:00:00+01:00`, to: `${d1}T23:59:59Z` })).toEqual([h(d1, '23'), h(d1, '12')]);

    expect(await ends({ mediaType: 'movie' })).toEqual([h(d2, '08'), h(d1, '23'), h(d1, '10')]);
    expect(await ends({ mediaType: 'movie', mediaId: 550 })).toEqual([h(d2, '08'), h(d1, '10')]);
    expect(await ends({ mediaType: 'tv', mediaId: 1399 })).toEqual([h(d2, '10'), h(d2, '09'), h(d1, '12')]);
    expect(await ends({ mediaType: 'tv', mediaId: 1399, seasonNumber: 1 })).toEqual([h(d2, '09'), h(d1, '12')]);
    expect(await ends({ mediaType: 'tv', mediaId: 1399, seasonNumber: 1, episodeNumber: 2 })).toEqual([h(d2, '09')]);
    expect(await ends({ mediaType: 'tv', mediaId: 1399, seasonNumber: 1, episodeNumber: 2, to: d1 })).toEqual([]);
    expect(await ends({ mediaType: 'tv', mediaId: 1400 })).toEqual([]);
  });

  it('answers 400 naming the field for bad bounds, filters, limits and forged cursors', async () => {
    const bad = async (query: Record<string, string>, field: string) =>
      expectFieldError(await t.http().get('/v1/history/plays').query(query).set(auth()), field);
    await bad({ from: '2025-12-16', to: '2025-12-15' }, 'from');
    await bad({ from: '2025-12-15T10:00:00Z', to: '2025-12-15T09:59:59Z' }, 'from');
    await bad({ from: 'yesterday' }, 'from');
    await bad({ to: '2020-02-30' }, 'to');
    await bad({ to: '2020-02-30T10:00:00Z' }, 'to');
    await bad({ from: '2025-12-15T10:00:00' }, 'from');
    await bad({ from: '0000-01-01' }, 'from');
    await bad({ limit: '101' }, 'limit');
    await bad({ limit: '0' }, 'limit');
    await bad({ mediaId: '550' }, 'mediaId');
    await bad({ mediaType: 'movie', mediaId: '550', seasonNumber: '1' }, 'seasonNumber');
    await bad({ mediaType: 'tv', seasonNumber: '1' }, 'seasonNumber');
    await bad({ mediaType: 'tv', mediaId: '1399', episodeNumber: '1' }, 'episodeNumber');
    await bad({ mediaType: 'book' }, 'mediaType');
    await bad({ cursor: 'not-a-cursor' }, 'cursor');
    await bad({ cursor: Buffer.from(JSON.stringify(['2020-02-30 10:00:00+00', '5'])).toString('base64url') }, 'cursor');
    await bad({ cursor: Buffer.from(JSON.stringify(['2020-01-01 10:00:00+00', '9223372036854775808'])).toString('base64url') }, 'cursor');
    // the same day as both ends is one whole day
    await t.http().get('/v1/history/plays').query({ from: '2025-12-15', to: '2025-12-15' }).set(auth()).expect(200);
  });

  it('a session that goes on after its item was deleted counts only what it played since, before and after each flush', async () => {
    const s = await session(movieHeartbeat({ mediaId: 950, device: TV }), [[0, 0], [90, 90]], 60);
    await t.batcher.flush();
    await t.http().delete('/v1/history/movie/950').set(auth()).expect(204);
    expect((await plays()).items).toEqual([]);
    // 40 s since the delete: not a play (the 90 s before it do not count); 70 s: a play of 70 s
    for (const [position, gap, listed] of [[130, 40, false], [160, 30, true]] as const) {
      const step = await session(movieHeartbeat({ mediaId: 950, sessionId: s.sessionId }), [[position, position]], gap);
      const before = await plays();
      expect(before.items.map((p) => [p.sessionId, p.playedSeconds, p.toPosition, p.endedAt, p.device])).toEqual(
        listed ? [[s.sessionId, 70, position, step.at[0], TV]] : [],
      );
      await t.batcher.flush();
      expect(await plays()).toEqual(before);
    }
    expect((await t.http().get('/v1/history/movie/950').set(auth()).expect(200)).body.totalPlayedSeconds).toBe(70);
  });

  it('lists only the caller’s plays, drops a deleted item’s, and the export carries them', async () => {
    const mine = await session(movieHeartbeat({ mediaId: 900, device: TV }), [[0, 0], [90, 90]], 60);
    const gone = await session(movieHeartbeat({ mediaId: 901 }), [[0, 0], [90, 90]], 60);
    const other = await t.token(`${user}-other`);
    await t.http().post('/v1/playtime').set('Authorization', `Bearer ${other}`).send(movieHeartbeat({ mediaId: 900, playedSeconds: 0 })).expect(202);
    await t.batcher.flush();
    expect((await plays()).items.map((p) => p.sessionId)).toEqual([gone.sessionId, mine.sessionId]);
    await t.http().delete('/v1/history/movie/901').set(auth()).expect(204);
    const listed = await plays();
    expect(listed.items.map((p) => p.sessionId)).toEqual([mine.sessionId]);

    // one more unflushed play: the export, like the list, shows it already
    const fresh = await session(movieHeartbeat({ mediaId: 902, device: PHONE }), [[0, 0], [80, 80]], 60);
    const exported = await t.http().get('/v1/history/export').set(auth()).expect(200);
    expect(exported.body.plays).toEqual((await plays()).items);
    expect(exported.body.plays).toMatchObject([
      { sessionId: fresh.sessionId, mediaId: 902, playedSeconds: 80, device: PHONE },
      { sessionId: mine.sessionId, mediaId: 900, playedSeconds: 90, device: TV },
    ]);
  });
});
