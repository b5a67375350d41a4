import pg from 'pg';
import { CONTINUE_FIRST_PAGE, ITEM_WITH_SETTINGS, LIST_PAGE, NEXT_EPISODES } from '../../src/history/history.repository.js';
import { createTestDatabase } from '../utils/test-database.js';

interface PlanNode {
  'Node Type': string;
  'Index Cond'?: string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

async function explain(client: pg.Client, sql: string, params: unknown[]): Promise<PlanNode[]> {
  const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
  return nodes(rows[0]['QUERY PLAN'][0].Plan);
}

/**
 * The reads behind history and continue-watching are index range scans, not scans of a user's
 * (or everyone's) history: checked with EXPLAIN on 1M rows: 100k light users and 100 heavy ones with 5,000 items each. Slow: run by CI.
 */
describe('history reads on 1M rows', () => {
  let client: pg.Client;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(`
      INSERT INTO watch_history (user_id, media_type, media_id, season_number, episode_number, title, current_time_s,
                                 total_duration_s, progress, finished, total_played_s, position_at, first_watched_at, last_watched_at, has_play)
      SELECT CASE WHEN g <= 500000 THEN 'heavy-' || (g % 100) ELSE 'user-' || (g % 100000) END, CASE WHEN g % 3 = 0 THEN 'tv' ELSE 'movie' END, 1 + g / 100,
             CASE WHEN g % 3 = 0 THEN 1 END, CASE WHEN g % 3 = 0 THEN 1 END, 'Title', 100, 1000, 10, g % 5 = 0, 100,
             now() - make_interval(secs => g), now() - make_interval(secs => g), now() - make_interval(secs => g), g % 7 <> 0
      FROM generate_series(1, 1000000) AS g`);
    // hide marks (items and shows) and per-user settings, as SPEC §7 users leave them
    await client.query(`
      INSERT INTO history_hidden (user_id, media_type, media_id, season_number, episode_number, hidden_at)
      SELECT user_id, media_type, media_id, CASE WHEN g % 2 = 0 THEN season_number END, CASE WHEN g % 2 = 0 THEN episode_number END, now()
      FROM (SELECT h.*, row_number() OVER () AS g FROM watch_history h WHERE h.id % 13 = 0) x
      ON CONFLICT DO NOTHING`);
    await client.query(`
      INSERT INTO user_settings (user_id, finished_percent, continue_watching_days)
      SELECT 'user-' || u, 80, 30 FROM generate_series(0, 99999, 3) u`);
    await client.query(`INSERT INTO catalog_episodes (media_id, season_number, episode_number)
      SELECT s, 1 + e / 10, 1 + e % 10 FROM generate_series(1, 2000) s, generate_series(0, 49) e`);
    await client.query('ANALYZE watch_history');
    await client.query('ANALYZE catalog_episodes');
    await client.query('ANALYZE history_hidden');
  }, 300_000);

  afterAll(async () => {
    await client.end();
    await drop();
  });

  it('has the data', async () => {
    const { rows } = await client.query('SELECT count(*)::int AS n FROM watch_history');
    expect(rows[0].n).toBe(1_000_000);
  });

  it('reads a page (and each continue-watching chunk, with its stale bound and play filter) by index, newest first, for heavy and light users', async () => {
    const cursor = [new Date().toISOString(), '999999999'];
    const staleBound = new Date(Date.now() - 112 * 86_400_000).toISOString();
    for (const [user, ordered] of [['heavy-42', true], ['user-4242', false]] as const) {
      for (const params of [
        [user, null, null, null, null, 50, 90, null, false],
        [user, 'movie', false, ...cursor, 20, 90, null, false],
        [user, null, null, null, null, 50, 90, staleBound, true],
        [user, null, null, ...cursor, 50, 80, staleBound, true],
      ]) {
        const plan = await explain(client, LIST_PAGE, params);
        const onHistory = plan.filter(
          (n) => (n['Relation Name'] === 'watch_history' || n['Index Name']?.startsWith('watch_history')) && n['Index Name'] !== 'watch_history_item_title',
        );
        expect(onHistory.length).toBeGreaterThan(0);
        // The title rule of each listed item: one probe of its own index (src/watch/title.ts).
        const titleLookups = plan.filter((n) => n['Index Name'] === 'watch_history_item_title');
        expect(titleLookups.map((n) => n['Node Type'])).toEqual([expect.stringMatching(/Index/)]);
        expect(plan.some((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'watch_history')).toBe(false);
        // hide marks and credits of each listed item: index probes, never a scan
        for (const table of ['history_hidden', 'catalog_items', 'catalog_episodes']) {
          expect(plan.filter((n) => n['Relation Name'] === table && !n['Node Type'].includes('Index'))).toEqual([]);
        }
        expect(plan.filter((n) => n['Index Name'] === 'history_hidden_key').length).toBeGreaterThan(0);
        // 5,000 rows: walked in order through the (user, last_watched_at, id) index, stopping at the limit
        if (ordered) expect(onHistory.map((n) => [n['Node Type'], n['Index Name']])).toEqual([['Index Scan', 'watch_history_user_recent']]);
        else expect(onHistory.every((n) => n['Node Type'].includes('Index') || n['Node Type'] === 'Bitmap Heap Scan')).toBe(true);
      }
    }
  });

  it('reads continue watching\'s first chunk with the settings by index, newest first, for heavy and light users', async () => {
    for (const [user, ordered] of [['heavy-42', true], ['user-4242', false], ['user-4243', false]] as const) {
      const plan = await explain(client, CONTINUE_FIRST_PAGE, [user, null, null, null, null, 50, 90, null, true, 112, new Date()]);
      const onHistory = plan.filter((n) => n['Index Name']?.startsWith('watch_history') && n['Index Name'] !== 'watch_history_item_title');
      expect(plan.some((n) => n['Node Type'] === 'Seq Scan')).toBe(false);
      expect(plan.filter((n) => n['Relation Name'] === 'user_settings').map((n) => n['Index Name'])).toEqual(expect.arrayContaining(['user_settings_pkey']));
      if (ordered) expect(onHistory.map((n) => [n['Node Type'], n['Index Name']])).toEqual([['Index Scan', 'watch_history_user_recent']]);
      else expect(onHistory.length).toBeGreaterThan(0);
    }
  });

  it('keeps the cursor and the stale bound in the index condition of the prepared statements\' generic plans', async () => {
    // The service sends these as named statements: after a few runs PostgreSQL plans them once,
    // without the parameters' values. A bound that is only a filter would walk a heavy user's history.
    for (const [name, sql, params] of [
      ['list_page', LIST_PAGE, `'heavy-42', NULL, NULL, now(), 999999999, 50, 90, now() - interval '30 days', true`],
      ['continue_first', CONTINUE_FIRST_PAGE, `'heavy-42', NULL, NULL, NULL, NULL, 50, 90, NULL, true, 112, now()`],
    ] as const) {
      await client.query(`PREPARE ${name} AS ${sql}`);
      await client.query('SET plan_cache_mode = force_generic_plan');
      try {
        const { rows } = await client.query(`EXPLAIN (FORMAT JSON) EXECUTE ${name}(${params})`);
        const scans = nodes(rows[0]['QUERY PLAN'][0].Plan).filter((n) => n['Index Name'] === 'watch_history_user_recent');
        expect(scans).toHaveLength(1);
        expect(scans[0]['Node Type']).toBe('Index Scan');
        expect(scans[0]['Index Cond']).toMatch(/user_id = \$1/);
        expect(scans[0]['Index Cond']).toMatch(/ROW\(last_watched_at, id\) </);
        expect(scans[0]['Index Cond']).toMatch(/last_watched_at >= /);
      } finally {
        await client.query('RESET plan_cache_mode');
        await client.query(`DEALLOCATE ${name}`);
      }
    }
  });

  it('reads one item with the settings by the unique key, planned with or without the values', async () => {
    await client.query(`PREPARE item_with_settings AS ${ITEM_WITH_SETTINGS}`);
    try {
      for (const mode of ['force_custom_plan', 'force_generic_plan']) {
        await client.query(`SET plan_cache_mode = ${mode}`);
        for (const args of [`'heavy-42', 'tv', 42, 1, 1`, `'user-4242', 'movie', 4242, NULL, NULL`]) {
          const { rows } = await client.query(`EXPLAIN (FORMAT JSON) EXECUTE item_with_settings(${args})`);
          const plan = nodes(rows[0]['QUERY PLAN'][0].Plan);
          expect(plan.some((n) => n['Node Type'] === 'Seq Scan')).toBe(false);
          const own = plan.filter((n) => n['Index Name']?.startsWith('watch_history') && n['Index Name'] !== 'watch_history_item_title');
          expect(own).toHaveLength(1);
          expect(own[0]['Index Cond']).toMatch(/user_id = .*media_type = .*media_id = /);
          expect(plan.map((n) => n['Index Name'])).toContain('user_settings_pkey');
        }
      }
    } finally {
      await client.query('RESET plan_cache_mode');
      await client.query('DEALLOCATE item_with_settings');
    }
  });

  it('finds next episodes through the catalogue primary key', async () => {
    const plan = await explain(client, NEXT_EPISODES, [[17, 18], [1, 2], [10, 3]]);
    const episodes = plan.filter((n) => n['Relation Name'] === 'catalog_episodes');
    expect(episodes.length).toBeGreaterThan(0);
    expect(episodes.every((n) => n['Node Type'].includes('Index'))).toBe(true);
  });
});
