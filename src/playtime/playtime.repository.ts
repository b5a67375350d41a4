/*
 * Past ~300 lines: the flush is four statements whose SQL (locks, session rows, per-hour credit,
 * ceiling, tombstone probes, buckets, stale reports) only makes sense read together, plus the
 * column arrays that feed its `unnest`. The SQL is the length; the TypeScript around it is short.
 */
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { compareKeys } from '../watch/item-key.js';
import { dayLockKeySql, LOCK_IDS, userLockKeySql } from '../watch/lock-ids.js';
import { erasedByDeleteSql, type PendingItem } from '../watch/pending.js';
import { hourlyCeilingSeconds, plausibleCapSql } from '../watch/plausibility.js';
import { creditsStartSql } from '../watch/credits.js';
import { userFinishedPercentSql } from '../watch/settings.js';
import { progressSql, reachedFinishSql } from '../watch/progress.js';
import { utcDayNumber } from '../watch/time.js';
import { numberArray, timestampArray } from '../database/pg-arrays.js';

/**
 * The lock of every user in the batch, in one order. A delete takes the same lock, so it waits for
 * a flush that is under way and a flush that starts later sees its tombstone. Exclusive, because
 * the per-user ceiling reads what the user's other items already have in an hour: two instances
 * flushing the same user's items take turns, so the second one sees the first one's hours.
 */
export const LOCK_USERS = `
  SELECT count(pg_advisory_xact_lock(${LOCK_IDS.user}, h))::int AS locked
  FROM (SELECT DISTINCT ${userLockKeySql('u')} AS h FROM unnest($1::text[]) AS u ORDER BY 1) AS users`;

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
 *
 * Then shared locks on every UTC day whose buckets this flush may change: the days of its
 * heartbeats ($7, days since 1970-01-01) and every day a locked session already spans (its time
 * can move between its hours). A roll-up takes its day's lock exclusively before it reads
 * buckets, so either it runs first and commits its claim before APPLY_BATCH starts (whose snapshot
 * then sees the finished claim and marks the day stale), or it waits until this flush has
 * committed and reads its buckets. Without it, a claim committed while APPLY_BATCH runs is
 * invisible to that statement's snapshot and the day stays finished with this flush's time missing.
 */
export const LOCK_SESSIONS = `
  WITH locked AS (
    SELECT ws.first_at, ws.last_at FROM watch_sessions ws
    JOIN unnest($1::text[], $2::uuid[], $3::text[], $4::int[], $5::int[], $6::int[])
      AS i(user_id, session_id, media_type, media_id, season_number, episode_number)
      ON ws.user_id = i.user_id AND ws.session_id = i.session_id AND ws.media_type = i.media_type
     AND ws.media_id = i.media_id AND ws.season_number IS NOT DISTINCT FROM i.season_number
     AND ws.episode_number IS NOT DISTINCT FROM i.episode_number
    ORDER BY ws.user_id, ws.session_id, ws.media_type, ws.media_id, ws.season_number, ws.episode_number
    FOR UPDATE OF ws
  ),
  days AS (
    SELECT d FROM unnest($7::int[]) AS d
    UNION
    SELECT generate_series(${dayLockKeySql("(first_at AT TIME ZONE 'UTC')::date")},
                           ${dayLockKeySql("(last_at AT TIME ZONE 'UTC')::date")})
    FROM locked WHERE isfinite(first_at) AND isfinite(last_at)
  )
  SELECT (SELECT count(*) FROM locked)::int AS locked,
         (SELECT count(pg_advisory_xact_lock_shared(${LOCK_IDS.bucketDay}, d)) FROM (SELECT d FROM days ORDER BY 1) AS x)::int AS days`;

/**
 * The flush itself, one statement:
 * 1. per session, the new maximum and span; the credited time is the maximum clamped to
 *    2 × span + 60 s, never less than before; the delta is what this flush adds; the session's
 *    device is set only while the row has none;
 * 2. per item, the deltas are added to the total, completions counted once per session, and the
 *    position replaced only by a later event (late heartbeats never rewind it);
 * 3. per session and UTC hour (`watch_session_hours`), the session's credited time is spread over
 *    the hours its heartbeats were played in (by event time): by the end of an hour it has
 *    played the largest playedSeconds seen up to then, capped at its credited time; each hour
 *    gets the difference from the hour before, and what changed since the last flush is added to
 *    that hour's statistics bucket, with completions in the hour of the session's latest
 *    heartbeat. A daily report already rolled up for a day whose buckets changed is marked stale.
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
/**
 * Whether the flushed position replaces the stored one (SPEC §7): the item's first play always
 * takes over; otherwise a play over a play, or a non-play over a non-play, when it is as late or
 * later (by event time). A non-play never moves an item that has a play.
 */
const MOVES = `((EXCLUDED.has_play AND NOT h.has_play) OR (EXCLUDED.has_play = h.has_play AND EXCLUDED.position_at >= h.position_at))`;

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
    ) AS erased_at,
    -- the finished point in force now: the user's percentage (else the service's, $33) and the credits
    ${userFinishedPercentSql('t.user_id', '$33::int')} AS finished_percent,
    ${creditsStartSql('t.media_type', 't.media_id', 't.season_number', 't.episode_number')} AS credits_start
    FROM unnest(
      $1::text[], $2::text[], $3::int[], $4::int[], $5::int[], $6::text[], $7::timestamptz[], $8::timestamptz[]
    ) WITH ORDINALITY AS t(user_id, media_type, media_id, season_number, episode_number, title, first_at, received_at, idx)
  ),
  incoming AS (
    SELECT * FROM unnest($9::int8[], $10::uuid[], $11::float8[], $12::timestamptz[], $13::timestamptz[], $14::int2[],
                         $15::float8[], $16::timestamptz[], $17::jsonb[], $18::float8[], $19::float8[], $20::float8[], $21::text[])
      WITH ORDINALITY AS s(item_idx, session_id, max_played_s, first_at, last_at, peak_progress, peak_time_s, received_at,
                           device, current_time_s, total_duration_s, from_time_s, last_event, session_idx)
  ),
  checkpoints AS (
    SELECT * FROM unnest($22::int8[], $23::timestamptz[], $24::float8[], $25::timestamptz[], $26::timestamptz[], $27::int2[], $28::float8[],
                         $35::int2[], $36::float8[])
      AS c(session_idx, at, max_played_s, first_at, last_at, peak_progress, peak_time_s, own_peak_progress, own_peak_time_s)
  ),
  incoming_hours AS (
    SELECT * FROM unnest($29::int8[], $30::timestamptz[], $31::float8[]) AS x(session_idx, hour, max_played_s)
  ),
  -- per session, the last checkpoint received at or before the delete covering its item
  erased_parts AS (
    SELECT DISTINCT ON (c.session_idx) c.*
    FROM checkpoints c JOIN incoming s ON s.session_idx = c.session_idx JOIN items i ON i.idx = s.item_idx
    WHERE c.at <= i.erased_at
    ORDER BY c.session_idx, c.at DESC
  ),
  -- per session, how far what was received after that delete got: the erased heartbeats are gone
  after_erasure AS (
    SELECT c.session_idx, max(c.own_peak_progress) AS peak_progress, max(c.own_peak_time_s) AS peak_time_s
    FROM checkpoints c JOIN incoming s ON s.session_idx = c.session_idx JOIN items i ON i.idx = s.item_idx
    WHERE c.at > i.erased_at
    GROUP BY c.session_idx
  ),
  merged AS (
    SELECT ws.id, s.item_idx, s.session_idx, s.session_id, ws.credited_s AS old_credited, ws.erased_s AS erased_old,
           ws.is_play AS was_play, ws.counted AS was_counted, ws.play_base_s AS play_base, i.finished_percent, i.credits_start,
           s.last_at AS seen_at, s.device, s.received_at,
           GREATEST(ws.max_played_s, s.max_played_s) AS max_played_s,
           LEAST(ws.first_at, s.first_at) AS first_at,
           GREATEST(ws.last_at, s.last_at) AS last_at,
           GREATEST(ws.peak_progress, CASE WHEN e.at IS NULL THEN s.peak_progress ELSE COALESCE(a.peak_progress, 0) END) AS peak_progress,
           GREATEST(ws.peak_time_s, CASE WHEN e.at IS NULL THEN s.peak_time_s ELSE COALESCE(a.peak_time_s, 0) END) AS peak_time_s,
           -- the session's position: its latest heartbeat's (a tie goes to this flush's), and its first heartbeat's
           CASE WHEN s.last_at >= ws.last_at OR ws.current_time_s IS NULL THEN s.current_time_s ELSE ws.current_time_s END AS current_time_s,
           CASE WHEN s.last_at >= ws.last_at OR ws.current_time_s IS NULL THEN s.total_duration_s ELSE ws.total_duration_s END AS total_duration_s,
           CASE WHEN s.last_at >= ws.last_at OR ws.current_time_s IS NULL THEN s.last_event ELSE ws.last_event END AS last_event,
           CASE WHEN s.first_at < ws.first_at OR ws.from_time_s IS NULL THEN s.from_time_s ELSE ws.from_time_s END AS from_time_s,
           -- what the delete erased, applied on top of the stored row: never credited
           CASE WHEN e.at IS NULL THEN ws.credited_s
                ELSE GREATEST(ws.credited_s, LEAST(GREATEST(ws.max_played_s, e.max_played_s),
                       ${plausibleCapSql('LEAST(ws.first_at, e.first_at)', 'GREATEST(ws.last_at, e.last_at)')}))
           END AS base_credited,
           -- the session was a play that reached the finished point in the history the delete erased: counted there
           e.at IS NOT NULL AND ${reachedFinishSql('e.peak_progress', 'e.peak_time_s', 'i.finished_percent', 'i.credits_start')}
             AND GREATEST(ws.credited_s, LEAST(GREATEST(ws.max_played_s, e.max_played_s),
                   ${plausibleCapSql('LEAST(ws.first_at, e.first_at)', 'GREATEST(ws.last_at, e.last_at)')})) - ws.erased_s - ws.play_base_s >= $34::float8
             AS erased_completed,
           ${erasedByDeleteSql('s.received_at', 'i.erased_at')} AS erased,
           NOT ${erasedByDeleteSql('i.received_at', 'i.erased_at')} AS is_live
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
    LEFT JOIN erased_parts e ON e.session_idx = s.session_idx
    LEFT JOIN after_erasure a ON a.session_idx = s.session_idx
  ),
  credited AS (
    SELECT m.*, GREATEST(m.old_credited,
             LEAST(m.max_played_s, ${plausibleCapSql('m.first_at', 'm.last_at')})) AS new_credited
    FROM merged m
  ),
  live AS (
    SELECT i.* FROM items i WHERE NOT ${erasedByDeleteSql('i.received_at', 'i.erased_at')}
  ),
  -- credit a delete erased is never in any hour: per session, sum(hours' credit) = credited − erased
  erasure AS (
    SELECT c.*, c.erased_old + (c.base_credited - c.old_credited) AS erased_new FROM credited c
  ),
  -- A play (SPEC §7): credited seconds past the delete reach MIN_PLAY_SECONDS ($34); never undone.
  -- Past the delete: less what a delete of pending data erased (erased_new) and what an item
  -- delete found stored (play_base).
  -- A completion counts once per play that reached the finished point, unless a delete erased it.
  judged AS (
    SELECT e.*, p.is_play, p.now_completed,
           e.is_live AND NOT e.erased AND p.is_play AND p.now_completed AND NOT e.was_counted AND NOT e.erased_completed AS counts_now
    FROM erasure e
    CROSS JOIN LATERAL (SELECT
      e.was_play OR (NOT e.erased AND e.new_credited - e.erased_new - e.play_base >= $34::float8) AS is_play,
      ${reachedFinishSql('e.peak_progress', 'e.peak_time_s', 'e.finished_percent', 'e.credits_start')} AS now_completed) p
  ),
  -- Per item, the heartbeat its position comes from: the latest of its plays, or of any session
  -- while it has no play (the upsert below keeps a play's position from non-plays).
  positions AS (
    SELECT DISTINCT ON (j.item_idx) j.item_idx, j.is_play, j.current_time_s, j.total_duration_s, j.last_at,
           ${progressSql('j.current_time_s', 'j.total_duration_s')} AS progress,
           j.finished_percent, j.credits_start
    FROM judged j WHERE NOT j.erased
    ORDER BY j.item_idx, j.is_play DESC, j.last_at DESC, j.received_at DESC, j.session_id DESC
  ),
  sessions_updated AS (
    UPDATE watch_sessions ws
       SET max_played_s = e.max_played_s, first_at = e.first_at, last_at = e.last_at,
           credited_s = e.new_credited, erased_s = e.erased_new,
           completed = ws.completed OR e.now_completed, erased = e.erased,
           peak_progress = e.peak_progress, peak_time_s = e.peak_time_s, current_time_s = e.current_time_s,
           total_duration_s = e.total_duration_s, from_time_s = e.from_time_s, last_event = e.last_event,
           is_play = e.is_play, counted = ws.counted OR e.counts_now OR e.erased_completed,
           -- the device of the session's first heartbeat that named one: set once, never replaced
           device = COALESCE(ws.device, e.device)
      FROM judged e
     WHERE ws.id = e.id
    RETURNING 1
  ),
  hour_rows AS (
    SELECT e.id, sh.hour, sh.max_played_s, sh.credited_s AS granted, false AS incoming
    FROM erasure e JOIN watch_session_hours sh ON sh.session_id = e.id
    UNION ALL
    SELECT e.id, x.hour, x.max_played_s, 0, true
    FROM erasure e JOIN incoming_hours x ON x.session_idx = e.session_idx
  ),
  session_hours AS (
    SELECT id, hour, max(max_played_s) AS max_played_s, sum(granted) AS granted, bool_or(incoming) AS incoming
    FROM hour_rows GROUP BY id, hour
  ),
  -- Time by the hour: what a session has played by the end of an hour is the largest playedSeconds
  -- of its heartbeats up to that hour; its credited time fills its hours in that order (so what
  -- the plausibility clamp cuts comes off its latest hours, what a delete erased off its earliest).
  shares AS (
    SELECT h.*, e.item_idx, e.session_id, e.is_live,
           GREATEST(0, LEAST(max(h.max_played_s) OVER w, e.new_credited) - e.erased_new) AS through
    FROM session_hours h JOIN erasure e ON e.id = h.id
    WINDOW w AS (PARTITION BY h.id ORDER BY h.hour ROWS UNBOUNDED PRECEDING)
  ),
  deltas AS (
    SELECT s.*,
           CASE WHEN s.is_live
                THEN s.through - COALESCE(lag(s.through) OVER (PARTITION BY s.id ORDER BY s.hour), 0) - s.granted
                ELSE 0 END AS delta
    FROM shares s
  ),
  -- Per-user ceiling ($32 s per user and UTC hour): what the user's buckets already hold in the
  -- hour, plus this flush's decreases, leaves room that this flush's increases fill in item
  -- then session order; the rest is not credited (it stays wanted and is granted if room frees).
  used AS (
    SELECT k.user_id, k.hour,
           COALESCE((SELECT sum(b.seconds) FROM watch_buckets b WHERE b.user_id = k.user_id AND b.hour = k.hour), 0) AS seconds
    FROM (SELECT DISTINCT i.user_id, d.hour FROM deltas d JOIN items i ON i.idx = d.item_idx WHERE d.delta > 1e-9) k
  ),
  applied AS (
    SELECT d.*, CASE WHEN d.delta <= 1e-9 THEN d.delta ELSE GREATEST(0, LEAST(d.delta,
             $32::float8 - u.seconds
             - sum(LEAST(d.delta, 0)) OVER (PARTITION BY i.user_id, d.hour)
             - COALESCE(sum(GREATEST(d.delta, 0)) OVER (PARTITION BY i.user_id, d.hour ORDER BY d.item_idx, d.session_id
                                                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0))) END AS applied
    FROM deltas d JOIN items i ON i.idx = d.item_idx
    LEFT JOIN used u ON u.user_id = i.user_id AND u.hour = d.hour
  ),
  hours_upserted AS (
    INSERT INTO watch_session_hours AS sh (session_id, hour, max_played_s, credited_s)
    SELECT d.id, d.hour, d.max_played_s, d.granted + d.applied FROM applied d
    WHERE d.incoming OR abs(d.applied) > 1e-9
    ORDER BY 1, 2
    ON CONFLICT (session_id, hour) DO UPDATE SET max_played_s = EXCLUDED.max_played_s, credited_s = EXCLUDED.credited_s
    RETURNING 1
  ),
  per_item AS (
    SELECT item_idx, sum(played) AS played, sum(completions)::int AS completions FROM (
      SELECT item_idx, applied AS played, 0 AS completions FROM applied
      UNION ALL
      SELECT item_idx, 0, CASE WHEN counts_now THEN 1 ELSE 0 END FROM judged
    ) x GROUP BY item_idx
  ),
  history_upserted AS (
    INSERT INTO watch_history AS h
      (user_id, media_type, media_id, season_number, episode_number, title, current_time_s,
       total_duration_s, progress, finished, completed_count, total_played_s, position_at,
       first_watched_at, last_watched_at, has_play)
    SELECT l.user_id, l.media_type, l.media_id, l.season_number, l.episode_number, l.title,
           c.current_time_s, c.total_duration_s, c.progress,
           ${reachedFinishSql('c.progress', 'LEAST(c.current_time_s, c.total_duration_s)', 'c.finished_percent', 'c.credits_start')},
           COALESCE(p.completions, 0), COALESCE(p.played, 0), c.last_at, l.first_at, c.last_at, c.is_play
    FROM live l JOIN positions c ON c.item_idx = l.idx LEFT JOIN per_item p ON p.item_idx = l.idx
    ORDER BY l.user_id, l.media_type, l.media_id, l.season_number, l.episode_number
    ON CONFLICT (user_id, media_type, media_id, season_number, episode_number) DO UPDATE SET
      title            = COALESCE(EXCLUDED.title, h.title),
      total_played_s   = h.total_played_s + EXCLUDED.total_played_s,
      completed_count  = h.completed_count + EXCLUDED.completed_count,
      current_time_s   = CASE WHEN ${MOVES} THEN EXCLUDED.current_time_s ELSE h.current_time_s END,
      total_duration_s = CASE WHEN ${MOVES} THEN EXCLUDED.total_duration_s ELSE h.total_duration_s END,
      progress         = CASE WHEN ${MOVES} THEN EXCLUDED.progress ELSE h.progress END,
      finished         = CASE WHEN ${MOVES} THEN EXCLUDED.finished ELSE h.finished END,
      position_at      = CASE WHEN ${MOVES} THEN EXCLUDED.position_at ELSE h.position_at END,
      last_watched_at  = CASE WHEN ${MOVES} THEN EXCLUDED.last_watched_at ELSE h.last_watched_at END,
      first_watched_at = LEAST(h.first_watched_at, EXCLUDED.first_watched_at),
      has_play         = h.has_play OR EXCLUDED.has_play
    RETURNING 1
  ),
  -- a heartbeat received after a hide unhides the item; one of any episode unhides its show (SPEC §7)
  unhidden AS (
    DELETE FROM history_hidden hh USING live l
    WHERE hh.user_id = l.user_id AND hh.media_type = l.media_type AND hh.media_id = l.media_id
      AND ((hh.season_number IS NULL AND hh.episode_number IS NULL)
           OR (hh.season_number = l.season_number AND hh.episode_number = l.episode_number))
      AND hh.hidden_at < l.received_at
    RETURNING 1
  ),
  -- seconds in the hour they were played in; a completion in the hour of the session's latest heartbeat
  bucket_parts AS (
    SELECT d.item_idx, d.hour, d.applied AS seconds, 0 AS completions FROM applied d WHERE abs(d.applied) > 1e-9
    UNION ALL
    SELECT e.item_idx, date_trunc('hour', e.seen_at, 'UTC'), 0, 1 FROM judged e WHERE e.counts_now
  ),
  buckets_upserted AS (
    INSERT INTO watch_buckets AS b (user_id, hour, media_type, media_id, season_number, episode_number, seconds, completions)
    SELECT l.user_id, p.hour, l.media_type, l.media_id, l.season_number, l.episode_number, sum(p.seconds), sum(p.completions)
    FROM bucket_parts p JOIN live l ON l.idx = p.item_idx
    GROUP BY 1, 2, 3, 4, 5, 6
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
  SELECT (SELECT count(*) FROM sessions_updated)::int AS sessions, (SELECT count(*) FROM unhidden)::int AS unhidden,
         (SELECT count(*) FROM history_upserted)::int AS items,
         (SELECT count(*) FROM buckets_upserted)::int AS buckets`;

export interface FlushResult {
  statements: number;
  rowsWritten: number;
}

/** The service settings a flush applies (per-user settings and credits come from the database). */
export interface FlushRules {
  /** FINISHED_PERCENT: the finished point for users who did not choose one. */
  finishedPercent: number;
  /** MIN_PLAY_SECONDS: credited seconds from which a session is a play. */
  minPlaySeconds: number;
  /** MAX_STREAMS_PER_USER: the per-user hourly ceiling. */
  maxStreamsPerUser: number;
}

/**
 * The statements of one flush, in order, with their parameters: a fixed number whatever the batch
 * size (arrays go through `unnest`, which also keeps us far from PostgreSQL's 65,535
 * bind-parameter limit). The last one returns the counts. Items are sorted by key so every
 * flush locks rows in the same order.
 */
export function flushStatements(items: PendingItem[], rules: FlushRules): [string, unknown[]][] {
  const sorted = [...items].sort((a, b) => compareKeys(a.key, b.key));
  const { i, s, c, h, userIds, days } = columns(sorted);
  const n = numberArray;
  const t = timestampArray;
  const sessionKeys = [s.userId, s.sessionId, s.mediaType, n(s.mediaId), n(s.season), n(s.episode)];
  return [
    [LOCK_USERS, [userIds]],
    [ENSURE_SESSIONS, sessionKeys],
    [LOCK_SESSIONS, [...sessionKeys, n(days)]],
    [APPLY_BATCH, [
      i.userId, i.mediaType, n(i.mediaId), n(i.season), n(i.episode), i.title, t(i.firstAt), t(i.receivedAt),
      n(s.itemIdx), s.sessionId, n(s.maxPlayed), t(s.firstAt), t(s.lastAt), n(s.peakProgress), n(s.peakTime),
      t(s.receivedAt), s.device, n(s.currentTime), n(s.totalDuration), n(s.fromTime), s.lastEvent,
      n(c.sessionIdx), t(c.at), n(c.maxPlayed), t(c.firstAt), t(c.lastAt), n(c.peakProgress), n(c.peakTime),
      n(h.sessionIdx), t(h.hour), n(h.maxPlayed),
      hourlyCeilingSeconds(rules.maxStreamsPerUser), rules.finishedPercent, rules.minPlaySeconds,
      n(c.ownPeakProgress), n(c.ownPeakTime),
    ]],
  ];
}

/** The write side of `watch_history`: one transaction with a fixed number of statements per flush. */
@Injectable()
export class PlaytimeRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Writes a coalesced batch (each key at most once). Four statements inside one transaction
   * (six with BEGIN/COMMIT) whatever the batch size (see `flushStatements`).
   */
  async applyBatch(items: PendingItem[]): Promise<FlushResult> {
    const plan = flushStatements(items, {
      finishedPercent: this.config.FINISHED_PERCENT, minPlaySeconds: this.config.MIN_PLAY_SECONDS, maxStreamsPerUser: this.config.MAX_STREAMS_PER_USER,
    });
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
 * one per receipt checkpoint and one per hour of a session (with the 1-based session index), and
 * the UTC days the batch's heartbeats fall on. Times are epoch milliseconds; `flushStatements`
 * turns the number and time columns into array literals (`numberArray`, `timestampArray`).
 */
export function columns(items: PendingItem[]) {
  const i = {
    userId: [] as string[], mediaType: [] as string[], mediaId: [] as number[], season: [] as (number | null)[],
    episode: [] as (number | null)[], title: [] as (string | null)[], firstAt: [] as number[], receivedAt: [] as number[],
  };
  const s = {
    itemIdx: [] as number[], userId: [] as string[], sessionId: [] as string[], mediaType: [] as string[],
    mediaId: [] as number[], season: [] as (number | null)[], episode: [] as (number | null)[],
    maxPlayed: [] as number[], firstAt: [] as number[], lastAt: [] as number[], peakProgress: [] as number[], peakTime: [] as number[],
    receivedAt: [] as number[], device: [] as (string | null)[], currentTime: [] as number[], totalDuration: [] as number[],
    fromTime: [] as number[], lastEvent: [] as string[],
  };
  const c = {
    sessionIdx: [] as number[], at: [] as number[], maxPlayed: [] as number[], firstAt: [] as number[], lastAt: [] as number[],
    peakProgress: [] as number[], peakTime: [] as number[], ownPeakProgress: [] as number[], ownPeakTime: [] as number[],
  };
  const h = { sessionIdx: [] as number[], hour: [] as number[], maxPlayed: [] as number[] };
  const users = new Set<string>();
  const days = new Set<number>();
  items.forEach((item, n) => {
    users.add(item.userId);
    i.userId.push(item.userId); i.mediaType.push(item.mediaType); i.mediaId.push(item.mediaId);
    i.season.push(item.seasonNumber); i.episode.push(item.episodeNumber); i.title.push(item.title);
    i.firstAt.push(item.firstAt); i.receivedAt.push(item.receivedAt);
    for (const [sessionId, sess] of item.sessions) {
      s.itemIdx.push(n + 1); s.userId.push(item.userId); s.sessionId.push(sessionId); s.mediaType.push(item.mediaType);
      s.mediaId.push(item.mediaId); s.season.push(item.seasonNumber); s.episode.push(item.episodeNumber);
      s.maxPlayed.push(sess.maxPlayed); s.firstAt.push(sess.firstAt); s.lastAt.push(sess.lastAt);
      s.peakProgress.push(sess.peakProgress); s.peakTime.push(sess.peakTime);
      s.receivedAt.push(sess.receipts[sess.receipts.length - 1].at);
      s.device.push(sess.device ? JSON.stringify(sess.device) : null);
      s.currentTime.push(sess.currentTime); s.totalDuration.push(sess.totalDuration); s.fromTime.push(sess.fromTime);
      s.lastEvent.push(sess.lastEvent);
      const sessionIdx = s.itemIdx.length;
      for (const r of sess.receipts) {
        c.sessionIdx.push(sessionIdx); c.at.push(r.at); c.maxPlayed.push(r.maxPlayed);
        c.firstAt.push(r.firstAt); c.lastAt.push(r.lastAt);
        c.peakProgress.push(r.peakProgress); c.peakTime.push(r.peakTime);
        c.ownPeakProgress.push(r.ownPeakProgress); c.ownPeakTime.push(r.ownPeakTime);
      }
      for (const [hour, played] of sess.hours) {
        h.sessionIdx.push(sessionIdx); h.hour.push(hour); h.maxPlayed.push(played);
        days.add(utcDayNumber(hour));
      }
      // a completion counts in the hour of the session's latest heartbeat
      days.add(utcDayNumber(sess.lastAt));
    }
  });
  return { i, s, c, h, userIds: [...users], days: [...days].sort((a, b) => a - b) };
}
