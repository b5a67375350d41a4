import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { WATCH_HOURS_JOB } from '../reporting/reporting.repository.js';
import { LOCK_IDS, userLockKeySql } from '../watch/lock-ids.js';

/** Users who turned auto-delete on, a page at a time (keyset on user_id). */
const DUE_USERS = `
  SELECT user_id, auto_delete_days FROM user_settings
  WHERE auto_delete_days > 0 AND user_id > $1 ORDER BY user_id LIMIT $2`;

/**
 * A user's items not watched since `$2`: the latest event the item shows (`last_watched_at`) is
 * older, and so is every heartbeat of every session of it (a short session that is not a play
 * moves no position but is watching all the same).
 */
const EXPIRED = `
  SELECT h.id, h.media_type, h.media_id, h.season_number, h.episode_number
  FROM watch_history h
  WHERE h.user_id = $1 AND h.last_watched_at < $2
    AND NOT EXISTS (
      SELECT 1 FROM watch_sessions ws
      WHERE ws.user_id = $1 AND ws.media_type = h.media_type AND ws.media_id = h.media_id
        AND ws.season_number IS NOT DISTINCT FROM h.season_number AND ws.episode_number IS NOT DISTINCT FROM h.episode_number
        AND ws.last_at >= $2)`;

const ANY_EXPIRED = `SELECT EXISTS (${EXPIRED}) AS found`;

const LOCK_USER = `SELECT pg_advisory_xact_lock(${LOCK_IDS.user}, ${userLockKeySql('$1')})`;

const SAME_ITEM = (t: string) => `
  ${t}.user_id = $1 AND ${t}.media_type = d.media_type AND ${t}.media_id = d.media_id
  AND ${t}.season_number IS NOT DISTINCT FROM d.season_number AND ${t}.episode_number IS NOT DISTINCT FROM d.episode_number`;

/**
 * Up to `$3` expired items of one user, oldest first, with everything kept about them: their
 * sessions (their hours go by ON DELETE CASCADE), statistics buckets and hide marks. Report rows
 * already rolled up are not touched and keep their totals.
 */
const DELETE_CHUNK = `
  WITH doomed AS (${EXPIRED} ORDER BY h.last_watched_at, h.id LIMIT $3),
  sessions_deleted AS (DELETE FROM watch_sessions ws USING doomed d WHERE ${SAME_ITEM('ws')} RETURNING 1),
  buckets_deleted AS (DELETE FROM watch_buckets b USING doomed d WHERE ${SAME_ITEM('b')} RETURNING 1),
  hidden_deleted AS (DELETE FROM history_hidden hh USING doomed d WHERE ${SAME_ITEM('hh')} RETURNING 1),
  items_deleted AS (DELETE FROM watch_history h USING doomed d WHERE h.id = d.id RETURNING 1)
  SELECT (SELECT count(*) FROM items_deleted)::int AS items, (SELECT count(*) FROM sessions_deleted)::int AS sessions,
         (SELECT count(*) FROM buckets_deleted)::int AS buckets, (SELECT count(*) FROM hidden_deleted)::int AS hidden`;

/** A show's own hide mark once none of its episodes is left. */
const DELETE_ORPHAN_SHOW_MARKS = `
  DELETE FROM history_hidden hh
  WHERE hh.user_id = $1 AND hh.media_type = 'tv' AND hh.season_number IS NULL AND hh.episode_number IS NULL
    AND NOT EXISTS (SELECT 1 FROM watch_history h WHERE h.user_id = $1 AND h.media_type = 'tv' AND h.media_id = hh.media_id)`;

/**
 * UTC days before `$3` (today) holding buckets of the user's expired items and not rolled up (or
 * made stale since): rolled up before the buckets go, so reports keep their totals.
 */
const UNROLLED_DAYS = `
  SELECT DISTINCT (b.hour AT TIME ZONE 'UTC')::date::text AS day
  FROM watch_buckets b JOIN (${EXPIRED}) d ON ${SAME_ITEM('b')}
  WHERE (b.hour AT TIME ZONE 'UTC')::date < $3::date
    AND NOT EXISTS (SELECT 1 FROM report_runs r
                    WHERE r.job = '${WATCH_HOURS_JOB}' AND r.period = (b.hour AT TIME ZONE 'UTC')::date AND r.finished_at IS NOT NULL)
  ORDER BY 1`;

/**
 * The day's claim: taken when nobody has it, or when a run claimed it `$4` seconds ago or more and
 * never finished (its instance died). Returns a row only to the instance that claimed it.
 */
const CLAIM = `
  INSERT INTO maintenance_runs AS r (job, period, claimed_at) VALUES ($1, $2, $3)
  ON CONFLICT (job, period) DO UPDATE SET claimed_at = EXCLUDED.claimed_at
    WHERE r.finished_at IS NULL AND r.claimed_at <= EXCLUDED.claimed_at - make_interval(secs => $4::float8)
  RETURNING 1`;
const FINISH = `UPDATE maintenance_runs SET finished_at = $3 WHERE job = $1 AND period = $2`;

export interface DeletedCounts {
  items: number;
  sessions: number;
  buckets: number;
  hidden: number;
}

@Injectable()
export class AutoDeleteRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async dueUsers(after: string, limit: number): Promise<{ userId: string; days: number }[]> {
    const rows = (await this.dataSource.query(DUE_USERS, [after, limit])) as { user_id: string; auto_delete_days: number }[];
    return rows.map((r) => ({ userId: r.user_id, days: r.auto_delete_days }));
  }

  async unrolledDays(userId: string, before: Date, today: string): Promise<string[]> {
    const rows = (await this.dataSource.query(UNROLLED_DAYS, [userId, before, today])) as { day: string }[];
    return rows.map((r) => r.day);
  }

  async anyExpired(userId: string, before: Date): Promise<boolean> {
    const [row] = (await this.dataSource.query(ANY_EXPIRED, [userId, before])) as { found: boolean }[];
    return row.found;
  }

  /**
   * One chunk in one short transaction under the user's lock (the lock flushes and deletes take),
   * so a flush of this user under way commits first and is judged with the rest.
   */
  async deleteChunk(userId: string, before: Date, limit: number): Promise<DeletedCounts> {
    return this.dataSource.transaction(async (m) => {
      await m.query(LOCK_USER, [userId]);
      const [counts] = (await m.query(DELETE_CHUNK, [userId, before, limit])) as DeletedCounts[];
      if (counts.items > 0) {
        const result = (await m.query(DELETE_ORPHAN_SHOW_MARKS, [userId])) as [unknown, number];
        counts.hidden += result[1] ?? 0;
      }
      return counts;
    });
  }

  async claim(job: string, day: string, at: Date, leaseSeconds: number): Promise<boolean> {
    const rows = (await this.dataSource.query(CLAIM, [job, day, at, leaseSeconds])) as unknown[];
    return rows.length > 0;
  }

  async finish(job: string, day: string, at: Date): Promise<void> {
    await this.dataSource.query(FINISH, [job, day, at]);
  }
}
