import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { ItemKey } from '../playtime/heartbeat.js';
import type { StoredItem, StoredSession } from '../playtime/pending-item.js';

const ITEM_COLUMNS = `
  user_id, media_type, media_id, season_number, episode_number, title, current_time_s, total_duration_s,
  progress, finished, completed_count, total_played_s, position_at, last_watched_at`;

const SELECT_ITEM = `
  SELECT ${ITEM_COLUMNS}
  FROM watch_history
  WHERE user_id = $1 AND media_type = $2 AND media_id = $3
    AND season_number IS NOT DISTINCT FROM $4::int AND episode_number IS NOT DISTINCT FROM $5::int`;

const SELECT_SESSIONS = `
  SELECT session_id, max_played_s, credited_s, first_at, last_at, completed
  FROM watch_sessions
  WHERE user_id = $1 AND session_id = ANY($6::uuid[]) AND media_type = $2 AND media_id = $3
    AND season_number IS NOT DISTINCT FROM $4::int AND episode_number IS NOT DISTINCT FROM $5::int`;

interface ItemRow {
  user_id: string;
  media_type: 'movie' | 'tv';
  media_id: number;
  season_number: number | null;
  episode_number: number | null;
  title: string | null;
  current_time_s: number;
  total_duration_s: number;
  progress: number;
  finished: boolean;
  completed_count: number;
  total_played_s: number;
  position_at: Date;
  last_watched_at: Date;
}

interface SessionRow {
  session_id: string;
  max_played_s: number;
  credited_s: number;
  first_at: Date;
  last_at: Date;
  completed: boolean;
}

@Injectable()
export class HistoryRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** One stored item, and the stored state of the given sessions of it (for read-your-own-writes). */
  async findItem(key: ItemKey, sessionIds: string[]): Promise<{ item: StoredItem | null; sessions: Map<string, StoredSession> }> {
    const params = [key.userId, key.mediaType, key.mediaId, key.seasonNumber, key.episodeNumber];
    const [rows, sessionRows] = await Promise.all([
      this.dataSource.query(SELECT_ITEM, params) as Promise<ItemRow[]>,
      sessionIds.length
        ? (this.dataSource.query(SELECT_SESSIONS, [...params, sessionIds]) as Promise<SessionRow[]>)
        : Promise.resolve([] as SessionRow[]),
    ]);
    const sessions = new Map<string, StoredSession>();
    for (const s of sessionRows) {
      sessions.set(s.session_id, {
        maxPlayed: s.max_played_s,
        credited: s.credited_s,
        firstAt: s.first_at.getTime(),
        lastAt: s.last_at.getTime(),
        completed: s.completed,
      });
    }
    return { item: rows[0] ? toStoredItem(rows[0]) : null, sessions };
  }
}

function toStoredItem(r: ItemRow): StoredItem {
  return {
    userId: r.user_id,
    mediaType: r.media_type,
    mediaId: r.media_id,
    seasonNumber: r.season_number,
    episodeNumber: r.episode_number,
    title: r.title,
    currentTime: r.current_time_s,
    totalDuration: r.total_duration_s,
    progress: r.progress,
    finished: r.finished,
    completedCount: r.completed_count,
    totalPlayedSeconds: r.total_played_s,
    positionAt: r.position_at.getTime(),
    lastWatchedAt: r.last_watched_at.getTime(),
  };
}
