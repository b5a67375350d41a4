import { randomUUID } from 'node:crypto';
import type { TestApp } from '../utils/create-app.js';

export interface SessionRow {
  userId: string;
  first: string | Date;
  last: string | Date;
  sessionId?: string;
  mediaType?: 'movie' | 'tv';
  mediaId?: number;
  seasonNumber?: number | null;
  episodeNumber?: number | null;
  currentTime?: number | null;
  totalDuration?: number | null;
  event?: 'start' | 'progress' | 'pause' | 'stop' | null;
  device?: Record<string, string> | null;
  erased?: boolean;
  credited?: number;
  completed?: boolean;
}

/**
 * One `watch_sessions` row written by SQL, for reads that only look at the session table (now
 * playing, concurrency): its span, position and latest event exactly as given, whatever the flush
 * would have made of heartbeats. Returns the row.
 */
export async function sessionRow(t: Pick<TestApp, 'db'>, s: SessionRow): Promise<Record<string, unknown>> {
  const tv = s.mediaType === 'tv';
  const { rows } = await t.db.query(
    `INSERT INTO watch_sessions (user_id, session_id, media_type, media_id, season_number, episode_number, max_played_s, credited_s,
       first_at, last_at, completed, current_time_s, total_duration_s, last_event, device, erased)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING *`,
    [
      s.userId, s.sessionId ?? randomUUID(), s.mediaType ?? 'movie', s.mediaId ?? 550,
      s.seasonNumber ?? (tv ? 1 : null), s.episodeNumber ?? (tv ? 1 : null), s.credited ?? 0,
      new Date(s.first), new Date(s.last), s.completed ?? false, s.currentTime ?? null, s.totalDuration ?? null,
      s.event ?? null, s.device ? JSON.stringify(s.device) : null, s.erased ?? false,
    ],
  );
  return rows[0] as Record<string, unknown>;
}
