import { createTestApp, movieHeartbeat, type TestApp } from '../utils/create-app.js';
import { send } from '../utils/playback.js';
import { hb } from '../utils/heartbeat.js';

/**
 * SPEC §4 "Reads never wait for other users": a read or delete that must include the caller's
 * unflushed data stores that user's items only (or waits for the flush already holding them).
 */

async function storedUsers(t: TestApp): Promise<string[]> {
  const { rows } = await t.db.query<{ user_id: string }>('SELECT DISTINCT user_id FROM watch_history ORDER BY 1');
  return rows.map((r) => r.user_id);
}

describe('per-user flush', () => {
  describe('with other users pending', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    });
    afterAll(() => t.close());

    it('a stats read, a mark-watched and a delete store only the caller’s items', async () => {
      for (let u = 0; u < 300; u++) await t.batcher.accept(`other-${u}`, [hb({ mediaId: 1 + (u % 7) })]);
      const token = await t.token('reader');
      await send(t, token, movieHeartbeat({ mediaId: 550, playedSeconds: 30 }));
      await send(t, token, movieHeartbeat({ mediaId: 551, playedSeconds: 20 }));
      const before = t.batcher.counts();
      expect(before.pendingItems).toBe(302);

      const stats = await t.http().get('/v1/stats/me').set('Authorization', `Bearer ${token}`).expect(200);
      expect(stats.body.totalSeconds).toBe(50);
      const after = t.batcher.counts();
      expect(after.flushes - before.flushes).toBe(1);
      expect(after.pendingItems).toBe(300);
      expect(after.rowsWritten - before.rowsWritten).toBeLessThanOrEqual(6); // 2 sessions, 2 items, their buckets
      expect(await storedUsers(t)).toEqual(['reader']);

      const marker = await t.token('marker');
      await send(t, marker, movieHeartbeat({ mediaId: 600, playedSeconds: 5 }));
      await t.http().put('/v1/history/movie/600/watched').set('Authorization', `Bearer ${marker}`).expect(200);
      const deleter = await t.token('deleter');
      await send(t, deleter, movieHeartbeat({ mediaId: 700, playedSeconds: 5 }));
      await send(t, deleter, movieHeartbeat({ mediaId: 701, playedSeconds: 5 }));
      await t.http().delete('/v1/history/movie/700').set('Authorization', `Bearer ${deleter}`).expect(204);
      expect(t.batcher.counts().flushes - after.flushes).toBe(2);
      expect(t.batcher.counts().pendingItems).toBe(300);
      expect(await storedUsers(t)).toEqual(['deleter', 'marker', 'reader']);
      const { rows } = await t.db.query(`SELECT media_id FROM watch_history WHERE user_id = 'deleter'`);
      expect(rows).toEqual([{ media_id: 701 }]);
    });
  });

  describe('under concurrent accept() traffic and instance flushes', () => {
    let t: TestApp;
    beforeAll(async () => {
      // Small batches: full batches flush on their own while the readers flush theirs.
      t = await createTestApp({ PLAYTIME_BATCH_SIZE: '40' });
    });
    afterAll(() => t.close());

    it('every reader sees its own heartbeats and every total is exact once all is stored', async () => {
      const expected = new Map<string, number>();
      const traffic = (async () => {
        for (let round = 0; round < 20; round++) {
          await Promise.all(
            Array.from({ length: 30 }, (_, u) => {
              const user = `load-${u}`;
              expected.set(user, (expected.get(user) ?? 0) + 5);
              return t.batcher.accept(user, [hb({ mediaId: 1000 + round, playedSeconds: 5 })]);
            }),
          );
          await new Promise((r) => setImmediate(r));
        }
      })();
      const readers = Array.from({ length: 12 }, async (_, r) => {
        const token = await t.token(`reader-${r}`);
        let total = 0;
        for (let i = 0; i < 4; i++) {
          await send(t, token, movieHeartbeat({ mediaId: 2000 + i, playedSeconds: 7 }));
          total += 7;
          const res = await t.http().get('/v1/stats/me').set('Authorization', `Bearer ${token}`);
          expect(res.status).toBe(200);
          expect(res.body.totalSeconds).toBe(total);
        }
        return total;
      });
      const instanceFlushes = (async () => {
        for (let i = 0; i < 5; i++) {
          await t.batcher.flush();
          await new Promise((r) => setImmediate(r));
        }
      })();
      const totals = await Promise.all(readers);
      await Promise.all([traffic, instanceFlushes]);
      expect(totals.every((x) => x === 28)).toBe(true);

      await t.batcher.flush();
      expect(t.batcher.pendingCount).toBe(0);
      const { rows } = await t.db.query<{ user_id: string; total: number }>(
        `SELECT user_id, sum(total_played_s)::float8 AS total FROM watch_history GROUP BY user_id`,
      );
      const byUser = new Map(rows.map((r) => [r.user_id, r.total]));
      for (const [user, total] of expected) expect([user, byUser.get(user)]).toEqual([user, total]);
      for (let r = 0; r < 12; r++) expect(byUser.get(`reader-${r}`)).toBe(28);
    });
  });
});
