import { CONCURRENCY } from '../../src/reporting/concurrency.repository.js';
import { NOW_PLAYING } from '../../src/reporting/now-playing.repository.js';
import { REPORT_PLATFORMS } from '../../src/reporting/reporting.repository.js';
import { createTestApp, type TestApp } from '../utils/create-app.js';

const SESSIONS = 1_000_000;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

const nodes = (n: PlanNode, out: PlanNode[] = []): PlanNode[] => {
  out.push(n);
  n.Plans?.forEach((c) => nodes(c, out));
  return out;
};

/**
 * The reads of now playing, the concurrency report and the platform report on 1M sessions spread
 * over 2025 (in start order, as a live table fills) with an hour row each, analysed, then
 * EXPLAINed with the parameters the service binds: watch_sessions is read through
 * watch_sessions_span with the window in the index condition (a B-tree on one end of the span
 * could bound only one side of a window in the middle of the year), watch_session_hours through
 * its hour index, never a sequential scan of either.
 */
describe('now playing, concurrency and platform plans on 1M sessions', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
    // One session every 31.5 s of 2025, 1 to 180 minutes long, 100k users, five platforms.
    await t.db.query(
      `INSERT INTO watch_sessions (user_id, session_id, media_type, media_id, max_played_s, credited_s, first_at, last_at,
                                   device, current_time_s, total_duration_s, last_event)
       SELECT 'u' || (g % 100000), gen_random_uuid(), 'movie', 1 + g % 5000, 60, 60, s, s + (1 + g % 180) * interval '1 minute',
              CASE WHEN g % 5 = 0 THEN NULL ELSE jsonb_build_object('platform', (ARRAY['web', 'ios', 'android', 'tizen'])[1 + g % 4]) END,
              100, 1000, 'progress'
       FROM generate_series(1, $1::int) AS g,
            LATERAL (SELECT timestamptz '2025-01-01 00:00Z' + g * interval '31.5 seconds' AS s) AS x`,
      [SESSIONS],
    );
    await t.db.query(
      `INSERT INTO watch_session_hours (session_id, hour, max_played_s, credited_s)
       SELECT id, date_trunc('hour', last_at, 'UTC'), 60, 60 FROM watch_sessions`,
    );
    await t.db.query('VACUUM (ANALYZE) watch_sessions, watch_session_hours');
  }, 600_000);
  afterAll(() => t?.close());

  async function plan(sql: string, params: unknown[]): Promise<PlanNode[]> {
    const { rows } = await t.db.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
    const root = (rows[0]['QUERY PLAN'] as { Plan: PlanNode }[])[0].Plan;
    if (process.env.DEBUG_PLANS) console.log(JSON.stringify(root, null, 1));
    return nodes(root);
  }

  /** Every read of `relation` goes through `index`, and at least one has `cond` in its index condition. */
  function expectIndexed(all: PlanNode[], relation: string, index: string, cond?: RegExp) {
    const seq = all.filter((n) => n['Node Type'] === 'Seq Scan' && ['watch_sessions', 'watch_session_hours'].includes(n['Relation Name']!));
    expect(seq).toEqual([]);
    const reads = all.filter((n) => n['Relation Name'] === relation);
    expect(reads.length).toBeGreaterThan(0);
    const indexNodes = all.filter((n) => n['Index Name'] === index);
    expect(indexNodes.length).toBeGreaterThan(0);
    if (cond) expect(indexNodes.some((n) => cond.test(n['Index Cond'] ?? ''))).toBe(true);
  }

  it('has the data', async () => {
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM watch_sessions`);
    expect(rows[0].n).toBe(SESSIONS);
  });

  it.each([
    ['June, hourly, UTC', ['2025-06-01', '2025-06-30', 'UTC', '1h']],
    ['June, daily, Asia/Kolkata', ['2025-06-01', '2025-06-30', 'Asia/Kolkata', '1d']],
    ['a week in March, every 5 minutes, New York', ['2025-03-03', '2025-03-09', 'America/New_York', '5m']],
  ])('reads a month of sessions for the concurrency report through watch_sessions_span (%s)', async (_name, params) => {
    const all = await plan(CONCURRENCY, params);
    expectIndexed(all, 'watch_sessions', 'watch_sessions_span', /&&/);
  });

  it('computes a month of hourly peaks', async () => {
    if (process.env.DEBUG_PLANS) {
      const { rows } = await t.db.query(`EXPLAIN (ANALYZE, BUFFERS) ${CONCURRENCY}`, ['2025-06-01', '2025-06-30', 'UTC', '1h']);
      console.log(rows.map((r) => r['QUERY PLAN']).join('\n'));
    }
    const { rows } = await t.db.query(CONCURRENCY, ['2025-06-01', '2025-06-30', 'UTC', '1h']);
    expect(rows).toHaveLength(30 * 24);
    // A session starts every 31.5 s and lasts 1–180 minutes (90.5 on average): about 172 play at once.
    for (const r of rows) {
      expect(r.peak_sessions).toBeGreaterThan(150);
      expect(r.peak_sessions).toBeLessThan(200);
      expect(r.peak_viewers).toBeLessThanOrEqual(r.peak_sessions);
    }
  });

  it('reads now playing through watch_sessions_span', async () => {
    const all = await plan(NOW_PLAYING, ['2025-12-31T12:00:00Z', 100]);
    expectIndexed(all, 'watch_sessions', 'watch_sessions_span', /&&/);
    const { rows } = await t.db.query(NOW_PLAYING, ['2025-12-31T12:00:00Z', 100]);
    expect(rows.length).toBe(100);
    expect(Number(rows[0].total)).toBeGreaterThan(100);
  });

  it('reads a day of platform time through watch_session_hours_hour, and sessions by their key', async () => {
    const all = await plan(REPORT_PLATFORMS, ['2025-06-15', '2025-06-15']);
    expectIndexed(all, 'watch_session_hours', 'watch_session_hours_hour', /hour >= /);
    for (const n of all.filter((x) => x['Relation Name'] === 'watch_sessions')) {
      expect(['watch_sessions_pkey', 'watch_sessions_span']).toContain(n['Index Name'] ?? nodes(n).find((c) => c['Index Name'])?.['Index Name']);
    }
    const { rows } = await t.db.query(REPORT_PLATFORMS, ['2025-06-15', '2025-06-15']);
    expect(rows.map((r) => r.platform).sort()).toEqual(['android', 'ios', 'tizen', 'unknown', 'web']);
  });
});
