import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { sessionSpanSql } from '../watch/session-span.js';

/*
 * Parameters: $1 first day, $2 last day (calendar days in $3, inclusive), $3 IANA zone, $4 the
 * interval ('5m', '1h' or '1d'). The window is [midnight of $1 in $3, midnight of $2 + 1 in $3);
 * with the values bound, the bounds fold to constants and the span condition becomes an index
 * condition on watch_sessions_span.
 */
const W0 = `(($1::date)::timestamp AT TIME ZONE $3::text)`;
const W1 = `(($2::date + 1)::timestamp AT TIME ZONE $3::text)`;

/**
 * Per interval, the most users and the most sessions playing at one moment (SPEC §6). A session
 * plays over the closed range first..latest heartbeat (src/watch/session-span.ts).
 *
 * - Intervals: `1d` are the zone's calendar days (23 or 25 hours across a DST change); `5m` and
 *   `1h` are fixed steps from the zone's midnight of $1, so in a zone half an hour off UTC an
 *   hour starts at :30 UTC, as its local hours do. Every interval of the window is listed.
 * - Sweep line: each session is +1 at its start (or the window's start, if earlier) and −1 at its
 *   end (none if it ends after the window); a running sum in time order is the number playing
 *   after each event. At one instant starts come before ends (both ends of a span are included,
 *   so a session ending at t and one starting at t overlap), and a 0 event at each interval's
 *   start carries in what plays across the boundary. An interval's peak is the largest running
 *   sum of its events.
 * - Viewers: each user's overlapping (or touching) sessions are merged into one span first
 *   (gaps and islands: a span opens a new island when it starts after every earlier span of the
 *   user has ended), then swept the same way; so two sessions of one user count once.
 */
export const CONCURRENCY = `
  WITH w AS (
    SELECT ${W0} AS w0, ${W1} AS w1,
           CASE $4::text WHEN '5m' THEN interval '5 minutes' WHEN '1h' THEN interval '1 hour' END AS step
  ),
  slots AS (
    SELECT n AS slot, ($1::date + n)::timestamp AT TIME ZONE $3::text AS start
    FROM generate_series(0, $2::date - $1::date) AS n
    WHERE $4::text = '1d'
    UNION ALL
    SELECT n, w.w0 + n * w.step
    FROM w, generate_series(0, ceil(extract(epoch FROM w.w1 - w.w0) / extract(epoch FROM w.step))::int - 1) AS n
    WHERE $4::text <> '1d'
  ),
  sessions AS (
    SELECT ws.user_id, GREATEST(ws.first_at, w.w0) AS s, ws.last_at AS e
    FROM watch_sessions ws, w
    WHERE ${sessionSpanSql('ws')} && tstzrange(${W0}, ${W1}, '[)')
  ),
  marked AS (
    SELECT user_id, s, e,
           CASE WHEN s <= max(e) OVER (PARTITION BY user_id ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                THEN 0 ELSE 1 END AS opens
    FROM sessions
  ),
  islands AS (
    SELECT user_id, s, e, sum(opens) OVER (PARTITION BY user_id ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS island
    FROM marked
  ),
  viewers AS (
    SELECT min(s) AS s, max(e) AS e FROM islands GROUP BY user_id, island
  ),
  events AS (
    SELECT 0 AS kind, s AS t, 1 AS d FROM sessions
    UNION ALL SELECT 0, e, -1 FROM sessions, w WHERE e < w.w1
    UNION ALL SELECT 1, s, 1 FROM viewers
    UNION ALL SELECT 1, e, -1 FROM viewers, w WHERE e < w.w1
    UNION ALL SELECT k.kind, sl.start, 0 FROM slots sl, (VALUES (0), (1)) AS k(kind)
  ),
  levels AS (
    SELECT kind, t, sum(d) OVER (PARTITION BY kind ORDER BY t, d DESC ROWS UNBOUNDED PRECEDING) AS level
    FROM events
  ),
  peaks AS (
    SELECT l.kind,
           CASE WHEN $4::text = '1d' THEN (l.t AT TIME ZONE $3::text)::date - $1::date
                ELSE floor(extract(epoch FROM l.t - w.w0) / extract(epoch FROM w.step))::int END AS slot,
           max(l.level) AS peak
    FROM levels l, w
    GROUP BY 1, 2
  )
  SELECT sl.start, COALESCE(v.peak, 0)::int AS peak_viewers, COALESCE(s.peak, 0)::int AS peak_sessions
  FROM slots sl
  LEFT JOIN peaks s ON s.kind = 0 AND s.slot = sl.slot
  LEFT JOIN peaks v ON v.kind = 1 AND v.slot = sl.slot
  ORDER BY sl.start`;

export type ConcurrencyInterval = '5m' | '1h' | '1d';

export interface ConcurrencyRow {
  start: Date;
  peak_viewers: number;
  peak_sessions: number;
}

@Injectable()
export class ConcurrencyRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async peaks(from: string, to: string, tz: string, interval: ConcurrencyInterval): Promise<ConcurrencyRow[]> {
    return this.dataSource.query(CONCURRENCY, [from, to, tz, interval]) as Promise<ConcurrencyRow[]>;
  }
}
