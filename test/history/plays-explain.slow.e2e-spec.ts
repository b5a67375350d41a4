import pg from 'pg';
import { PLAYS_PAGE } from '../../src/history/plays.repository.js';
import { createTestDatabase } from '../utils/test-database.js';

interface PlanNode {
  'Node Type': string;
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
 * The plays log is an index range scan on `watch_sessions_plays`, whatever the page, the window or
 * the user: checked with EXPLAIN on 1M sessions (100k light users, 100 heavy ones with 5,000
 * sessions each; one in ten not a play, one in fifty erased). Slow: run by CI.
 */
describe('the plays log on 1M sessions', () => {
  let client: pg.Client;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(`
      INSERT INTO watch_sessions (user_id, session_id, media_type, media_id, season_number, episode_number, max_played_s, credited_s,
                                  first_at, last_at, from_time_s, current_time_s, total_duration_s, is_play, erased, device)
      SELECT CASE WHEN g <= 500000 THEN 'heavy-' || (g % 100) ELSE 'user-' || (g % 100000) END, gen_random_uuid(),
             CASE WHEN g % 3 = 0 THEN 'tv' ELSE 'movie' END, 1 + g / 100, CASE WHEN g % 3 = 0 THEN 1 END, CASE WHEN g % 3 = 0 THEN 1 END,
             600, 600, now() - make_interval(secs => g + 600), now() - make_interval(secs => g), 0, 600, 1000,
             g % 10 <> 0, g % 50 = 7, CASE WHEN g % 2 = 0 THEN '{"platform":"web"}'::jsonb END
      FROM generate_series(1, 1000000) AS g`);
    await client.query('ANALYZE watch_sessions');
  }, 300_000);

  afterAll(async () => {
    await client.end();
    await drop();
  });

  it('has the data', async () => {
    const { rows } = await client.query('SELECT count(*)::int AS n FROM watch_sessions');
    expect(rows[0].n).toBe(1_000_000);
  });

  it('reads a page through watch_sessions_plays, with and without from/to and a cursor, for heavy and light users', async () => {
    const now = Date.now();
    const cursor = [new Date(now - 3_600_000).toISOString(), '999999999'];
    const window = [new Date(now - 86_400_000), new Date(now - 3_600_000)];
    for (const [user, ordered] of [['heavy-42', true], ['user-4242', false]] as const) {
      for (const params of [
        [user, null, null, null, null, null, null, null, null, 20],
        [user, null, null, null, null, ...window, null, null, 20],
        [user, null, null, null, null, window[0], null, ...cursor, 100],
      ]) {
        const scans = (await explain(client, PLAYS_PAGE, params)).filter((n) => n['Relation Name'] === 'watch_sessions' || n['Index Name']?.startsWith('watch_sessions'));
        const route = `${user} ${params[5] ? 'window' : 'all'}${params[7] ? ' after cursor' : ''}`;
        const seen = { route, scans: scans.map((n) => [n['Node Type'], n['Index Name'] ?? null]) };
        // 5,000 sessions: walked in order through the (user, last_at, id) index, stopping at the limit
        if (ordered) expect(seen).toEqual({ route, scans: [['Index Scan', 'watch_sessions_plays']] });
        else expect(seen).toEqual({ route, scans: expect.arrayContaining([[expect.stringMatching(/Index|Bitmap/), 'watch_sessions_plays']]) });
        expect(scans.some((n) => n['Node Type'] === 'Seq Scan')).toBe(false);
      }
    }
  });

  it('narrows to an item through an index on the user, never a scan of the table', async () => {
    const window = [new Date(Date.now() - 86_400_000), new Date()];
    for (const user of ['heavy-42', 'user-4242']) {
      for (const params of [
        [user, 'movie', 1001, null, null, ...window, null, null, 20],
        [user, 'tv', 1002, 1, 1, null, null, null, null, 20],
      ]) {
        const scans = (await explain(client, PLAYS_PAGE, params)).filter((n) => n['Relation Name'] === 'watch_sessions' || n['Index Name']?.startsWith('watch_sessions'));
        expect(scans.length).toBeGreaterThan(0);
        expect(scans.map((n) => n['Node Type'])).toEqual(scans.map(() => expect.stringMatching(/^(Index Scan|Index Only Scan|Bitmap Index Scan|Bitmap Heap Scan)$/)));
      }
    }
  });
});
