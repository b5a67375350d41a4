import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Heartbeat } from '../../src/playtime/heartbeat.js';
import { newPendingItem, addHeartbeat } from '../../src/playtime/pending-item.js';
import { flushStatements } from '../../src/playtime/playtime.repository.js';
import { IngestRegistry } from '../../src/watch/ingest-registry.js';
import { createTestApp, type TestApp } from '../utils/create-app.js';
import { hb as heartbeat } from '../utils/heartbeat.js';
import { instanceReport } from '../factories/instance.factory.js';
import { tombstone } from '../factories/tombstone.factory.js';
import { closeAll, twoInstances } from '../utils/two-instances.js';
import { until } from '../utils/until.js';

const hb = (over: Partial<Heartbeat> = {}): Heartbeat => heartbeat({ currentTime: 500, totalDuration: 8000, ...over });

/**
 * "Delete wins" with two instances on one database: B holds heartbeats unflushed, the delete goes
 * to A. Receipt times come from each instance's clock, set by hand.
 *
 * The scenarios run twice: with pruning only when a test calls it, and with both instances
 * pruning every 20 ms. In the second run each delete is followed by a few pruning rounds before
 * the test goes on, and each test ends by letting pruning take every tombstone of its user: the
 * answers must not change, so pruning never lets deleted data come back.
 */
describe.each([
  { pruning: 'only when called', env: { TOMBSTONE_PRUNE_INTERVAL_MS: '0' } },
  { pruning: 'every 20 ms on both instances', env: { TOMBSTONE_PRUNE_INTERVAL_MS: '20' } },
])('delete wins across instances (pruning $pruning)', ({ env }) => {
  const pruning = env.TOMBSTONE_PRUNE_INTERVAL_MS !== '0';
  let a: TestApp;
  let b: TestApp;
  let n = 0;
  let user: string;
  const auth = async (t: TestApp) => ({ Authorization: `Bearer ${await t.token(user)}` });
  const tombstones = async () =>
    Number((await a.db.query(`SELECT count(*)::int AS n FROM history_tombstones WHERE user_id = $1`, [user])).rows[0].n);
  /** After a delete: with pruning on, several pruning rounds pass before the test goes on. */
  const settle = () => (pruning ? new Promise((r) => setTimeout(r, 100)) : Promise.resolve());
  /** What the user can read: the export (items, sessions, hourly statistics) and the items. */
  const readable = async () => {
    const { exportedAt, ...exported } = (await a.http().get('/v1/history/export').set(await auth(a)).expect(200)).body;
    expect(typeof exportedAt).toBe('string');
    return { exported, items: (await b.http().get('/v1/history').set(await auth(b)).expect(200)).body };
  };

  beforeAll(async () => {
    [a, b] = await twoInstances(env);
  });
  afterAll(() => closeAll(b, a));
  beforeEach(() => {
    user = `dw-${++n}`;
    b.clock.set(a.clock.now());
  });
  afterEach(async () => {
    if (!pruning) return;
    await Promise.all([a.batcher.flush(), b.batcher.flush()]);
    const before = await readable();
    // Both instances now hold nothing older than their next report: every tombstone may go.
    a.clock.advance(1000);
    b.clock.set(a.clock.now());
    await Promise.all([a.app.get(IngestRegistry).report(), b.app.get(IngestRegistry).report()]);
    await until('pruning to take this user\'s tombstones', async () => (await tombstones()) === 0, 10_000, 20);
    await Promise.all([a.batcher.flush(), b.batcher.flush()]);
    expect(await readable()).toEqual(before);
  });

  it('a session that goes on after the delete counts only what came after it, though B merged both parts', async () => {
    const sessionId = randomUUID();
    await b.batcher.accept(user, [hb({ sessionId, mediaId: 70, playedSeconds: 0 })]);
    b.clock.advance(1_800_000);
    await b.batcher.accept(user, [hb({ sessionId, mediaId: 70, playedSeconds: 1800 })]);
    a.clock.set(b.clock.now() + 5000);
    await a.http().delete('/v1/history/movie/70').set(await auth(a)).expect(404); // nothing stored yet, nothing pending on A
    await settle();
    expect(await tombstones()).toBe(1); // B may hold data received before the delete
    b.clock.set(a.clock.now() + 5000);
    await b.batcher.accept(user, [hb({ sessionId, mediaId: 70, playedSeconds: 1810 })]);

    // B's own read, before its flush, already shows what the flush will store
    const before = await b.http().get('/v1/history/movie/70').set(await auth(b)).expect(200);
    expect(before.body.totalPlayedSeconds).toBe(10);
    await b.batcher.flush();
    const after = await a.http().get('/v1/history/movie/70').set(await auth(a)).expect(200);
    expect(after.body.totalPlayedSeconds).toBe(10);
    const buckets = await a.db.query(`SELECT sum(seconds)::float8 AS s FROM watch_buckets WHERE user_id = $1`, [user]);
    expect(buckets.rows[0].s).toBe(10);

    // and the same session going on later still counts only new time
    b.clock.advance(20_000);
    await b.batcher.accept(user, [hb({ sessionId, mediaId: 70, playedSeconds: 1830 })]);
    await b.batcher.flush();
    expect((await a.http().get('/v1/history/movie/70').set(await auth(a)).expect(200)).body.totalPlayedSeconds).toBe(30);
  });

  it('a session entirely before the delete is erased even when a flush already stored part of it', async () => {
    const sessionId = randomUUID();
    await b.batcher.accept(user, [hb({ sessionId, mediaId: 71, playedSeconds: 0 })]);
    await b.batcher.flush();
    b.clock.advance(600_000);
    await b.batcher.accept(user, [hb({ sessionId, mediaId: 71, playedSeconds: 600 })]);
    a.clock.set(b.clock.now() + 1000);
    await a.http().delete('/v1/history/movie/71').set(await auth(a)).expect(204);
    await settle();
    await b.batcher.flush();
    await a.http().get('/v1/history/movie/71').set(await auth(a)).expect(404);
  });

  it('after DELETE /v1/history, data received before it and flushed later is not exported', async () => {
    const sessionId = randomUUID();
    await b.batcher.accept(user, [hb({ sessionId, mediaId: 72, playedSeconds: 0 }), hb({ mediaId: 73, mediaType: 'tv', seasonNumber: 1, episodeNumber: 2 })]);
    b.clock.advance(60_000);
    await b.batcher.accept(user, [hb({ sessionId, mediaId: 72, playedSeconds: 60 })]);
    a.clock.set(b.clock.now() + 1000);
    await a.http().delete('/v1/history').set(await auth(a)).expect(204);
    await settle();
    await b.batcher.flush();

    const exported = await a.http().get('/v1/history/export').set(await auth(a)).expect(200);
    expect(exported.body.history).toEqual([]);
    expect(exported.body.sessions).toEqual([]);
    expect(exported.body.hourlyStatistics).toEqual([]);
    // the rows that remain are only the baseline of sessions that may go on
    const kept = await a.db.query(`SELECT bool_and(erased) AS erased, count(*)::int AS n FROM watch_sessions WHERE user_id = $1`, [user]);
    expect(kept.rows[0]).toEqual({ erased: true, n: 2 });

    // the session goes on after the delete: it starts a new history with only the new time
    b.clock.set(a.clock.now() + 10_000);
    await b.batcher.accept(user, [hb({ sessionId, mediaId: 72, playedSeconds: 75 })]);
    await b.batcher.flush();
    const again = await a.http().get('/v1/history/export').set(await auth(a)).expect(200);
    expect(again.body.history.map((i: { mediaId: number; totalPlayedSeconds: number }) => [i.mediaId, i.totalPlayedSeconds])).toEqual([[72, 15]]);
    expect(again.body.sessions).toHaveLength(1);
  });

  it('a deleted item\'s sessions leave the export', async () => {
    await a.batcher.accept(user, [hb({ mediaId: 74, playedSeconds: 5 }), hb({ mediaId: 75, playedSeconds: 6 })]);
    await a.batcher.flush();
    await a.http().delete('/v1/history/movie/74').set(await auth(a)).expect(204);
    await settle();
    const exported = await a.http().get('/v1/history/export').set(await auth(a)).expect(200);
    expect(exported.body.sessions.map((s: { mediaId: number }) => s.mediaId)).toEqual([75]);
  });

  // Pruning itself, called by hand so each step can be checked (no pruning in the background).
  if (!pruning) {
    it('pruning keeps a tombstone while an instance may hold older data, and drops it once none can', async () => {
      const pruneA = () => a.app.get(IngestRegistry).prune();
      await b.batcher.accept(user, [hb({ mediaId: 76, playedSeconds: 40 })]);
      await b.app.get(IngestRegistry).report(); // B now reports the receipt time of what it holds
      a.clock.advance(1000);
      b.clock.set(a.clock.now());
      await a.http().delete('/v1/history/movie/76').set(await auth(a)).expect(404);
      expect(await tombstones()).toBe(1);

      // B has not flushed: its report holds the tombstone back, however often pruning runs
      await a.app.get(IngestRegistry).report();
      await pruneA();
      await pruneA();
      expect(await tombstones()).toBe(1);
      await b.batcher.flush();
      await a.http().get('/v1/history/movie/76').set(await auth(a)).expect(404);

      // B holds nothing older now; once it has said so, the tombstone can go and nothing comes back
      b.clock.advance(1000);
      a.clock.advance(1000);
      await b.app.get(IngestRegistry).report();
      await a.app.get(IngestRegistry).report();
      expect((await pruneA())?.tombstones).toBeGreaterThanOrEqual(1);
      expect(await tombstones()).toBe(0);
      await Promise.all([a.batcher.flush(), b.batcher.flush()]);
      await a.http().get('/v1/history/movie/76').set(await auth(a)).expect(404);
      await b.batcher.accept(user, [hb({ mediaId: 76, playedSeconds: 3 })]);
      await b.batcher.flush();
      expect((await a.http().get('/v1/history/movie/76').set(await auth(a)).expect(200)).body.totalPlayedSeconds).toBe(3);
    });

    it('an instance not heard from for INSTANCE_LEASE_MS no longer holds pruning back', async () => {
      const ghost = randomUUID();
      await instanceReport(a, ghost, new Date(a.clock.now() - 90_000_000));
      await tombstone(a, user, new Date(a.clock.now() - 3_600_000));
      await a.app.get(IngestRegistry).report();
      b.clock.set(a.clock.now());
      await b.app.get(IngestRegistry).report();
      const pruned = await a.app.get(IngestRegistry).prune();
      expect(pruned?.instances).toBe(1);
      expect(await tombstones()).toBe(0);
    });

    it('drops erased sessions once they are over (latest heartbeat more than 31 days old), and only those', async () => {
      const old = a.clock.now() - 32 * 86_400_000;
      await a.db.query(
        `INSERT INTO watch_sessions (user_id, session_id, media_type, media_id, first_at, last_at, erased)
         VALUES ($1, $2, 'movie', 1, $4, $4, true), ($1, $3, 'movie', 1, $4, $4, false), ($1, $5, 'movie', 1, $6, $6, true)`,
        [user, randomUUID(), randomUUID(), new Date(old), randomUUID(), new Date(a.clock.now() - 86_400_000)],
      );
      const pruned = await a.app.get(IngestRegistry).prune();
      expect(pruned?.sessions).toBe(1);
      const { rows } = await a.db.query(`SELECT erased FROM watch_sessions WHERE user_id = $1 ORDER BY erased`, [user]);
      expect(rows.map((r) => r.erased)).toEqual([false, true]);
    });
  }
});

describe('tombstones on a single instance', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it('a delete leaves no tombstone when no other instance can hold older data', async () => {
    const user = 'solo';
    const auth = { Authorization: `Bearer ${await t.token(user)}` };
    await t.batcher.accept(user, [hb({ mediaId: 80 })]);
    await t.batcher.flush();
    await t.http().delete('/v1/history/movie/81').set(auth).expect(404); // never watched
    await t.http().delete('/v1/history/movie/80').set(auth).expect(204);
    await t.http().delete('/v1/history').set(auth).expect(204);
    // This user's only: another test of the file stages thousands for its own user.
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM history_tombstones WHERE user_id = $1`, [user]);
    expect(rows[0].n).toBe(0);
  });

  it('checks tombstones with exact-key index probes, however many a user has', async () => {
    const user = 'many-tombstones';
    await t.db.query(
      `INSERT INTO history_tombstones (user_id, media_type, media_id, deleted_at)
       SELECT $1, 'movie', g, now() FROM generate_series(100000, 120000) AS g`,
      [user],
    );
    await t.db.query(
      `INSERT INTO history_tombstones (user_id, media_type, media_id, season_number, episode_number, deleted_at)
       SELECT $1, 'tv', 5, g, 1, now() FROM generate_series(1, 5000) AS g`,
      [user],
    );
    await t.db.query('ANALYZE history_tombstones');
    const now = t.clock.now();
    const items = [1, 2, 3].map((m) => newPendingItem(user, hb({ mediaId: m }), now));
    const ep = newPendingItem(user, hb({ mediaType: 'tv', mediaId: 5, seasonNumber: 9000, episodeNumber: 1 }), now);
    addHeartbeat(ep, hb({ mediaType: 'tv', mediaId: 5, seasonNumber: 9000, episodeNumber: 1, playedSeconds: 20 }), now + 1000);
    items.push(ep);

    const c = new pg.Client({ connectionString: t.databaseUrl });
    await c.connect();
    try {
      await c.query('BEGIN');
      const plan = flushStatements(items, { finishedPercent: 90, minPlaySeconds: 0, maxStreamsPerUser: 4 });
      for (const [sql, params] of plan.slice(0, -1)) await c.query(sql, params);
      const [sql, params] = plan[plan.length - 1];
      const { rows } = await c.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params);
      await c.query('ROLLBACK');
      const nodes = planNodes(rows[0]['QUERY PLAN'][0].Plan).filter((p) => p['Relation Name'] === 'history_tombstones');
      expect(nodes.length).toBeGreaterThanOrEqual(3);
      for (const node of nodes) {
        expect(['Index Scan', 'Index Only Scan']).toContain(node['Node Type']);
        // each probe reads at most the one row of its exact key: nothing read and thrown away
        expect(node['Actual Rows']).toBeLessThanOrEqual(1);
        expect(node['Rows Removed by Filter'] ?? 0).toBe(0);
        expect(node['Rows Removed by Index Recheck'] ?? 0).toBe(0);
      }
    } finally {
      await c.end();
    }
  });
});

type PlanNode = Record<string, unknown> & { Plans?: PlanNode[] };
function planNodes(p: PlanNode): PlanNode[] {
  return [p, ...(p.Plans ?? []).flatMap(planNodes)];
}
