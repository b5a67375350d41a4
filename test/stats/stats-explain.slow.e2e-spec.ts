import { DAILY_SECONDS_SQL, HOUR_WEEKDAY_SQL, ITEM_COUNTS_SQL, TOP_TITLES_SQL, USER_STATS_SQL } from '../../src/stats/stats.repository.js';
import { TOP_TITLES } from '../../src/stats/stats.service.js';
import { createTestApp, type TestApp } from '../utils/create-app.js';
import { yearOfBuckets } from '../factories/bulk-buckets.factory.js';

const USERS = 100_000;
const BUCKETS_PER_USER = 10;
const HISTORY_PER_USER = 3;

/**
 * The statistics queries at scale: ~1M hourly buckets of 100k users (plus one heavy viewer with a
 * bucket for every hour of a year), analysed, then each query is EXPLAINed with the parameters the
 * service would bind. Every read of watch_buckets and watch_history must go through the intended
 * index, with the window in the index condition: a sequential scan would read every user's rows.
 */
describe('stats query plans on a large table', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
    await yearOfBuckets(t, USERS, BUCKETS_PER_USER);
    // The heavy viewer: every hour of 2025, rotating over 300 titles.
    await t.db.query(
      `INSERT INTO watch_buckets (user_id, hour, media_type, media_id, season_number, episode_number, seconds)
       SELECT 'heavy', timestamptz '2025-01-01 00:00Z' + h * interval '1 hour',
              CASE WHEN h % 3 = 0 THEN 'movie' ELSE 'tv' END, 1 + h % 300,
              CASE WHEN h % 3 = 0 THEN NULL ELSE 1 END, CASE WHEN h % 3 = 0 THEN NULL ELSE 1 + h % 10 END,
              1800
       FROM generate_series(0, 8759) AS h`,
    );
    // History rows for the items of the first buckets of each user, watched around those hours.
    await t.db.query(
      `INSERT INTO watch_history (user_id, media_type, media_id, season_number, episode_number, title, current_time_s,
         total_duration_s, progress, finished, position_at, first_watched_at, last_watched_at)
       SELECT b.user_id, b.media_type, b.media_id, b.season_number, b.episode_number, 'Title ' || b.media_id,
              50, 100, 50, (b.media_id % 3 = 0), b.hour + interval '50 minutes',
              b.hour - interval '2 days', b.hour + interval '50 minutes'
       FROM (
         SELECT 'u' || u AS user_id, timestamptz '2025-01-01 00:00Z' + ((u * 7 + k * 877) % 8760) * interval '1 hour' AS hour,
                CASE WHEN k % 2 = 0 THEN 'movie' ELSE 'tv' END AS media_type, 1 + (u * 13 + k * 101) % 5000 AS media_id,
                CASE WHEN k % 2 = 0 THEN NULL ELSE 1 + k % 5 END AS season_number,
                CASE WHEN k % 2 = 0 THEN NULL ELSE 1 + k END AS episode_number
         FROM generate_series(1, $1::int) AS u, generate_series(0, $2::int - 1) AS k
       ) AS b
       UNION ALL
       -- The heavy viewer started one movie a day (ids apart from the bucket titles), every other one finished.
       SELECT 'heavy', 'movie', 100000 + i, NULL, NULL, 'Heavy ' || i, 50, 100, 50, i % 2 = 0,
              timestamptz '2025-01-01 12:00Z' + i * interval '1 day',
              timestamptz '2025-01-01 12:00Z' + i * interval '1 day', timestamptz '2025-01-01 12:00Z' + i * interval '1 day'
       FROM generate_series(0, 364) AS i
       ON CONFLICT DO NOTHING`,
      [USERS, HISTORY_PER_USER],
    );
    await t.db.query(
      `INSERT INTO catalog_items (media_type, media_id, title)
       SELECT CASE WHEN i % 2 = 0 THEN 'movie' ELSE 'tv' END, i, 'Catalogue ' || i FROM generate_series(1, 5000) AS i
       ON CONFLICT DO NOTHING`,
    );
    // What autovacuum would have done on a live table: statistics, and the visibility map.
    await t.db.query('VACUUM (ANALYZE) watch_buckets, watch_history, catalog_items');
  }, 180_000);

  afterAll(async () => {
    await t?.close();
  });

  interface PlanNode {
    'Node Type': string;
    'Relation Name'?: string;
    'Index Name'?: string;
    'Index Cond'?: string;
    Plans?: PlanNode[];
  }

  interface Scan {
    relation: string;
    type: string;
    indexes: string[];
    conds: string;
  }

  /** Every scan of a table, with the indexes it reads (a bitmap heap scan's come from its children). */
  function scans(node: PlanNode, out: Scan[] = []): Scan[] {
    if (node['Relation Name']) {
      const bitmapIndexes: PlanNode[] = [];
      const collect = (n: PlanNode) => {
        if (n['Node Type'] === 'Bitmap Index Scan') bitmapIndexes.push(n);
        n.Plans?.forEach(collect);
      };
      if (node['Node Type'] === 'Bitmap Heap Scan') node.Plans?.forEach(collect);
      const indexNodes = node['Index Name'] ? [node] : bitmapIndexes;
      out.push({
        relation: node['Relation Name'],
        type: node['Node Type'],
        indexes: indexNodes.map((n) => n['Index Name']!),
        conds: indexNodes.map((n) => n['Index Cond'] ?? '').join(' '),
      });
    }
    node.Plans?.forEach((child) => scans(child, out));
    return out;
  }

  async function explain(sql: string, params: unknown[]): Promise<Scan[]> {
    const { rows } = await t.db.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
    const plan = (rows[0]['QUERY PLAN'] as { Plan: PlanNode }[])[0].Plan;
    if (process.env.DEBUG_PLANS) console.log(JSON.stringify(plan, null, 1));
    return scans(plan);
  }

  const INDEXED = ['Index Scan', 'Index Only Scan', 'Bitmap Heap Scan'];

  /** The scans of `relation`: at least one, all through `allowed` indexes, with `cond` in the index condition. */
  function expectIndexed(all: Scan[], relation: string, allowed: string[], cond: RegExp[] = []) {
    const mine = all.filter((s) => s.relation === relation);
    expect(mine.length).toBeGreaterThan(0);
    for (const s of mine) {
      expect(INDEXED).toContain(s.type);
      expect(s.indexes.length).toBeGreaterThan(0);
      for (const index of s.indexes) expect(allowed).toContain(index);
    }
    for (const c of cond) expect(mine.some((s) => c.test(s.conds))).toBe(true);
    return mine;
  }

  function expectNoSeqScan(all: Scan[]) {
    const seq = all.filter((s) => s.type === 'Seq Scan' && ['watch_buckets', 'watch_history'].includes(s.relation));
    expect(seq).toEqual([]);
  }

  /** Name, parameters, and whether the window holds only part of the user's history. */
  const windows: [string, unknown[], boolean][] = [
    ['a typical user, one quarter in Paris', ['u42', '2025-03-01', '2025-05-31', 'Europe/Paris'], true],
    ['the heavy viewer, a whole year in New York', ['heavy', '2025-01-01', '2025-12-31', 'America/New_York'], false],
    ['a typical user, 30 days in Tokyo', ['u77777', '2025-06-01', '2025-06-30', 'Asia/Tokyo'], true],
  ];

  it('seeded a table big enough for the planner to care', async () => {
    const { rows } = await t.db.query(
      `SELECT (SELECT count(*) FROM watch_buckets)::int AS buckets, (SELECT count(*) FROM watch_history)::int AS history,
              (SELECT count(DISTINCT user_id) FROM watch_history)::int AS users`,
    );
    expect(rows[0].buckets).toBeGreaterThanOrEqual(USERS * BUCKETS_PER_USER);
    expect(rows[0].history).toBeGreaterThanOrEqual(USERS * HISTORY_PER_USER);
    expect(rows[0].users).toBe(USERS + 1);
  });

  describe.each(windows)('for %s', (_name, params, selective) => {
    it('reads the daily seconds from watch_buckets_key by user and hour range', async () => {
      const plan = await explain(DAILY_SECONDS_SQL, params);
      expectNoSeqScan(plan);
      expectIndexed(plan, 'watch_buckets', ['watch_buckets_key'], [/user_id = /, /hour >= /, /hour < /]);
    });

    it('reads the top titles from watch_buckets_key and their titles by one probe of watch_history_item_title', async () => {
      const plan = await explain(TOP_TITLES_SQL, [...params, TOP_TITLES]);
      expectNoSeqScan(plan);
      expectIndexed(plan, 'watch_buckets', ['watch_buckets_key'], [/user_id = /, /hour >= /, /hour < /]);
      // The title rule looks across viewers: by item, newest first, never by scanning the item's rows.
      expectIndexed(plan, 'watch_history', ['watch_history_item_title'], [/media_type = .*media_id = /]);
      expectIndexed(plan, 'catalog_items', ['catalog_items_pkey']);
    });

    it('reads hours and weekdays from watch_buckets_key by user and hour range', async () => {
      const plan = await explain(HOUR_WEEKDAY_SQL, params);
      expectNoSeqScan(plan);
      expectIndexed(plan, 'watch_buckets', ['watch_buckets_key'], [/user_id = /, /hour >= /, /hour < /]);
    });

    it('counts started items by (user_id, first_watched_at) and finished ones by (user_id, last_watched_at)', async () => {
      const plan = await explain(ITEM_COUNTS_SQL, params);
      expectNoSeqScan(plan);
      const history = expectIndexed(plan, 'watch_history', ['watch_history_user_started', 'watch_history_user_recent'], [
        /first_watched_at >= .*first_watched_at < /,
      ]);
      expect(history).toHaveLength(2);
      for (const scan of history) expect(scan.conds).toMatch(/user_id = /);
      if (selective) {
        expect(history.map((s) => s.indexes).sort()).toEqual([['watch_history_user_recent'], ['watch_history_user_started']]);
        expect(history.some((s) => /last_watched_at >= .*last_watched_at < /.test(s.conds))).toBe(true);
      }
      // When the window holds all of the user's history (the heavy viewer's year), reading the
      // user's rows from either index costs the same and the planner may pick either for finished.
    });

    it('keeps every part on its index in the one statement the service sends, planned with or without the values', async () => {
      // Sent as a named statement: PostgreSQL may keep one generic plan, where the window's bounds
      // are expressions of the parameters, not constants. Both plans must stay index range scans.
      const c = await t.db.connect(); // the statement and the setting live in one session
      await c.query(`PREPARE user_stats AS ${USER_STATS_SQL}`);
      try {
        for (const mode of ['force_custom_plan', 'force_generic_plan']) {
          await c.query(`SET plan_cache_mode = ${mode}`);
          const values = [...params, TOP_TITLES].map((v) => (typeof v === 'string' ? `'${v}'` : String(v))).join(', ');
          const { rows } = await c.query(`EXPLAIN (FORMAT JSON) EXECUTE user_stats(${values})`);
          const plan = scans((rows[0]['QUERY PLAN'] as { Plan: PlanNode }[])[0].Plan);
          expectNoSeqScan(plan);
          expectIndexed(plan, 'watch_buckets', ['watch_buckets_key'], [/user_id = /, /hour >= /, /hour < /]);
          const history = plan.filter((p) => p.relation === 'watch_history' && !p.indexes.includes('watch_history_item_title'));
          expect(history.map((h) => h.type).every((type) => INDEXED.includes(type))).toBe(true);
          expect(history.every((h) => /user_id = /.test(h.conds))).toBe(true);
        }
      } finally {
        await c.query('RESET plan_cache_mode');
        await c.query('DEALLOCATE user_stats');
        c.release();
      }
    });
  });

  it('answers the endpoint for the heavy viewer with the same totals as the table', async () => {
    const token = await t.token('heavy');
    const res = await t.http().get('/v1/stats/me').query({ from: '2025-01-01', to: '2025-12-31', tz: 'UTC' }).set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.body.totalSeconds).toBe(8760 * 1800);
    expect(res.body.daily).toHaveLength(365);
    expect(res.body.daily.every((d: { seconds: number }) => d.seconds === 24 * 1800)).toBe(true);
    expect(res.body.topTitles).toHaveLength(10);
    expect(res.body.itemsStarted).toBe(365);
    expect(res.body.itemsFinished).toBe(183);
  });
});
