import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { SchedulerRegistry } from '@nestjs/schedule';
import { createTestApp, movieHeartbeat, type TestApp } from '../utils/create-app.js';
import type { TcpProxy } from '../utils/tcp-proxy.js';
import { createProxiedTestApp } from '../utils/proxied-app.js';
import { getItem, send } from '../utils/playback.js';
import { hb } from '../utils/heartbeat.js';


async function ingest(t: TestApp) {
  const admin = await t.token('ops', { admin: true });
  const res = await t.http().get('/v1/admin/ingest').set('Authorization', `Bearer ${admin}`).expect(200);
  return res.body as { statements: number; flushes: number; rowsWritten: number; pendingItems: number; flushFailures: number; heartbeatsAccepted: number };
}

async function storedTotal(t: TestApp, userId: string): Promise<number | undefined> {
  const { rows } = await t.db.query(`SELECT total_played_s FROM watch_history WHERE user_id = $1`, [userId]);
  return rows[0]?.total_played_s;
}

describe('PlaytimeBatcher', () => {
  describe('statements per flush', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ PLAYTIME_BATCH_SIZE: '20000' });
    });
    afterAll(() => t.close());

    it('sends the same number of statements for 10 and for 10,000 pending keys', async () => {
      const measure = async (keys: number) => {
        for (let i = 0; i < keys; i++) await t.batcher.accept(`u${i % 500}`, [hb({ mediaId: keys + i })]);
        const before = await ingest(t);
        expect(before.pendingItems).toBe(keys);
        await t.batcher.flush();
        const after = await ingest(t);
        expect(after.flushes - before.flushes).toBe(1);
        expect(after.pendingItems).toBe(0);
        return { statements: after.statements - before.statements, rows: after.rowsWritten - before.rowsWritten };
      };
      const small = await measure(10);
      const large = await measure(10_000);
      expect(small.statements).toBe(large.statements);
      expect(small.statements).toBe(6); // BEGIN, 4 statements, COMMIT
      expect(large.rows).toBe(3 * 10_000); // a session, a history row and a bucket per key
      const { rows } = await t.db.query('SELECT count(*)::int AS n FROM watch_history');
      expect(rows[0].n).toBe(10_010);
    });
  });

  describe('batch size', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ PLAYTIME_BATCH_SIZE: '50' });
    });
    afterAll(() => t.close());

    it('flushes as soon as PLAYTIME_BATCH_SIZE keys are pending, without the timer', async () => {
      for (let i = 0; i < 49; i++) await t.batcher.accept('bs-user', [hb({ mediaId: 100 + i })]);
      expect((await ingest(t)).flushes).toBe(0);
      const flushed = once(t.batcher.scheduler, 'flushEnd');
      await t.batcher.accept('bs-user', [hb({ mediaId: 149 })]);
      expect(t.batcher.flushInProgress).toBe(true); // started by the accept itself
      expect(await flushed).toEqual([{ items: 50, putBack: 0 }]);
      const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM watch_history WHERE user_id = 'bs-user'`);
      expect(rows[0].n).toBe(50);
    });
  });

  describe('back-pressure', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ PLAYTIME_MAX_PENDING: '5', PLAYTIME_FLUSH_INTERVAL_MS: '7000' });
    });
    afterAll(() => t.close());

    it('answers 503 with Retry-After past PLAYTIME_MAX_PENDING and keeps nothing of the refused request', async () => {
      for (let i = 0; i < 5; i++) await t.batcher.accept(`mp-${i}`, [hb()]);
      const token = await t.token('refused-user');
      const res = await t.http().post('/v1/playtime').set('Authorization', `Bearer ${token}`).send(movieHeartbeat());
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('7');
      expect(res.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
      await t.batcher.flush();
      const { rows } = await t.db.query(`SELECT user_id FROM watch_history ORDER BY 1`);
      expect(rows.map((r) => r.user_id)).toEqual(['mp-0', 'mp-1', 'mp-2', 'mp-3', 'mp-4']);
      // once flushed, the same request is accepted
      await send(t, token, movieHeartbeat());
    });
  });

  describe('write-through (PLAYTIME_FLUSH_INTERVAL_MS=0)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ PLAYTIME_FLUSH_INTERVAL_MS: '0' });
    });
    afterAll(() => t.close());

    it('stores each heartbeat before answering', async () => {
      const token = await t.token('wt-user');
      await send(t, token, movieHeartbeat({ playedSeconds: 20 }));
      expect(t.batcher.pendingCount).toBe(0);
      const { rows } = await t.db.query(`SELECT total_played_s, current_time_s FROM watch_history WHERE user_id = 'wt-user'`);
      expect(rows).toEqual([{ total_played_s: 20, current_time_s: 100 }]);
      expect((await ingest(t)).flushes).toBe(1);
    });
  });

  describe('interval', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ PLAYTIME_FLUSH_INTERVAL_MS: '100' });
    });
    afterAll(() => t.close());

    it('flushes on the @nestjs/schedule interval', async () => {
      expect(t.app.get(SchedulerRegistry).getInterval('playtime-flush')).toBeDefined();
      const flushed = once(t.batcher.scheduler, 'flushEnd');
      await t.batcher.accept('tick-user', [hb()]);
      expect(t.batcher.flushInProgress).toBe(false); // no full batch: only the interval flushes it
      expect(await flushed).toEqual([{ items: 1, putBack: 0 }]);
      expect(await storedTotal(t, 'tick-user')).toBe(10);
      expect(t.batcher.pendingCount).toBe(0);
    });
  });

  describe('a database that refuses connections', () => {
    let t: TestApp;
    let proxy: TcpProxy;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ t, proxy, close } = await createProxiedTestApp({}));
      // The test runs the interval's work itself (`tick()`) and moves the back-off's clock.
      t.clock.manualTimers();
    });
    afterAll(() => close());

    it('keeps accepting for seconds of outage, reports not ready, and stores everything once it is back', async () => {
      const token = await t.token('outage-user');
      const sessionId = randomUUID();
      await send(t, token, movieHeartbeat({ sessionId, playedSeconds: 0, currentTime: 0 }));
      await t.batcher.flush();

      await proxy.refuse();
      for (let i = 1; i <= 5; i++) {
        t.clock.advance(10_000);
        await send(t, token, movieHeartbeat({ sessionId, playedSeconds: 10 * i, currentTime: 10 * i }));
      }
      // the interval's flush fails; the data stays pending and the next ticks back off
      await t.batcher.tick();
      const failed = await ingest(t);
      expect(failed.flushFailures).toBeGreaterThan(0);
      expect(failed.pendingItems).toBe(1);
      await t.http().get('/health/ready').expect(503);
      expect(t.batcher.backingOff).toBe(true);
      await t.batcher.tick();
      expect((await ingest(t)).flushFailures).toBe(failed.flushFailures);

      await proxy.accept();
      // Backing off still: the database is back, but nothing is tried before the back-off ends.
      await t.batcher.tick();
      expect(await storedTotal(t, 'outage-user')).toBe(0);
      // Each tick after a back-off tries again; connections broken by the outage may fail a few.
      for (let tick = 0; tick < 5 && (await storedTotal(t, 'outage-user')) !== 50; tick++) {
        t.clock.advance(30_000);
        await t.batcher.tick();
      }
      expect(await storedTotal(t, 'outage-user')).toBe(50);
      expect(t.batcher.pendingCount).toBe(0);
      await t.http().get('/health/ready').expect(200);
      expect((await getItem(t, token)).body).toMatchObject({ totalPlayedSeconds: 50, currentTime: 50 });
    });
  });

  describe('two instances flushing the same keys at once', () => {
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      a = await createTestApp();
      b = await createTestApp({}, { databaseUrl: a.databaseUrl });
    });
    afterAll(async () => {
      await b.close();
      await a.close();
    });

    it('gives exact totals, with brand-new sessions in both batches', async () => {
      const users = 40;
      const items = 5;
      const expected = new Map<string, number>();
      for (let round = 1; round <= 4; round++) {
        for (let u = 0; u < users; u++) {
          for (let m = 1; m <= items; m++) {
            // Same session ids on both instances: the later heartbeat carries a larger total.
            const sessionId = `00000000-0000-4000-8000-${String(u * 100 + m).padStart(12, '0')}`;
            const played = round * 10;
            const now = a.clock.now();
            await a.batcher.accept(`cu${u}`, [hb({ sessionId, mediaId: m, playedSeconds: played - 3, occurredAt: new Date(now - 600_000) })]);
            await b.batcher.accept(`cu${u}`, [hb({ sessionId, mediaId: m, playedSeconds: played, occurredAt: new Date(now - 600_000 + round * 20_000) })]);
            // and a session that only this round knows, different on each instance
            const extra = `ffffffff-0000-4000-8000-${String(round * 100000 + u * 100 + m).padStart(12, '0')}`;
            await (round % 2 ? a : b).batcher.accept(`cu${u}`, [hb({ sessionId: extra, mediaId: m, playedSeconds: 7 })]);
            expected.set(`cu${u}/${m}`, played + 7 * round);
          }
        }
        await Promise.all([a.batcher.flush(), b.batcher.flush()]);
      }
      const { rows } = await a.db.query(`SELECT user_id, media_id, total_played_s FROM watch_history WHERE user_id LIKE 'cu%'`);
      expect(rows).toHaveLength(users * items);
      const wrong = rows.filter((r) => expected.get(`${r.user_id}/${r.media_id}`) !== r.total_played_s);
      expect(wrong).toEqual([]);
    });
  });

  describe('drop', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    });
    afterAll(() => t.close());

    it('drops pending data of one item, one show or one user, and nothing else', async () => {
      await t.batcher.accept('d1', [hb({ mediaId: 1 }), hb({ mediaId: 2 })]);
      await t.batcher.accept('d1', [hb({ mediaType: 'tv', mediaId: 9, seasonNumber: 1, episodeNumber: 1 })]);
      await t.batcher.accept('d1', [hb({ mediaType: 'tv', mediaId: 9, seasonNumber: 1, episodeNumber: 2 })]);
      await t.batcher.accept('d2', [hb({ mediaId: 1 })]);
      expect(t.batcher.drop({ userId: 'd1', mediaType: 'movie', mediaId: 1 })).toBe(1);
      expect(t.batcher.drop({ userId: 'd1', mediaType: 'tv', mediaId: 9 })).toBe(2);
      expect(t.batcher.pendingCount).toBe(2);
      expect(t.batcher.drop({ userId: 'd2' })).toBe(1);
      await t.batcher.flush();
      const { rows } = await t.db.query(`SELECT user_id, media_id FROM watch_history ORDER BY 1, 2`);
      expect(rows).toEqual([{ user_id: 'd1', media_id: 2 }]);
    });
  });

  describe('draining', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    });
    afterAll(() => t.close());

    it('refuses writes with 503 and reports not ready once shutdown begins, after flushing all', async () => {
      const token = await t.token('drain-user');
      await send(t, token, movieHeartbeat({ playedSeconds: 30 }));
      await t.batcher.beforeApplicationShutdown();
      const { rows } = await t.db.query(`SELECT total_played_s FROM watch_history WHERE user_id = 'drain-user'`);
      expect(rows).toEqual([{ total_played_s: 30 }]);
      const res = await t.http().post('/v1/playtime').set('Authorization', `Bearer ${token}`).send(movieHeartbeat());
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      await t.http().get('/health/ready').expect(503);
      await t.http().get('/health/live').expect(200);
    });
  });
});
