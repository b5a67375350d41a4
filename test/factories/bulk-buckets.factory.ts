import type { TestApp } from '../utils/create-app.js';

/**
 * `perUser` hourly buckets for each of `users` users ('u1' …), spread over 2025 (k × 877 h never
 * collides within a user), movies and episodes alternating, over 5,000 titles. For the query-plan
 * tests: a million rows cannot go through the flush in a test's time, so they are generated in SQL.
 */
const YEAR_OF_BUCKETS = `
  INSERT INTO watch_buckets (user_id, hour, media_type, media_id, season_number, episode_number, seconds)
  SELECT 'u' || u, timestamptz '2025-01-01 00:00Z' + ((u * 7 + k * 877) % 8760) * interval '1 hour',
         CASE WHEN k % 2 = 0 THEN 'movie' ELSE 'tv' END,
         1 + (u * 13 + k * 101) % 5000,
         CASE WHEN k % 2 = 0 THEN NULL ELSE 1 + k % 5 END,
         CASE WHEN k % 2 = 0 THEN NULL ELSE 1 + k END,
         60 + (u + k) % 3000
  FROM generate_series(1, $1::int) AS u, generate_series(0, $2::int - 1) AS k`;

export async function yearOfBuckets(t: Pick<TestApp, 'db'>, users: number, perUser: number): Promise<void> {
  await t.db.query(YEAR_OF_BUCKETS, [users, perUser]);
}
