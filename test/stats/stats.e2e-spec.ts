import { randomUUID } from 'node:crypto';
import { createTestApp, episodeHeartbeat, movieHeartbeat, type TestApp } from '../utils/create-app.js';
import { catalogEntries } from '../factories/catalog.factory.js';

/** GET /v1/stats/me (SPEC §5 "Statistics") on a real database, seeded row by row or by heartbeats. */
describe('GET /v1/stats/me', () => {
  let t: TestApp;
  let n = 0;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  interface Item {
    mediaType?: 'movie' | 'tv';
    mediaId?: number;
    season?: number | null;
    episode?: number | null;
  }

  /** A user of their own for each test, so tests never see each other's rows. */
  async function newUser() {
    const id = `stats-user-${++n}`;
    const token = await t.token(id);
    const stats = async (query: Record<string, string> = {}, expectStatus = 200) => {
      const res = await t.http().get('/v1/stats/me').query(query).set('Authorization', `Bearer ${token}`);
      expect({ status: res.status, body: res.body }).toMatchObject({ status: expectStatus });
      return res.body;
    };
    return { id, token, stats };
  }

  async function bucket(userId: string, hour: string, seconds: number, item: Item = {}) {
    const { mediaType = 'movie', mediaId = 9000550, season = null, episode = null } = item;
    await t.db.query(
      `INSERT INTO watch_buckets (user_id, hour, media_type, media_id, season_number, episode_number, seconds)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [userId, hour, mediaType, mediaId, season, episode, seconds],
    );
  }

  async function history(
    userId: string,
    row: Item & { title?: string | null; finished?: boolean; firstWatchedAt: string; lastWatchedAt: string },
  ) {
    const { mediaType = 'movie', mediaId = 9000550, season = null, episode = null, title = null, finished = false } = row;
    await t.db.query(
      `INSERT INTO watch_history (user_id, media_type, media_id, season_number, episode_number, title, current_time_s,
         total_duration_s, progress, finished, position_at, first_watched_at, last_watched_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 100, $8, $9, $11, $10, $11)`,
      [userId, mediaType, mediaId, season, episode, title, finished ? 95 : 40, finished ? 95 : 40, finished, row.firstWatchedAt, row.lastWatchedAt],
    );
  }

  const dates = (body: { daily: { date: string }[] }) => body.daily.map((d) => d.date);

  describe('totals', () => {
    it('sums the seconds of the window, per media type, and in hours', async () => {
      const u = await newUser();
      await bucket(u.id, '2025-06-01T10:00:00Z', 1800.5);
      await bucket(u.id, '2025-06-02T11:00:00Z', 600, { mediaId: 9000551 });
      await bucket(u.id, '2025-06-01T12:00:00Z', 3000, { mediaType: 'tv', mediaId: 9001399, season: 1, episode: 1 });
      await bucket(u.id, '2025-06-03T23:00:00Z', 1200.25, { mediaType: 'tv', mediaId: 9001399, season: 1, episode: 2 });
      // Just outside the window on either side.
      await bucket(u.id, '2025-05-31T23:00:00Z', 999);
      await bucket(u.id, '2025-06-04T00:00:00Z', 999, { mediaType: 'tv', mediaId: 9001399, season: 1, episode: 2 });

      const body = await u.stats({ from: '2025-06-01', to: '2025-06-03' });
      expect(body.totalSeconds).toBe(6600.75);
      expect(body.totalHours).toBe(1.83);
      expect(body.byMediaType).toEqual({ movie: 2400.5, tv: 4200.25 });
      expect(body.daily).toEqual([
        { date: '2025-06-01', seconds: 4800.5 },
        { date: '2025-06-02', seconds: 600 },
        { date: '2025-06-03', seconds: 1200.25 },
      ]);
    });

    it('always has both media types and rounds seconds to milliseconds and hours to 2 decimals', async () => {
      const u = await newUser();
      await bucket(u.id, '2025-06-01T10:00:00Z', 1000.1234);
      await bucket(u.id, '2025-06-01T11:00:00Z', 2000.0004);
      const body = await u.stats({ from: '2025-06-01', to: '2025-06-01' });
      expect(body.totalSeconds).toBe(3000.124);
      expect(body.totalHours).toBe(0.83);
      expect(body.byMediaType).toEqual({ movie: 3000.124, tv: 0 });
    });

    it('answers zeros, not an error, for a user who never watched anything', async () => {
      const u = await newUser();
      const body = await u.stats({ from: '2025-06-01', to: '2025-06-02' });
      expect(body).toEqual({
        totalSeconds: 0,
        totalHours: 0,
        itemsStarted: 0,
        itemsFinished: 0,
        byMediaType: { movie: 0, tv: 0 },
        daily: [
          { date: '2025-06-01', seconds: 0 },
          { date: '2025-06-02', seconds: 0 },
        ],
        topTitles: [],
        byHourOfDay: new Array(24).fill(0),
        byWeekday: [0, 0, 0, 0, 0, 0, 0],
      });
    });
  });

  describe('daily', () => {
    it('lists every day of the window, days with nothing played included', async () => {
      const u = await newUser();
      await bucket(u.id, '2025-06-03T08:00:00Z', 120);
      await bucket(u.id, '2025-06-03T09:00:00Z', 60, { mediaType: 'tv', mediaId: 9001399, season: 1, episode: 1 });
      await bucket(u.id, '2025-06-09T21:00:00Z', 30);
      const body = await u.stats({ from: '2025-06-01', to: '2025-06-10' });
      expect(body.daily).toEqual([
        { date: '2025-06-01', seconds: 0 },
        { date: '2025-06-02', seconds: 0 },
        { date: '2025-06-03', seconds: 180 },
        { date: '2025-06-04', seconds: 0 },
        { date: '2025-06-05', seconds: 0 },
        { date: '2025-06-06', seconds: 0 },
        { date: '2025-06-07', seconds: 0 },
        { date: '2025-06-08', seconds: 0 },
        { date: '2025-06-09', seconds: 30 },
        { date: '2025-06-10', seconds: 0 },
      ]);
    });

    it('spans month and leap-day boundaries, and accepts a whole leap year (366 days)', async () => {
      const u = await newUser();
      await bucket(u.id, '2024-02-29T12:00:00Z', 50);
      const body = await u.stats({ from: '2024-01-01', to: '2024-12-31' });
      expect(body.daily).toHaveLength(366);
      expect(body.daily[0].date).toBe('2024-01-01');
      expect(body.daily[365].date).toBe('2024-12-31');
      expect(body.daily.find((d: { date: string }) => d.date === '2024-02-29').seconds).toBe(50);
      expect(dates(body)).toContain('2024-02-29');
      expect(body.totalSeconds).toBe(50);
    });
  });

  describe('time zones', () => {
    it('puts the same hour on different local days in Tokyo and New York', async () => {
      const u = await newUser();
      // 20:00 UTC is 05:00 the next day in Tokyo (UTC+9) and 16:00 the same day in New York (UTC−4 in June).
      await bucket(u.id, '2025-06-01T20:00:00Z', 3600);
      const range = { from: '2025-06-01', to: '2025-06-02' };

      const tokyo = await u.stats({ ...range, tz: 'Asia/Tokyo' });
      expect(tokyo.daily).toEqual([
        { date: '2025-06-01', seconds: 0 },
        { date: '2025-06-02', seconds: 3600 },
      ]);
      const newYork = await u.stats({ ...range, tz: 'America/New_York' });
      expect(newYork.daily).toEqual([
        { date: '2025-06-01', seconds: 3600 },
        { date: '2025-06-02', seconds: 0 },
      ]);
      const utc = await u.stats(range);
      expect(utc.daily[0]).toEqual({ date: '2025-06-01', seconds: 3600 });

      // The window itself is in local days: 2025-06-01 in Tokyo ends at 15:00 UTC, before the hour.
      const tokyoFirstDay = await u.stats({ from: '2025-06-01', to: '2025-06-01', tz: 'Asia/Tokyo' });
      expect(tokyoFirstDay.totalSeconds).toBe(0);
      expect(tokyoFirstDay.daily).toEqual([{ date: '2025-06-01', seconds: 0 }]);
      const newYorkFirstDay = await u.stats({ from: '2025-06-01', to: '2025-06-01', tz: 'America/New_York' });
      expect(newYorkFirstDay.totalSeconds).toBe(3600);
    });

    it('follows daylight saving time: the 23-hour day in New York on 2025-03-09', async () => {
      const u = await newUser();
      await bucket(u.id, '2025-03-09T04:00:00Z', 1); // 23:00 EST on 03-08
      await bucket(u.id, '2025-03-09T05:00:00Z', 10); // 00:00 EST on 03-09
      await bucket(u.id, '2025-03-10T03:00:00Z', 100); // 23:00 EDT on 03-09
      await bucket(u.id, '2025-03-10T04:00:00Z', 1000); // 00:00 EDT on 03-10
      const body = await u.stats({ from: '2025-03-08', to: '2025-03-10', tz: 'America/New_York' });
      expect(body.daily).toEqual([
        { date: '2025-03-08', seconds: 1 },
        { date: '2025-03-09', seconds: 110 },
        { date: '2025-03-10', seconds: 1000 },
      ]);
      const oneDay = await u.stats({ from: '2025-03-09', to: '2025-03-09', tz: 'America/New_York' });
      expect(oneDay.totalSeconds).toBe(110);
    });

    it('counts an hour towards the local day it starts on in a half-hour zone (Asia/Kolkata, UTC+5:30)', async () => {
      const u = await newUser();
      await bucket(u.id, '2025-06-01T18:00:00Z', 7); // starts 23:30 on 06-01
      await bucket(u.id, '2025-06-01T19:00:00Z', 70); // starts 00:30 on 06-02
      const body = await u.stats({ from: '2025-06-01', to: '2025-06-02', tz: 'Asia/Kolkata' });
      expect(body.daily).toEqual([
        { date: '2025-06-01', seconds: 7 },
        { date: '2025-06-02', seconds: 70 },
      ]);
      const secondDay = await u.stats({ from: '2025-06-02', to: '2025-06-02', tz: 'Asia/Kolkata' });
      expect(secondDay.totalSeconds).toBe(70);
    });

    it('accepts a zone name in any letter case', async () => {
      const u = await newUser();
      await bucket(u.id, '2025-06-01T20:00:00Z', 60);
      const body = await u.stats({ from: '2025-06-02', to: '2025-06-02', tz: 'asia/tokyo' });
      expect(body.totalSeconds).toBe(60);
    });
  });

  describe('default window', () => {
    afterEach(() => t.clock.set(Date.now()));

    it('is the last 30 days ending today in tz', async () => {
      const u = await newUser();
      t.clock.set(Date.parse('2025-06-15T20:00:00Z')); // already 2025-06-16 in Tokyo
      await bucket(u.id, '2025-05-17T00:00:00Z', 9); // UTC: first day; Tokyo: 05-17, before its window
      await bucket(u.id, '2025-05-17T15:00:00Z', 20); // UTC: first day; Tokyo: 05-18 00:00, its first day
      await bucket(u.id, '2025-06-15T19:00:00Z', 5); // UTC: today; Tokyo: 06-16, today there
      await bucket(u.id, '2025-05-16T23:00:00Z', 1000); // before both windows

      const utc = await u.stats();
      expect(utc.daily).toHaveLength(30);
      expect(utc.daily[0]).toEqual({ date: '2025-05-17', seconds: 29 });
      expect(utc.daily[29]).toEqual({ date: '2025-06-15', seconds: 5 });
      expect(utc.totalSeconds).toBe(34);

      const tokyo = await u.stats({ tz: 'Asia/Tokyo' });
      expect(tokyo.daily).toHaveLength(30);
      expect(tokyo.daily[0]).toEqual({ date: '2025-05-18', seconds: 20 });
      expect(tokyo.daily[29]).toEqual({ date: '2025-06-16', seconds: 5 });
      expect(tokyo.totalSeconds).toBe(25);
    });

    it('runs from `from` to today when only `from` is given, and 30 days up to `to` when only `to` is', async () => {
      const u = await newUser();
      t.clock.set(Date.parse('2025-06-15T12:00:00Z'));
      const fromOnly = await u.stats({ from: '2025-06-10' });
      expect(dates(fromOnly)).toEqual(['2025-06-10', '2025-06-11', '2025-06-12', '2025-06-13', '2025-06-14', '2025-06-15']);
      const toOnly = await u.stats({ to: '2025-03-01' });
      expect(toOnly.daily).toHaveLength(30);
      expect(toOnly.daily[0].date).toBe('2025-01-31');
      expect(toOnly.daily[29].date).toBe('2025-03-01');
    });
  });

  describe('topTitles', () => {
    it('groups episodes per show, orders by seconds and names each by the title rule (catalogue, else the latest heard)', async () => {
      const u = await newUser();
      const got = { mediaType: 'tv' as const, mediaId: 9001399 };
      await bucket(u.id, '2025-06-01T10:00:00Z', 1000, { ...got, season: 1, episode: 1 });
      await bucket(u.id, '2025-06-02T10:00:00Z', 1500, { ...got, season: 1, episode: 2 });
      await bucket(u.id, '2025-06-01T10:00:00Z', 2000, { mediaId: 9000550 });
      await bucket(u.id, '2025-06-01T11:00:00Z', 1800, { mediaId: 9000551 });
      await bucket(u.id, '2025-06-02T11:00:00Z', 1200, { mediaId: 9000551 });
      await bucket(u.id, '2025-06-03T11:00:00Z', 100, { mediaId: 9000552 });
      await bucket(u.id, '2025-06-03T12:00:00Z', 400, { mediaType: 'tv', mediaId: 9001400, season: 2, episode: 3 });
      await bucket(u.id, '2025-06-20T12:00:00Z', 99_999, { mediaId: 9000553 }); // outside the window

      await history(u.id, { ...got, season: 1, episode: 1, title: 'Winter Is Coming', firstWatchedAt: '2025-06-01T10:00:00Z', lastWatchedAt: '2025-06-01T10:50:00Z' });
      await history(u.id, { ...got, season: 1, episode: 2, title: 'The Kingsroad', firstWatchedAt: '2025-06-02T10:00:00Z', lastWatchedAt: '2025-06-02T10:50:00Z' });
      await history(u.id, { mediaId: 9000550, title: 'Inception', firstWatchedAt: '2025-06-01T10:00:00Z', lastWatchedAt: '2025-06-01T10:40:00Z' });
      await history(u.id, { mediaId: 9000551, title: 'what the player called it', firstWatchedAt: '2025-06-01T11:00:00Z', lastWatchedAt: '2025-06-02T11:30:00Z' });
      await history(u.id, { mediaType: 'tv', mediaId: 9001400, season: 2, episode: 3, title: 'an episode', firstWatchedAt: '2025-06-03T12:00:00Z', lastWatchedAt: '2025-06-03T12:10:00Z' });
      // 552 is in nobody's history of this user: its title is the one another viewer's heartbeats carried (the title rule).
      await history('someone-else', { mediaId: 9000552, title: 'heard from another viewer', firstWatchedAt: '2025-06-03T11:00:00Z', lastWatchedAt: '2025-06-03T11:10:00Z' });
      await catalogEntries(t, [
        { mediaType: 'movie', mediaId: 9000551, title: 'Fight Club' },
        { mediaType: 'tv', mediaId: 9001400, title: 'Breaking Bad' },
      ]);

      const body = await u.stats({ from: '2025-06-01', to: '2025-06-03' });
      expect(body.topTitles).toEqual([
        { mediaType: 'movie', mediaId: 9000551, title: 'Fight Club', seconds: 3000 },
        { mediaType: 'tv', mediaId: 9001399, title: 'The Kingsroad', seconds: 2500 },
        { mediaType: 'movie', mediaId: 9000550, title: 'Inception', seconds: 2000 },
        { mediaType: 'tv', mediaId: 9001400, title: 'Breaking Bad', seconds: 400 },
        { mediaType: 'movie', mediaId: 9000552, title: 'heard from another viewer', seconds: 100 },
      ]);
    });

    it('lists at most 10 titles, the most watched', async () => {
      const u = await newUser();
      for (let i = 1; i <= 12; i++) await bucket(u.id, '2025-06-01T10:00:00Z', i * 10, { mediaId: 9001000 + i });
      const body = await u.stats({ from: '2025-06-01', to: '2025-06-01' });
      expect(body.topTitles.map((x: { mediaId: number }) => x.mediaId)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3].map((i) => 9001000 + i));
      expect(body.topTitles.map((x: { seconds: number }) => x.seconds)).toEqual([120, 110, 100, 90, 80, 70, 60, 50, 40, 30]);
      expect(body.totalSeconds).toBe(780);
    });
  });

  describe('itemsStarted and itemsFinished', () => {
    it('counts items first watched in the window, and finished items last watched in it', async () => {
      const u = await newUser();
      const row = (mediaId: number, firstWatchedAt: string, lastWatchedAt: string, finished: boolean) =>
        history(u.id, { mediaId, finished, firstWatchedAt, lastWatchedAt });
      await row(1, '2025-06-01T10:00:00Z', '2025-06-02T10:00:00Z', true); // started + finished
      await row(2, '2025-05-20T10:00:00Z', '2025-06-02T10:00:00Z', true); // finished
      await row(3, '2025-06-02T10:00:00Z', '2025-06-05T10:00:00Z', true); // started (finished later)
      await row(4, '2025-06-02T10:00:00Z', '2025-06-02T11:00:00Z', false); // started
      await row(5, '2025-05-01T10:00:00Z', '2025-05-02T10:00:00Z', true); // neither
      await row(6, '2025-05-01T10:00:00Z', '2025-06-02T10:00:00Z', false); // neither: watched, not finished
      // Episodes are items of their own.
      await history(u.id, { mediaType: 'tv', mediaId: 9001399, season: 1, episode: 1, finished: true, firstWatchedAt: '2025-06-03T22:00:00Z', lastWatchedAt: '2025-06-03T23:30:00Z' });
      await history(u.id, { mediaType: 'tv', mediaId: 9001399, season: 1, episode: 2, firstWatchedAt: '2025-06-03T23:40:00Z', lastWatchedAt: '2025-06-03T23:50:00Z' });

      const utc = await u.stats({ from: '2025-06-01', to: '2025-06-03' });
      expect({ started: utc.itemsStarted, finished: utc.itemsFinished }).toEqual({ started: 5, finished: 3 });

      // In Tokyo the two episodes were watched on 2025-06-04, outside the window.
      const tokyo = await u.stats({ from: '2025-06-01', to: '2025-06-03', tz: 'Asia/Tokyo' });
      expect({ started: tokyo.itemsStarted, finished: tokyo.itemsFinished }).toEqual({ started: 3, finished: 2 });
    });
  });

  describe('through real heartbeats', () => {
    it('reports watch time in the hour it was played, per show and per movie, right after the heartbeats', async () => {
      const u = await newUser();
      // occurredAt must be within the last 30 days: three days ago, 20:00 UTC.
      const day = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
      const at = (hhmm: string) => `${day}T${hhmm}:00.000Z`;
      const movie = randomUUID();
      const ep1 = randomUUID();
      const ep2 = randomUUID();
      const heartbeats = [
        movieHeartbeat({ mediaId: 9000550, sessionId: movie, playedSeconds: 0, occurredAt: at('20:00') }),
        movieHeartbeat({ mediaId: 9000550, sessionId: movie, playedSeconds: 600, currentTime: 700, occurredAt: at('20:10') }),
        episodeHeartbeat({ mediaId: 9001399, sessionId: ep1, playedSeconds: 0, occurredAt: at('20:20') }),
        episodeHeartbeat({ mediaId: 9001399, sessionId: ep1, playedSeconds: 300, currentTime: 3500, occurredAt: at('20:25') }),
        episodeHeartbeat({ mediaId: 9001399, sessionId: ep2, episodeNumber: 2, title: 'The Kingsroad', playedSeconds: 0, occurredAt: at('20:30') }),
        episodeHeartbeat({ mediaId: 9001399, sessionId: ep2, episodeNumber: 2, title: 'The Kingsroad', playedSeconds: 240, currentTime: 240, occurredAt: at('20:34') }),
      ];
      await t.http().post('/v1/playtime/batch').set('Authorization', `Bearer ${u.token}`).send({ heartbeats }).expect(202);
      // no explicit flush: a user's stats include their own heartbeats still held in memory
      expect(t.batcher.pendingCount).toBeGreaterThan(0);

      const body = await u.stats({ from: day, to: day });
      expect(body.totalSeconds).toBe(1140);
      expect(body.byMediaType).toEqual({ movie: 600, tv: 540 });
      expect(body.daily).toEqual([{ date: day, seconds: 1140 }]);
      expect(body.itemsStarted).toBe(3);
      expect(body.itemsFinished).toBe(1); // episode 1 is at 3500 / 3600 s
      expect(body.topTitles).toEqual([
        { mediaType: 'movie', mediaId: 9000550, title: 'Inception', seconds: 600 },
        { mediaType: 'tv', mediaId: 9001399, title: 'The Kingsroad', seconds: 540 },
      ]);

      // 20:00 UTC is already the next day in Tokyo.
      const tokyo = await u.stats({ from: day, to: day, tz: 'Asia/Tokyo' });
      expect(tokyo.totalSeconds).toBe(0);
      expect(tokyo.itemsStarted).toBe(0);
    });
  });

  describe('access', () => {
    it('answers 401 without a token or with a bad one', async () => {
      const noToken = await t.http().get('/v1/stats/me');
      expect(noToken.status).toBe(401);
      const bad = await t.http().get('/v1/stats/me').set('Authorization', 'Bearer not-a-jwt');
      expect(bad.status).toBe(401);
    });

    it("never shows another user's data, whatever the query says", async () => {
      const me = await newUser();
      const other = await newUser();
      await bucket(me.id, '2025-06-01T10:00:00Z', 100, { mediaId: 9000650 });
      await bucket(other.id, '2025-06-01T10:00:00Z', 5000, { mediaId: 9000650 });
      await bucket(other.id, '2025-06-01T11:00:00Z', 7000, { mediaType: 'tv', mediaId: 9001399, season: 1, episode: 1 });
      await history(me.id, { mediaId: 9000650, title: 'mine', firstWatchedAt: '2025-06-01T10:00:00Z', lastWatchedAt: '2025-06-01T10:05:00Z' });
      await history(other.id, { mediaId: 9000650, title: 'theirs', finished: true, firstWatchedAt: '2025-06-01T09:00:00Z', lastWatchedAt: '2025-06-01T11:00:00Z' });
      await history(other.id, { mediaId: 9000777, firstWatchedAt: '2025-06-01T09:00:00Z', lastWatchedAt: '2025-06-01T11:00:00Z' });

      const queries: Record<string, string>[] = [{}, { userId: other.id }, { user: other.id, sub: other.id }];
      for (const query of queries) {
        const body = await me.stats({ from: '2025-06-01', to: '2025-06-01', ...query });
        expect(body).toMatchObject({
          totalSeconds: 100,
          byMediaType: { movie: 100, tv: 0 },
          itemsStarted: 1,
          itemsFinished: 0,
          daily: [{ date: '2025-06-01', seconds: 100 }],
          // A title names the item, the same for every viewer and in reports (SPEC §6): the most
          // recent one heard for it, here the other viewer's. Their figures never show.
          topTitles: [{ mediaType: 'movie', mediaId: 9000650, title: 'theirs', seconds: 100 }],
        });
      }
      const theirs = await other.stats({ from: '2025-06-01', to: '2025-06-01' });
      expect(theirs.totalSeconds).toBe(12000);
      expect(theirs.itemsStarted).toBe(2);
    });
  });

  describe('validation', () => {
    const cases: [string, Record<string, string>, string][] = [
      ['an unknown zone', { tz: 'Mars/Olympus_Mons' }, 'tz'],
      ['a UTC offset instead of a zone (PostgreSQL would read +05:00 as five hours west)', { tz: '+05:00' }, 'tz'],
      ['an empty zone', { tz: '' }, 'tz'],
      ['from after to', { from: '2025-06-02', to: '2025-06-01' }, 'from'],
      ['a from in the future with to defaulting to today', { from: '2999-01-01' }, 'from'],
      ['a badly formatted date', { from: '2025-6-1', to: '2025-06-30' }, 'from'],
      ['a date with a time', { from: '2025-06-01T00:00:00Z' }, 'from'],
      ['an impossible date', { from: '2025-02-01', to: '2025-02-30' }, 'to'],
      ['a month 13', { from: '2025-13-01' }, 'from'],
      ['Feb 29 of a common year', { to: '2025-02-29' }, 'to'],
      ['a window of 367 days', { from: '2024-01-01', to: '2025-01-01' }, 'to'],
      ['year 0 (PostgreSQL has none)', { from: '0000-01-01' }, 'from'],
      ['year 0 as the last day', { from: '2025-01-01', to: '0000-01-01' }, 'to'],
      ['Feb 30', { from: '2020-02-01', to: '2020-02-30' }, 'to'],
      ['a day before 1970', { from: '1969-12-31', to: '1970-01-01' }, 'from'],
      ['a from more than 366 days ago with to defaulting to today', { from: '2000-01-01' }, 'from'],
    ];

    it.each(cases)('answers 400 naming the field for %s', async (_name, query, field) => {
      const u = await newUser();
      const res = await t.http().get('/v1/stats/me').query(query).set('Authorization', `Bearer ${u.token}`);
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
      expect(res.body.message).toEqual([expect.stringMatching(new RegExp(`^${field}: `))]);
    });

    it('answers 400 for a repeated parameter', async () => {
      const u = await newUser();
      const res = await t.http().get('/v1/stats/me?tz=UTC&tz=Asia/Tokyo').set('Authorization', `Bearer ${u.token}`);
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe('tz');
    });
  });

  it('is documented in the OpenAPI document with its query, response and errors', async () => {
    const res = await t.http().get('/docs-json').expect(200);
    const op = res.body.paths['/v1/stats/me'].get;
    expect(op.tags).toEqual(['stats']);
    expect(op.security).toEqual([{ jwt: [] }]);
    expect(op.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`).sort()).toEqual(['query:from', 'query:to', 'query:tz']);
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401']);
    expect(op.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/UserStats' });
    expect(Object.keys(res.body.components.schemas.UserStats.properties)).toEqual([
      'totalSeconds', 'totalHours', 'itemsStarted', 'itemsFinished', 'byMediaType', 'daily', 'topTitles', 'byHourOfDay', 'byWeekday',
    ]);
    expect(op.description).toMatch(/local day/);
  });
});
