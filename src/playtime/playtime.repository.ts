import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { progressOf } from './heartbeat.js';
import type { PendingItem } from './pending-item.js';
import { LOCK_IDS } from '../watch/lock-ids.js';

/**
 * Shared locks on every user in the batch, in one order. A delete takes the same lock exclusively,
 * so it waits for a flush that is under way and a flush that starts later sees its tombstone.
 *
 * Then shared locks on every UTC day whose buckets this flush may change ($2, days since
 * 1970-01-01). A roll-up takes its day's lock exclusively before it reads buckets, so either it
 * runs first and commits its claim before APPLY_BATCH starts (whose snapshot then sees the
 * finished claim and marks the day stale), or it waits until this flush has committed and reads
 * its buckets. Without it, a claim committed while APPLY_BATCH runs is invisible to that
 * statement's snapshot and the day stays finished with this flush's time missing.
 */
export const LOCK_USERS = `
  SELECT (SELECT count(pg_advisory_xact_lock_shared(${LOCK_IDS.user}, h))
          FROM (SELECT DISTINCT hashtext(u) AS h FROM unnest($1::text[]) AS u ORDER BY 1) AS users)::int AS users,
         (SELECT count(pg_advisory_xact_lock_shared(${LOCK_IDS.bucketDay}, d))
          FROM (SELECT DISTINCT d FROM unnest($2::int[]) AS d ORDER BY 1) AS days)::int AS days`;

/**
 * Make sure every session row exists, so the next statement can lock all of them. A new row holds
 * nothing yet (an empty span: first_at +infinity, last_at -infinity); APPLY_BATCH fills it in the
 * same transaction, and the empty span keeps the part erased by a delete from borrowing the span
 * of what came after it.
 */
export const ENSURE_SESSIONS = `
  INSERT INTO watch_sessions (user_id, session_id, media_type, media_id, season_number, episode_number, first_at, last_at)
  SELECT u, s, mt, mi, sn, en, 'infinity'::timestamptz, '-infinity'::timestamptz
  FROM unnest($1::text[], $2::uuid[], $3::text[], $4::int[], $5::int[], $6::int[]) AS i(u, s, mt, mi, sn, en)
  ORDER BY 1, 2, 3, 4, 5, 6
  ON CONFLICT (user_id, session_id, media_type, media_id, season_number, episode_number) DO NOTHING`;

/**
 * Lock the batch's session rows in key order. Once held, the next statement's snapshot sees their
 * latest committed values and nobody can change them: the delta computed from them is exact even
 * when several instances flush the same sessions at once (a single CTE that inserts and reads in
 * one snapshot double-counts brand-new sessions under concurrency).
 */
export const LOCK_SESSIONS = `
  SELECT count(*)::int AS locked FROM (
    SELECT 1 FROM watch_sessions ws
    JOIN unnest($1::text[], $2::uuid[], $3::text[], $4::int[], $5::int[], $6::int[])
      AS i(user_id, session_id, media_type, media_id, season_number, episode_number)
      ON ws.user_id = i.user_id AND ws.session_id = i.session_id AND ws.media_type = i.media_type
     AND ws.media_id = i.media_id AND ws.season_number IS NOT DISTINCT FROM i.season_number
     AND ws.episode_number IS NOT DISTINCT FROM i.episode_number
    ORDER BY ws.user_id, ws.session_id, ws.media_type, ws.media_id, ws.season_number, ws.episode_number
    FOR UPDATE OF ws
  ) AS locked`;

/**
 * The flush itself, one statement:
 * 1. per session, the new maximum and span; the credited time is the maximum clamped to
 *    2 × span + 60 s, never less than before; the delta is what this flush adds;
 * 2. per item, the deltas are added to the total, completions counted once per session, and the
 *    position replaced only by a later event (late heartbeats never rewind it);
 * 3. per item and UTC hour, the deltas and new completions are added to the statistics buckets,
 *    and a daily report already rolled up for a day that just got more time is marked stale.
 *
 * Delete wins: each item looks up the latest tombstone that covers it with three exact-key index
 * probes (the whole user, the item's show or movie, the episode), never a scan of the user's
 * tombstones. What was received up to that delete still advances the sessions (so later
 * heartbeats of the same session only count new time) but is never credited: per session, the
 * last receipt checkpoint at or before the delete is applied first as the baseline, and only what
 * the session gained beyond it is added. An item with nothing received after the delete writes
 * no history or statistics; its sessions are marked erased (kept only as that baseline, never
 * exported).
 * Every part is a maximum or an addition of a delta computed from locked rows, so running the
 * same batch twice changes nothing the second time: retries are safe.
 */
export const APPLY_BATCH = `
  WITH items AS (
    SELECT t.*, GREATEST(
      (SELECT d.deleted_at FROM history_tombstones d
        WHERE d.user_id = t.user_id AND d.media_type IS NULL AND d.media_id IS NULL
          AND d.season_number IS NULL AND d.episode_number IS NULL),
      (SELECT d.deleted_at FROM history_tombstones d
        WHERE d.user_id = t.user_id AND d.media_type = t.media_type AND d.media_id = t.media_id
          AND d.season_number IS NULL AND d.episode_number IS NULL),
      (SELECT d.deleted_at FROM history_tombstones d
        WHERE d.user_id = t.user_id AND d.media_type = t.media_type AND d.media_id = t.media_id
          AND d.season_number = t.season_number AND d.episode_number = t.episode_number)
    ) AS erased_at
    FROM unnest(
      $1::text[], $2::text[], $3::int[], $4::int[], $5::int[], $6::text[], $7::float8[], $8::float8[],
      $9::int2[], $10::bool[], $11::timestamptz[], $12::timestamptz[], $13::timestamptz[]
    ) WITH ORDINALITY AS t(user_id, media_type, media_id, season_number, episode_number, title,
                           current_time_s, total_duration_s, progress, finished, position_at, first_at,
                           received_at, idx)
  ),
  incoming AS (
    SELECT * FROM unnest($14::int8[], $15::uuid[], $16::float8[], $17::timestamptz[], $18::timestamptz[], $19::bool[],
                         $20::timestamptz[])
      WITH ORDINALITY AS s(item_idx, session_id, max_played_s, first_at, last_at, completed, received_at, session_idx)
  ),
  checkpoints AS (
    SELECT * FROM unnest($21::int8[], $22::timestamptz[], $23::float8[], $24::timestamptz[], $25::timestamptz[], $26::bool[])
      AS c(session_idx, at, max_played_s, first_at, last_at, completed)
  ),
  merged AS (
    SELECT ws.id, s.item_idx, ws.credited_s AS old_credited, ws.completed AS was_completed,
           s.completed AS now_completed, s.last_at AS seen_at,
           GREATEST(ws.max_played_s, s.max_played_s) AS max_played_s,
           LEAST(ws.first_at, s.first_at) AS first_at,
           GREATEST(ws.last_at, s.last_at) AS last_at,
           -- what the delete erased, applied on top of the stored row: never credited
           CASE WHEN e.at IS NULL THEN ws.credited_s
                ELSE GREATEST(ws.credited_s, LEAST(GREATEST(ws.max_played_s, e.max_played_s),
                       2 * EXTRACT(EPOCH FROM GREATEST(ws.last_at, e.last_at) - LEAST(ws.first_at, e.first_at))::float8 + 60))
           END AS base_credited,
           ws.completed OR COALESCE(e.completed, false) AS base_completed,
           i.erased_at IS NOT NULL AND s.received_at <= i.erased_at AS erased
    FROM incoming s
    JOIN items i ON i.idx = s.item_idx
    -- One index probe per session: as a plain join, IS NOT DISTINCT FROM made the planner expect
    -- one row and re-scan the whole batch for every session (seconds per flush at 20k+ sessions).
    CROSS JOIN LATERAL (
      SELECT * FROM watch_sessions w
      WHERE w.user_id = i.user_id AND w.session_id = s.session_id AND w.media_type = i.media_type
        AND w.media_id = i.media_id AND w.season_number IS NOT DISTINCT FROM i.season_number
        AND w.episode_number IS NOT DISTINCT FROM i.episode_number
      LIMIT 1
    ) ws
    LEFT JOIN LATERAL (
      SELECT c.* FROM checkpoints c
      WHERE i.erased_at IS NOT NULL AND c.session_idx = s.session_idx AND c.at <= i.erased_at
      ORDER BY c.at DESC LIMIT 1
    ) e ON true
  ),
  credited AS (
    SELECT m.*, GREATEST(m.old_credited,
             LEAST(m.max_played_s, 2 * EXTRACT(EPOCH FROM m.last_at - m.first_at)::float8 + 60)) AS new_credited
    FROM merged m
  ),
  sessions_updated AS (
    UPDATE watch_sessions ws
       SET max_played_s = c.max_played_s, first_at = c.first_at, last_at = c.last_at,
           credited_s = c.new_credited, completed = ws.completed OR c.now_completed, erased = c.erased
      FROM credited c
     WHERE ws.id = c.id
    RETURNING 1
  ),
  live AS (
    SELECT i.* FROM items i WHERE i.erased_at IS NULL OR i.received_at > i.erased_at
  ),
  per_item AS (
    SELECT item_idx, sum(new_credited - base_credited) AS played,
           count(*) FILTER (WHERE now_completed AND NOT base_completed)::int AS completions
    FROM credited GROUP BY item_idx
  ),
  history_upserted AS (
    INSERT INTO watch_history AS h
      (user_id, media_type, media_id, season_number, episode_number, title, current_time_s,
       total_duration_s, progress, finished, completed_count, total_played_s, position_at,
       first_watched_at, last_watched_at)
    SELECT l.user_id, l.media_type, l.media_id, l.season_number, l.episode_number, l.title,
           l.current_time_s, l.total_duration_s, l.progress, l.finished, COALESCE(p.completions, 0),
           COALESCE(p.played, 0), l.position_at, l.first_at, l.position_at
    FROM live l LEFT JOIN per_item p ON p.item_idx = l.idx
    ORDER BY l.user_id, l.media_type, l.media_id, l.season_number, l.episode_number
    ON CONFLICT (user_id, media_type, media_id, season_number, episode_number) DO UPDATE SET
      title            = COALESCE(EXCLUDED.title, h.title),
      total_played_s   = h.total_played_s + EXCLUDED.total_played_s,
      completed_count  = h.completed_count + EXCLUDED.completed_count,
      current_time_s   = CASE WHEN EXCLUDED.position_at >= h.position_at THEN EXCLUDED.current_time_s ELSE h.current_time_s END,
      total_duration_s = CASE WHEN EXCLUDED.position_at >= h.position_at THEN EXCLUDED.total_duration_s ELSE h.total_duration_s END,
      progress         = CASE WHEN EXCLUDED.position_at >= h.position_at THEN EXCLUDED.progress ELSE h.progress END,
      finished         = CASE WHEN EXCLUDED.position_at >= h.position_at THEN EXCLUDED.finished ELSE h.finished END,
      position_at      = GREATEST(h.position_at, EXCLUDED.position_at),
      first_watched_at = LEAST(h.first_watched_at, EXCLUDED.first_watched_at),
      last_watched_at  = GREATEST(h.last_watched_at, EXCLUDED.last_watched_at)
    RETURNING 1
  ),
  buckets_upserted AS (
    INSERT INTO watch_buckets AS b (user_id, hour, media_type, media_id, season_number, episode_number, seconds, completions)
    SELECT l.user_id, date_trunc('hour', c.seen_at, 'UTC'), l.media_type, l.media_id, l.season_number,
           l.episode_number, sum(c.new_credited - c.base_credited),
           count(*) FILTER (WHERE c.now_completed AND NOT c.base_completed)
    FROM credited c JOIN live l ON l.idx = c.item_idx
    GROUP BY 1, 2, 3, 4, 5, 6
    HAVING sum(c.new_credited - c.base_credited) > 0 OR bool_or(c.now_completed AND NOT c.base_completed)
    ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (user_id, hour, media_type, media_id, season_number, episode_number)
      DO UPDATE SET seconds = b.seconds + EXCLUDED.seconds, completions = b.completions + EXCLUDED.completions
    RETURNING b.hour
  ),
  reports_made_stale AS (
    UPDATE report_runs r SET finished_at = NULL
    WHERE r.finished_at IS NOT NULL
      AND r.period IN (SELECT DISTINCT (hour AT TIME ZONE 'UTC')::date FROM buckets_upserted)
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM sessions_updated)::int AS sessions,
         (SELECT count(*) FROM history_upserted)::int AS items,
         (SELECT count(*) FROM buckets_upserted)::int AS buckets`;

export interface FlushResult {
  statements: number;
  rowsWritten: number;
}

/**
 * The statements of one flush, in order, with their parameters: a fixed number whatever the batch
 * size (arrays go through `unnest`, which also keeps us far from PostgreSQL's 65,535
 * bind-parameter limit). The last one returns the counts. Items are sorted by key so every
 * flush locks rows in the same order.
 */
export function flushStatements(items: PendingItem[], finishedPercent: number): [string, unknown[]][] {
  const sorted = [...items].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const it = columns(sorted, finishedPercent);
  const sessionKeys = [it.s.userId, it.s.sessionId, it.s.mediaType, it.s.mediaId, it.s.season, it.s.episode];
  return [
    [LOCK_USERS, [it.userIds, it.days]],
    [ENSURE_SESSIONS, sessionKeys],
    [LOCK_SESSIONS, sessionKeys],
    [APPLY_BATCH, [
      it.i.userId, it.i.mediaType, it.i.mediaId, it.i.season, it.i.episode, it.i.title, it.i.currentTime,
      it.i.totalDuration, it.i.progress, it.i.finished, it.i.positionAt, it.i.firstAt, it.i.receivedAt,
      it.s.itemIdx, it.s.sessionId, it.s.maxPlayed, it.s.firstAt, it.s.lastAt, it.s.completed, it.s.receivedAt,
      it.c.sessionIdx, it.c.at, it.c.maxPlayed, it.c.firstAt, it.c.lastAt, it.c.completed,
    ]],
  ];
}

/** The write side of `watch_history`: one transaction with a fixed number of statements per flush. */
@Injectable()
export class PlaytimeRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Writes a coalesced batch (each key at most once). Four statements inside one transaction
   * (six with BEGIN/COMMIT) whatever the batch size (see `flushStatements`).
   */
  async applyBatch(items: PendingItem[], finishedPercent: number): Promise<FlushResult> {
    const plan = flushStatements(items, finishedPercent);
    const runner = this.dataSource.createQueryRunner();
    let statements = 0;
    await runner.connect();
    try {
      await runner.startTransaction();
      statements += 1;
      try {
        let last: unknown;
        for (const [sql, params] of plan) {
          statements += 1;
          last = await runner.query(sql, params);
        }
        const [counts] = last as { sessions: number; items: number; buckets: number }[];
        await runner.commitTransaction();
        statements += 1;
        return { statements, rowsWritten: counts.sessions + counts.items + counts.buckets };
      } catch (err) {
        await runner.rollbackTransaction().catch(() => undefined);
        throw err;
      }
    } finally {
      await runner.release();
    }
  }
}

/**
 * Column arrays for `unnest`: one set per item, one per session (with the 1-based item index),
 * one per receipt checkpoint of a session (with the 1-based session index).
 */
export function columns(items: PendingItem[], finishedPercent: number) {
  const i = {
    userId: [] as string[], mediaType: [] as string[], mediaId: [] as number[], season: [] as (number | null)[],
    episode: [] as (number | null)[], title: [] as (string | null)[], currentTime: [] as number[],
    totalDuration: [] as number[], progress: [] as number[], finished: [] as boolean[], positionAt: [] as Date[],
    firstAt: [] as Date[], receivedAt: [] as Date[],
  };
  const s = {
    itemIdx: [] as number[], userId: [] as string[], sessionId: [] as string[], mediaType: [] as string[],
    mediaId: [] as number[], season: [] as (number | null)[], episode: [] as (number | null)[],
    maxPlayed: [] as number[], firstAt: [] as Date[], lastAt: [] as Date[], completed: [] as boolean[],
    receivedAt: [] as Date[],
  };
  const c = {
    sessionIdx: [] as number[], at: [] as Date[], maxPlayed: [] as number[], firstAt: [] as Date[], lastAt: [] as Date[],
    completed: [] as boolean[],
  };
  const users = new Set<string>();
  const days = new Set<number>();
  items.forEach((item, n) => {
    users.add(item.userId);
    const progress = progressOf(item.currentTime, item.totalDuration);
    i.userId.push(item.userId); i.mediaType.push(item.mediaType); i.mediaId.push(item.mediaId);
    i.season.push(item.seasonNumber); i.episode.push(item.episodeNumber); i.title.push(item.title);
    i.currentTime.push(item.currentTime); i.totalDuration.push(item.totalDuration); i.progress.push(progress);
    i.finished.push(progress >= finishedPercent); i.positionAt.push(new Date(item.positionAt));
    i.firstAt.push(new Date(item.firstAt)); i.receivedAt.push(new Date(item.receivedAt));
    for (const [sessionId, sess] of item.sessions) {
      s.itemIdx.push(n + 1); s.userId.push(item.userId); s.sessionId.push(sessionId); s.mediaType.push(item.mediaType);
      s.mediaId.push(item.mediaId); s.season.push(item.seasonNumber); s.episode.push(item.episodeNumber);
      s.maxPlayed.push(sess.maxPlayed); s.firstAt.push(new Date(sess.firstAt)); s.lastAt.push(new Date(sess.lastAt));
      s.completed.push(sess.completed);
      s.receivedAt.push(new Date(sess.receipts[sess.receipts.length - 1].at));
      const sessionIdx = s.itemIdx.length;
      for (const r of sess.receipts) {
        c.sessionIdx.push(sessionIdx); c.at.push(new Date(r.at)); c.maxPlayed.push(r.maxPlayed);
        c.firstAt.push(new Date(r.firstAt)); c.lastAt.push(new Date(r.lastAt)); c.completed.push(r.completed);
      }
      days.add(utcDayNumber(sess.lastAt));
    }
  });
  return { i, s, c, userIds: [...users], days: [...days].sort((a, b) => a - b) };
}

/** Days since 1970-01-01 (UTC) of an epoch-ms instant: the key of a day's bucket lock. */
export function utcDayNumber(ms: number): number {
  return Math.floor(ms / 86_400_000);
}
