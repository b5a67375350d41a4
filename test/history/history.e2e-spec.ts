import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Heartbeat } from '../../src/playtime/heartbeat.js';
import { createTestApp, episodeHeartbeat, movieHeartbeat, type TestApp } from '../utils/create-app.js';
import { send } from '../utils/playback.js';
import { hb as heartbeat } from '../utils/heartbeat.js';
import { catalogEntries } from '../factories/catalog.factory.js';

const hb = (over: Partial<Heartbeat> = {}): Heartbeat => heartbeat({ currentTime: 500, ...over });

const ep = (mediaId: number, seasonNumber: number, episodeNumber: number, currentTime: number) =>
  hb({ mediaType: 'tv', mediaId, seasonNumber, episodeNumber, currentTime, totalDuration: 1000 });

describe('history routes', () => {
  let t: TestApp;
  let n = 0;
  let user: string;
  let token: string;
  const auth = () => ({ Authorization: `Bearer ${token}` });

  beforeAll(async () => {
    t = await createTestApp();
    // a small catalogue: show 900 has seasons 1 (2 episodes) and 2 (1 episode); movie 77 is known
    await catalogEntries(t, [
      {
        mediaType: 'tv', mediaId: 900, title: 'Catalogue Show',
        seasons: [
          { seasonNumber: 0, episodes: [{ episodeNumber: 1, title: 'Special', runtimeSeconds: 600 }] },
          { seasonNumber: 1, episodes: [{ episodeNumber: 1, title: 'Pilot', runtimeSeconds: 1500 }, { episodeNumber: 2, title: 'Second', runtimeSeconds: 1600 }] },
          { seasonNumber: 2, episodes: [{ episodeNumber: 1, title: 'Return', runtimeSeconds: 1700 }] },
        ],
      },
      { mediaType: 'movie', mediaId: 77, title: 'Catalogue Movie', runtimeSeconds: 5400 },
    ]);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    user = `hist-${++n}`;
    token = await t.token(user);
  });

  /** Accepts heartbeats one second apart (receipt time), so lastWatchedAt orders them. */
  async function watch(...beats: Heartbeat[]) {
    for (const b of beats) {
      t.clock.advance(1000);
      await t.batcher.accept(user, [b]);
    }
  }

  describe('GET /v1/history', () => {
    it('visits every item exactly once across pages, newest first', async () => {
      const total = 57;
      await watch(...Array.from({ length: total }, (_, i) => hb({ mediaId: 1000 + i })));
      await t.batcher.flush();
      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: { body: { items: { mediaId: number }[]; nextCursor: string | null } } = await t.http().get('/v1/history').query({ limit: 10, ...(cursor ? { cursor } : {}) }).set(auth()).expect(200);
        seen.push(...res.body.items.map((i: { mediaId: number }) => i.mediaId));
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(6);
      expect(seen).toEqual(Array.from({ length: total }, (_, i) => 1000 + total - 1 - i));
    });

    it('filters by mediaType and finished, and includes unflushed heartbeats on the first page', async () => {
      await watch(hb({ mediaId: 1, currentTime: 950 }), ep(5, 1, 1, 100), hb({ mediaId: 2, currentTime: 100 }));
      await t.batcher.flush();
      await watch(hb({ mediaId: 3, currentTime: 10 })); // not flushed
      const all = await t.http().get('/v1/history').set(auth()).expect(200);
      expect(all.body.items.map((i: { mediaId: number }) => i.mediaId)).toEqual([3, 2, 5, 1]);
      expect(all.body.nextCursor).toBeNull();
      const tv = await t.http().get('/v1/history?mediaType=tv').set(auth()).expect(200);
      expect(tv.body.items.map((i: { mediaId: number }) => i.mediaId)).toEqual([5]);
      const finished = await t.http().get('/v1/history?finished=true').set(auth()).expect(200);
      expect(finished.body.items.map((i: { mediaId: number }) => i.mediaId)).toEqual([1]);
      const open = await t.http().get('/v1/history?finished=false&mediaType=movie').set(auth()).expect(200);
      expect(open.body.items.map((i: { mediaId: number }) => i.mediaId)).toEqual([3, 2]);
    });

    it('rejects bad parameters with a 400 naming them', async () => {
      for (const [query, field] of [['limit=101', 'limit'], ['limit=0', 'limit'], ['cursor=abc', 'cursor'], ['mediaType=book', 'mediaType'], ['finished=yes', 'finished']]) {
        const res = await t.http().get(`/v1/history?${query}`).set(auth()).expect(400);
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
    });
  });

  describe('GET /v1/history/continue-watching', () => {
    it('applies the thresholds, one entry per show, newest first, with next-episode across a season boundary', async () => {
      await watch(
        hb({ mediaId: 10, currentTime: 30 }), // 3%: too early
        hb({ mediaId: 11, currentTime: 500 }), // 50%: resume
        hb({ mediaId: 12, currentTime: 950 }), // 95%: finished
        ep(800, 1, 1, 1000), // show 800 (not in the catalogue): finished, no next known
        ep(900, 1, 1, 990), // show 900: S1E1 finished...
        ep(900, 1, 2, 400), // ...then S1E2 at 40%: this is the show's entry
        ep(901, 1, 1, 500), // show 901 at 50%
        ep(901, 1, 2, 20), // ...but its most recent episode is at 2%: the show is left out
      );
      await t.batcher.flush();
      let res = await t.http().get('/v1/history/continue-watching').set(auth()).expect(200);
      expect(res.body.items.map((i: { mediaId: number; episodeNumber: number | null; reason: string }) => [i.mediaId, i.episodeNumber, i.reason])).toEqual([
        [900, 2, 'resume'],
        [11, null, 'resume'],
      ]);
      expect(res.body.items[0].title).toBe('Catalogue Show');

      // finishing S1E2 (the season's last) puts S2E1 up next; specials (season 0) are skipped
      await watch(ep(900, 1, 2, 1000));
      res = await t.http().get('/v1/history/continue-watching').set(auth()).expect(200); // before the flush
      expect(res.body.items[0]).toMatchObject({
        mediaType: 'tv', mediaId: 900, seasonNumber: 2, episodeNumber: 1, reason: 'next-episode',
        progress: 0, resumeAt: 0, totalDuration: 1700, title: 'Catalogue Show', finished: false,
      });
      await t.batcher.flush();
      const after = await t.http().get('/v1/history/continue-watching').set(auth()).expect(200);
      expect(after.body).toEqual(res.body);

      // the last episode of the series: nothing comes next
      await watch(ep(900, 2, 1, 1000));
      res = await t.http().get('/v1/history/continue-watching?limit=1').set(auth()).expect(200);
      expect(res.body.items.map((i: { mediaId: number }) => i.mediaId)).toEqual([11]);
      await t.batcher.flush(); // stored, the next episode comes with the item: still none
      res = await t.http().get('/v1/history/continue-watching').set(auth()).expect(200);
      expect(res.body.items.map((i: { mediaId: number }) => i.mediaId)).toEqual([11]);
    });

    it('finds entries beyond the first chunk of finished items', async () => {
      await watch(hb({ mediaId: 20, currentTime: 400 }));
      await watch(...Array.from({ length: 120 }, (_, i) => hb({ mediaId: 3000 + i, currentTime: 1000 })));
      await t.batcher.flush();
      const res = await t.http().get('/v1/history/continue-watching').set(auth()).expect(200);
      expect(res.body.items.map((i: { mediaId: number }) => i.mediaId)).toEqual([20]);
    });
  });

  describe('watched / unwatched', () => {
    it('marks an item finished and unwatched again, and creates it from the catalogue when never played', async () => {
      await watch(hb({ mediaId: 30, currentTime: 400 }));
      let res = await t.http().put('/v1/history/movie/30/watched').set(auth()).expect(200);
      expect(res.body).toMatchObject({ finished: true, progress: 100, currentTime: 1000, resumeAt: 0 });
      res = await t.http().delete('/v1/history/movie/30/watched').set(auth()).expect(200);
      expect(res.body).toMatchObject({ finished: false, progress: 0, currentTime: 0, resumeAt: 0 });
      await t.batcher.flush(); // an older pending heartbeat must not undo the mark
      res = await t.http().get('/v1/history/movie/30').set(auth()).expect(200);
      expect(res.body).toMatchObject({ finished: false, currentTime: 0 });

      res = await t.http().put('/v1/history/movie/77/watched').set(auth()).expect(200);
      expect(res.body).toMatchObject({ title: 'Catalogue Movie', totalDuration: 5400, finished: true });
      res = await t.http().put('/v1/history/tv/900/watched?seasonNumber=1&episodeNumber=2').set(auth()).expect(200);
      expect(res.body).toMatchObject({ totalDuration: 1600, finished: true });
      await t.http().put('/v1/history/movie/31/watched').set(auth()).expect(404);
      await t.http().delete('/v1/history/movie/31/watched').set(auth()).expect(404);
      const bad = await t.http().put('/v1/history/tv/900/watched').set(auth()).expect(400);
      expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['seasonNumber', 'episodeNumber']);
    });
  });

  describe('delete', () => {
    it('deletes one item, a whole show, or everything including statistics', async () => {
      await watch(hb({ mediaId: 40 }), hb({ mediaId: 41 }), ep(42, 1, 1, 100), ep(42, 1, 2, 100), ep(42, 2, 1, 100), ep(43, 1, 1, 100));
      await t.batcher.flush();
      await t.http().delete('/v1/history/movie/40').set(auth()).expect(204);
      await t.http().get('/v1/history/movie/40').set(auth()).expect(404);
      await t.http().delete('/v1/history/tv/42?seasonNumber=1&episodeNumber=2').set(auth()).expect(204);
      await t.http().get('/v1/history/tv/42?seasonNumber=1&episodeNumber=1').set(auth()).expect(200);
      await t.http().delete('/v1/history/tv/42').set(auth()).expect(204);
      await t.http().get('/v1/history/tv/42?seasonNumber=2&episodeNumber=1').set(auth()).expect(404);
      let list = await t.http().get('/v1/history').set(auth()).expect(200);
      expect(list.body.items.map((i: { mediaId: number }) => i.mediaId)).toEqual([43, 41]);
      await t.http().delete('/v1/history/movie/40').set(auth()).expect(404);

      await t.http().delete('/v1/history').set(auth()).expect(204);
      list = await t.http().get('/v1/history').set(auth()).expect(200);
      expect(list.body.items).toEqual([]);
      const left = await t.db.query(
        `SELECT (SELECT count(*) FROM watch_history WHERE user_id = $1)::int AS h, (SELECT count(*) FROM watch_buckets WHERE user_id = $1)::int AS b`,
        [user],
      );
      expect(left.rows[0]).toEqual({ h: 0, b: 0 });
    });

    it('wins over heartbeats still pending: they never bring the item back; later ones start anew', async () => {
      const sessionId = randomUUID();
      await watch(hb({ mediaId: 50, sessionId, playedSeconds: 0 }));
      t.clock.advance(60_000);
      await watch(hb({ mediaId: 50, sessionId, playedSeconds: 60 }));
      await t.http().delete('/v1/history/movie/50').set(auth()).expect(204);
      await t.batcher.flush();
      await t.http().get('/v1/history/movie/50').set(auth()).expect(404);
      // the same session goes on after the delete: only the time after it counts
      t.clock.advance(30_000);
      await watch(hb({ mediaId: 50, sessionId, playedSeconds: 90 }));
      await t.batcher.flush();
      const res = await t.http().get('/v1/history/movie/50').set(auth()).expect(200);
      expect(res.body.totalPlayedSeconds).toBe(30);
    });

    it('wins over a flush under way on another instance: the delete waits for it, then removes what it wrote', async () => {
      const other = await createTestApp({}, { databaseUrl: t.databaseUrl });
      const sessionId = randomUUID();
      try {
        await other.batcher.accept(user, [hb({ mediaId: 51, sessionId, playedSeconds: 5 })]);
        await other.batcher.flush();
        other.clock.set(t.clock.now());
        await other.batcher.accept(user, [hb({ mediaId: 51, sessionId, playedSeconds: 9 })]);
        // hold the session row so the other instance's flush blocks half-way, inside its transaction
        const blocker = new pg.Client({ connectionString: t.databaseUrl });
        await blocker.connect();
        await blocker.query('BEGIN');
        await blocker.query(`SELECT 1 FROM watch_sessions WHERE user_id = $1 FOR UPDATE`, [user]);
        const flushing = other.batcher.flush();
        await waitForLockWait(t, 1);
        t.clock.advance(1000);
        const deleting = t.http().delete('/v1/history/movie/51').set(auth()).then((r) => r.status);
        await waitForLockWait(t, 2); // the delete now waits for the flush's user lock
        await blocker.query('COMMIT');
        await blocker.end();
        await flushing;
        expect(await deleting).toBe(204);
        await t.http().get('/v1/history/movie/51').set(auth()).expect(404);
      } finally {
        await other.close();
      }
    });

    it('wins over heartbeats another instance received before the delete and flushes after it', async () => {
      const other = await createTestApp({}, { databaseUrl: t.databaseUrl });
      try {
        await other.batcher.accept(user, [hb({ mediaId: 52, playedSeconds: 40 })]);
        await watch(hb({ mediaId: 52, playedSeconds: 10 }));
        await t.batcher.flush();
        t.clock.advance(1000);
        other.clock.set(t.clock.now() - 500);
        await t.http().delete('/v1/history/movie/52').set(auth()).expect(204);
        await other.batcher.flush();
        await t.http().get('/v1/history/movie/52').set(auth()).expect(404);
      } finally {
        await other.close();
      }
    });
  });

  describe('export and isolation', () => {
    it('exports only your own data as a download', async () => {
      await send(t, token, movieHeartbeat({ mediaId: 60, playedSeconds: 12 }));
      await t.batcher.flush();
      await send(t, token, episodeHeartbeat({ mediaId: 61 })); // unflushed still exported
      const other = await t.token(`${user}-other`);
      await send(t, other, movieHeartbeat({ mediaId: 62 }));
      const res = await t.http().get('/v1/history/export').set(auth()).expect(200);
      expect(res.headers['content-disposition']).toMatch(/^attachment/);
      expect(res.body.userId).toBe(user);
      expect(res.body.history.map((i: { mediaId: number }) => i.mediaId).sort()).toEqual([60, 61]);
      expect(res.body.sessions).toHaveLength(1);
      expect(res.body.sessions[0]).toMatchObject({ mediaId: 60, maxPlayedSeconds: 12 });
      expect(res.body.hourlyStatistics).toHaveLength(1);
    });

    it('never shows or changes another user\'s items: 404, not 403', async () => {
      await watch(hb({ mediaId: 70, currentTime: 500 }));
      await t.batcher.flush();
      const intruder = { Authorization: `Bearer ${await t.token(`${user}-intruder`)}` };
      await t.http().get('/v1/history/movie/70').set(intruder).expect(404);
      await t.http().delete('/v1/history/movie/70/watched').set(intruder).expect(404);
      await t.http().delete('/v1/history/movie/70').set(intruder).expect(404);
      expect((await t.http().get('/v1/history').set(intruder).expect(200)).body.items).toEqual([]);
      expect((await t.http().get('/v1/history/continue-watching').set(intruder).expect(200)).body.items).toEqual([]);
      expect((await t.http().get('/v1/history/export').set(intruder).expect(200)).body.history).toEqual([]);
      await t.http().delete('/v1/history').set(intruder).expect(204);
      const mine = await t.http().get('/v1/history/movie/70').set(auth()).expect(200);
      expect(mine.body.currentTime).toBe(500);
    });
  });
});

/** Waits until `count` backends of the service wait on a lock. */
async function waitForLockWait(t: TestApp, count: number): Promise<void> {
  const end = Date.now() + 10_000;
  for (;;) {
    const { rows } = await t.db.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'playtime' AND wait_event_type = 'Lock'`,
    );
    if (rows[0].n >= count) return;
    if (Date.now() > end) throw new Error(`expected ${count} waiting queries, saw ${rows[0].n}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
