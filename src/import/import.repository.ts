import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { LOCK_USERS } from '../playtime/playtime.repository.js';
import { WATCH_HOURS_JOB } from '../reporting/reporting.repository.js';
import { creditsStartSql } from '../watch/credits.js';
import { LOCK_IDS } from '../watch/lock-ids.js';
import { progressSql, reachedFinishSql } from '../watch/progress.js';
import { userFinishedPercentSql } from '../watch/settings.js';
import { utcDayNumber } from '../watch/time.js';
import type { LegacyPlay } from './legacy-play.js';
import { isRetryableDbError } from '../database/db-errors.js';

/** Attempts per chunk on a deadlock, serialization failure or lock timeout. */
const IMPORT_RETRIES = 5;

/**
 * Shared locks on the UTC days whose buckets the import changes, in order, as the flush takes
 * them (LOCK_SESSIONS): a roll-up of such a day either runs first (and the import marks it
 * stale) or waits for the import to commit and reads its buckets.
 */
export const LOCK_DAYS = `
  SELECT count(pg_advisory_xact_lock_shared(${LOCK_IDS.bucketDay}, d))::int AS days
  FROM (SELECT DISTINCT d FROM unnest($1::int[]) AS d ORDER BY 1) AS x`;

/**
 * Moves the item's position (the flush's MOVES rule, src/playtime/playtime.repository.ts, with an
 * imported play on the incoming side): the item's first play always takes over; over a play, only
 * a play as late or later by event time.
 */
const MOVES = `(NOT h.has_play OR EXCLUDED.position_at >= h.position_at)`;

/**
 * One chunk of imported plays, one statement (after the locks). Each play becomes a session row
 * whose id is derived from the document (ON CONFLICT DO NOTHING: a document imported before
 * finds its row and adds nothing). Only the rows inserted now go on: their seconds into their
 * hour (`watch_session_hours`, the buckets), their completions, their item's totals and, where
 * the play is the item's latest event, its position. A rolled-up day whose buckets changed is
 * marked stale, as the flush does.
 *
 * Per item, several new plays in one chunk are summed and the latest (by `lastWatchedAt`, then by
 * place in the body: $16) gives the position, so a chunk applies as its documents would one by
 * one. Plays are exempt from the plausibility clamp and the per-user hourly ceiling: the old
 * system's totals are what there is to trust.
 */
export const APPLY_IMPORT = `
  WITH docs AS (
    SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::int[], $5::int[], $6::int[], $7::text[], $8::timestamptz[],
                         $9::float8[], $10::float8[], $11::float8[], $12::int2[], $13::bool[], $14::timestamptz[], $15::timestamptz[], $16::int[])
      AS d(user_id, session_id, media_type, media_id, season_number, episode_number, title, at, played_s, current_time_s,
           total_duration_s, peak_progress, finished, seconds_hour, completion_hour, ord)
  ),
  inserted AS (
    INSERT INTO watch_sessions (user_id, session_id, media_type, media_id, season_number, episode_number, max_played_s, credited_s,
                                first_at, last_at, completed, current_time_s, total_duration_s, from_time_s, last_event,
                                peak_progress, peak_time_s, is_play, counted)
    SELECT user_id, session_id, media_type, media_id, season_number, episode_number, played_s, played_s,
           at, at, finished, current_time_s, total_duration_s, current_time_s, 'stop',
           peak_progress, current_time_s, true, finished
    FROM docs
    ORDER BY user_id, session_id, media_type, media_id, season_number, episode_number
    ON CONFLICT (user_id, session_id, media_type, media_id, season_number, episode_number) DO NOTHING
    RETURNING id, user_id, session_id
  ),
  fresh AS (
    SELECT d.*, i.id FROM docs d JOIN inserted i ON i.user_id = d.user_id AND i.session_id = d.session_id
  ),
  hours_inserted AS (
    INSERT INTO watch_session_hours (session_id, hour, max_played_s, credited_s)
    SELECT id, seconds_hour, played_s, played_s FROM fresh ORDER BY 1
    RETURNING 1
  ),
  -- per item (one upsert row each): the sums, and the position of its latest new play
  per_item AS (
    SELECT user_id, media_type, media_id, season_number, episode_number,
           sum(played_s) AS played_s, count(*) FILTER (WHERE finished)::int AS completions, min(at) AS first_at, max(at) AS at,
           (array_agg(title ORDER BY at DESC, ord DESC) FILTER (WHERE title IS NOT NULL))[1] AS title,
           (array_agg(current_time_s ORDER BY at DESC, ord DESC))[1] AS current_time_s,
           (array_agg(total_duration_s ORDER BY at DESC, ord DESC))[1] AS total_duration_s
    FROM fresh GROUP BY user_id, media_type, media_id, season_number, episode_number
  ),
  latest AS (
    SELECT p.*, ${progressSql('p.current_time_s', 'p.total_duration_s')} AS progress,
           ${userFinishedPercentSql('p.user_id', '$17::int')} AS finished_percent,
           ${creditsStartSql('p.media_type', 'p.media_id', 'p.season_number', 'p.episode_number')} AS credits_start
    FROM per_item p
  ),
  history_upserted AS (
    INSERT INTO watch_history AS h
      (user_id, media_type, media_id, season_number, episode_number, title, current_time_s, total_duration_s, progress, finished,
       completed_count, total_played_s, position_at, first_watched_at, last_watched_at, has_play)
    SELECT l.user_id, l.media_type, l.media_id, l.season_number, l.episode_number, l.title, l.current_time_s, l.total_duration_s,
           l.progress, ${reachedFinishSql('l.progress', 'l.current_time_s', 'l.finished_percent', 'l.credits_start')},
           l.completions, l.played_s, l.at, l.first_at, l.at, true
    FROM latest l
    ORDER BY l.user_id, l.media_type, l.media_id, l.season_number, l.episode_number
    ON CONFLICT (user_id, media_type, media_id, season_number, episode_number) DO UPDATE SET
      title            = CASE WHEN ${MOVES} THEN COALESCE(EXCLUDED.title, h.title) ELSE COALESCE(h.title, EXCLUDED.title) END,
      total_played_s   = h.total_played_s + EXCLUDED.total_played_s,
      completed_count  = h.completed_count + EXCLUDED.completed_count,
      current_time_s   = CASE WHEN ${MOVES} THEN EXCLUDED.current_time_s ELSE h.current_time_s END,
      total_duration_s = CASE WHEN ${MOVES} THEN EXCLUDED.total_duration_s ELSE h.total_duration_s END,
      progress         = CASE WHEN ${MOVES} THEN EXCLUDED.progress ELSE h.progress END,
      finished         = CASE WHEN ${MOVES} THEN EXCLUDED.finished ELSE h.finished END,
      position_at      = CASE WHEN ${MOVES} THEN EXCLUDED.position_at ELSE h.position_at END,
      last_watched_at  = CASE WHEN ${MOVES} THEN EXCLUDED.last_watched_at ELSE h.last_watched_at END,
      first_watched_at = LEAST(h.first_watched_at, EXCLUDED.first_watched_at),
      has_play         = true
    RETURNING 1
  ),
  bucket_parts AS (
    SELECT user_id, seconds_hour AS hour, media_type, media_id, season_number, episode_number, played_s AS seconds, 0 AS completions
    FROM fresh WHERE played_s > 0
    UNION ALL
    SELECT user_id, completion_hour, media_type, media_id, season_number, episode_number, 0, 1 FROM fresh WHERE finished
  ),
  buckets_upserted AS (
    INSERT INTO watch_buckets AS b (user_id, hour, media_type, media_id, season_number, episode_number, seconds, completions)
    SELECT user_id, hour, media_type, media_id, season_number, episode_number, sum(seconds), sum(completions)
    FROM bucket_parts GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (user_id, hour, media_type, media_id, season_number, episode_number)
      DO UPDATE SET seconds = b.seconds + EXCLUDED.seconds, completions = b.completions + EXCLUDED.completions
    RETURNING b.hour
  ),
  reports_made_stale AS (
    UPDATE report_runs r SET finished_at = NULL
    WHERE r.job = '${WATCH_HOURS_JOB}' AND r.finished_at IS NOT NULL
      AND r.period IN (SELECT DISTINCT (hour AT TIME ZONE 'UTC')::date FROM buckets_upserted)
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM inserted)::int AS imported, (SELECT count(*) FROM history_upserted)::int AS items,
         (SELECT count(*) FROM hours_inserted)::int AS hours, (SELECT count(*) FROM reports_made_stale)::int AS stale`;

/** The column arrays of APPLY_IMPORT, and the users and days to lock first. */
export function importColumns(plays: LegacyPlay[]) {
  const cols: unknown[][] = Array.from({ length: 16 }, () => []);
  const users = new Set<string>();
  const days = new Set<number>();
  plays.forEach((p, n) => {
    const row = [
      p.userId, p.sessionId, p.mediaType, p.mediaId, p.seasonNumber, p.episodeNumber, p.title, new Date(p.at), p.playedSeconds,
      p.currentTime, p.totalDuration, p.peakProgress, p.finished, new Date(p.secondsHour), new Date(p.completionHour), n,
    ];
    row.forEach((v, c) => cols[c].push(v));
    users.add(p.userId);
    days.add(utcDayNumber(p.secondsHour)).add(utcDayNumber(p.completionHour));
  });
  return { cols, users: [...users], days: [...days] };
}

@Injectable()
export class ImportRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Stores one chunk (each session id at most once) in one transaction: the users' locks in one
   * order (as the flush and deletes take them), the days' bucket locks, then APPLY_IMPORT; again
   * on a deadlock. Returns how many plays were new.
   */
  async apply(plays: LegacyPlay[], finishedPercent: number): Promise<number> {
    if (!plays.length) return 0;
    const { cols, users, days } = importColumns(plays);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dataSource.transaction(async (m) => {
          await m.query(LOCK_USERS, [users]);
          await m.query(LOCK_DAYS, [days]);
          const [result] = (await m.query(APPLY_IMPORT, [...cols, finishedPercent])) as { imported: number }[];
          return result.imported;
        });
      } catch (err) {
        // Writers in parallel (or a flush) can deadlock on the stale marks of rolled-up report
        // days; the chunk rolled back whole, so it is simply written again.
        if (attempt >= IMPORT_RETRIES || !isRetryableDbError(err)) throw err;
        await new Promise((r) => setTimeout(r, 20 * attempt + Math.random() * 50));
      }
    }
  }
}
