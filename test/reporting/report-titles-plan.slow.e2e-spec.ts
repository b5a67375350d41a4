import { REPORT_TITLES } from '../../src/reporting/reporting.repository.js';
import { createTestApp, type TestApp } from '../utils/create-app.js';
import { yearOfBuckets } from '../factories/bulk-buckets.factory.js';

const USERS = 50_000;
const BUCKETS_PER_USER = 10;

/**
 * The per-title report over a whole year, on ~500k buckets and ~500k history rows: the title rule
 * runs once per reported item (not per day or per viewer) and finds each title with one probe of
 * watch_history_item_title, never by reading the item's history rows or the whole table.
 */
describe('watch-hours by title at scale', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
    await yearOfBuckets(t, USERS, BUCKETS_PER_USER);
    await t.db.query(
      `INSERT INTO watch_history (user_id, media_type, media_id, season_number, episode_number, title, current_time_s,
         total_duration_s, progress, finished, position_at, first_watched_at, last_watched_at)
       SELECT user_id, media_type, media_id, season_number, episode_number, 'Heard ' || media_id || ' from ' || user_id,
              50, 100, 50, false, hour, hour, hour
       FROM watch_buckets
       ON CONFLICT DO NOTHING`,
    );
    // Half the items are in the catalogue.
    await t.db.query(
      `INSERT INTO catalog_items (media_type, media_id, title)
       SELECT CASE WHEN i % 2 = 0 THEN 'movie' ELSE 'tv' END, i, 'Catalogue ' || i FROM generate_series(1, 5000) AS i`,
    );
    await t.db.query('VACUUM (ANALYZE) watch_buckets, watch_history, catalog_items');
  }, 180_000);
  afterAll(() => t?.close());

  interface PlanNode {
    'Node Type': string;
    'Relation Name'?: string;
    'Index Name'?: string;
    'Actual Loops'?: number;
    Plans?: PlanNode[];
  }
  const nodes = (n: PlanNode, out: PlanNode[] = []): PlanNode[] => {
    out.push(n);
    n.Plans?.forEach((c) => nodes(c, out));
    return out;
  };

  it('looks each title up once per item through watch_history_item_title', async () => {
    const { rows } = await t.db.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${REPORT_TITLES}`, ['2025-01-01', '2025-12-31']);
    const plan = (rows[0]['QUERY PLAN'] as { Plan: PlanNode; 'Execution Time': number }[])[0];
    if (process.env.DEBUG_PLANS) console.log(`REPORT_TITLES, a year: ${plan['Execution Time']} ms`);
    const history = nodes(plan.Plan).filter((n) => n['Relation Name'] === 'watch_history');
    expect(history.length).toBeGreaterThan(0);
    for (const n of history) {
      expect(n['Index Name']).toBe('watch_history_item_title');
      // One loop per reported item (at most the 10,000 movie and show keys), not per bucket or day.
      expect(n['Actual Loops']).toBeLessThanOrEqual(10_000);
    }
  });

  it('names every item by the rule: the catalogue, else the latest heard', async () => {
    const { rows } = await t.db.query(REPORT_TITLES, ['2025-01-01', '2025-12-31']);
    const expected = await t.db.query(
      `SELECT DISTINCT ON (media_type, media_id) media_type, media_id, title FROM watch_history
       ORDER BY media_type, media_id, last_watched_at DESC, id DESC`,
    );
    const heard = new Map(expected.rows.map((r) => [`${r.media_type}/${r.media_id}`, r.title]));
    expect(rows.length).toBeGreaterThan(1000);
    for (const r of rows) {
      const catalogued = (r.media_type === 'movie') === (r.media_id % 2 === 0);
      expect(r.title).toBe(catalogued ? `Catalogue ${r.media_id}` : heard.get(`${r.media_type}/${r.media_id}`));
    }
  });
});
