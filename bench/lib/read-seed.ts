import type pg from 'pg';

/**
 * Seeds the read benchmark's database straight in SQL with generate_series: `users` users with
 * `perUser` history items each (first `movies` of them movies, the rest tv episodes), one hourly
 * statistics bucket per item, and a catalogue the items point at (so continue-watching can offer
 * next episodes). Deterministic: user `r<u>` has the movies 1 + (u + k·997) mod 5000, k < movies.
 * Every item was played (`has_play`): continue watching leaves out items without a play (SPEC §7).
 *
 * The secondary indexes of watch_history and watch_buckets are dropped during the load and built
 * again from their own definitions (pg_get_indexdef), which is much faster than maintaining them
 * row by row; the result is the schema the migrations made.
 */
export const READ_MOVIES = 5000;
export const READ_SHOWS = 500;

export function movieOf(u: number, k: number): number {
  return 1 + ((u + k * 997) % READ_MOVIES);
}

export async function seedReadData(client: pg.Client, users: number, perUser: number, movies: number): Promise<{ history: number; buckets: number; ms: number }> {
  if (movies > 5 || movies >= perUser) throw new Error('movies per user must be ≤ 5 (distinct ids) and < perUser');
  const started = performance.now();
  await client.query(`SET synchronous_commit = off`);
  await client.query(`SET maintenance_work_mem = '256MB'`);
  await client.query(`
    INSERT INTO catalog_items (media_type, media_id, title, release_year, runtime_seconds, genres)
    SELECT 'movie', g, 'Movie ' || g, 1970 + g % 55, 4800 + (g * 37) % 4200, ARRAY['drama']
    FROM generate_series(1, ${READ_MOVIES}) g`);
  await client.query(`
    INSERT INTO catalog_items (media_type, media_id, title, release_year, genres)
    SELECT 'tv', g, 'Show ' || g, 1990 + g % 35, ARRAY['comedy'] FROM generate_series(1, ${READ_SHOWS}) g`);
  await client.query(`
    INSERT INTO catalog_episodes (media_id, season_number, episode_number, title, runtime_seconds)
    SELECT s, se, e, 'S' || se || 'E' || e, 1300 + (s * 13) % 2300
    FROM generate_series(1, ${READ_SHOWS}) s, generate_series(1, 3) se, generate_series(1, 10) e`);

  const { rows: indexes } = await client.query<{ name: string; def: string }>(`
    SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
    FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
    WHERE c.relname IN ('watch_history', 'watch_buckets')
      AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)`);
  for (const ix of indexes) await client.query(`DROP INDEX ${ix.name}`);

  // Progress p in 0..100 spread over items; last watched within the last 60 days.
  await client.query(`
    INSERT INTO watch_history (user_id, media_type, media_id, season_number, episode_number, title, current_time_s,
                               total_duration_s, progress, finished, completed_count, total_played_s, position_at,
                               first_watched_at, last_watched_at, has_play)
    SELECT 'r' || u, t.media_type, t.media_id, t.season, t.episode, t.title, t.dur * t.p / 100.0, t.dur, t.p, t.p >= 90,
           (t.p >= 90)::int, t.dur * t.p / 100.0, t.at, t.at - interval '2 hours', t.at, true
    FROM generate_series(0, ${users - 1}) u
    CROSS JOIN generate_series(0, ${perUser - 1}) k
    CROSS JOIN LATERAL (
      SELECT CASE WHEN k < ${movies} THEN 'movie' ELSE 'tv' END AS media_type,
             CASE WHEN k < ${movies} THEN 1 + (u + k * 997) % ${READ_MOVIES} ELSE 1 + (u * 7 + k) % ${READ_SHOWS} END AS media_id,
             CASE WHEN k < ${movies} THEN NULL ELSE 1 + (u + k) % 3 END AS season,
             CASE WHEN k < ${movies} THEN NULL ELSE 1 + (u * 3 + k) % 10 END AS episode,
             CASE WHEN k < ${movies} THEN 'Movie ' || (1 + (u + k * 997) % ${READ_MOVIES}) ELSE 'Show ' || (1 + (u * 7 + k) % ${READ_SHOWS}) END AS title,
             CASE WHEN k < ${movies} THEN 4800 + ((1 + (u + k * 997) % ${READ_MOVIES}) * 37) % 4200
                  ELSE 1300 + ((1 + (u * 7 + k) % ${READ_SHOWS}) * 13) % 2300 END AS dur,
             (u * 31 + k * 17) % 101 AS p,
             now() - ((u * 13 + k * 7919) % 86400) * interval '1 minute' AS at
    ) t`);
  await client.query(`
    INSERT INTO watch_buckets (user_id, media_type, media_id, season_number, episode_number, hour, seconds, completions)
    SELECT user_id, media_type, media_id, season_number, episode_number, date_trunc('hour', last_watched_at, 'UTC'),
           least(total_played_s, 3600), completed_count
    FROM watch_history`);
  for (const ix of indexes) await client.query(ix.def);
  await client.query(`VACUUM ANALYZE watch_history`);
  await client.query(`VACUUM ANALYZE watch_buckets`);
  await client.query(`ANALYZE catalog_items`);
  await client.query(`ANALYZE catalog_episodes`);
  const { rows } = await client.query<{ h: string; b: string }>(
    `SELECT (SELECT count(*) FROM watch_history) AS h, (SELECT count(*) FROM watch_buckets) AS b`,
  );
  return { history: Number(rows[0].h), buckets: Number(rows[0].b), ms: Math.round(performance.now() - started) };
}
