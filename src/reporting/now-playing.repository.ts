import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { MediaType } from '../watch/item-key.js';
import type { Device } from '../watch/pending.js';
import { sessionSpanSql } from '../watch/session-span.js';
import { itemTitleSql } from '../watch/title.js';

/**
 * Sessions whose latest heartbeat is at or after `$1` and not a stop, newest first, at most `$2`
 * of them; `total` counts them all. The span condition is what `watch_sessions_span` answers (a
 * span reaches past `$1` exactly when its latest heartbeat does); `last_at` repeats it for the
 * reader. A session whose latest event is not known yet (NULL) is taken as playing. Every
 * instance's flushes write here, so this sees all of them, one flush late at most.
 */
export const NOW_PLAYING = `
  WITH live AS (
    SELECT ws.id, ws.user_id, ws.session_id, ws.media_type, ws.media_id, ws.season_number, ws.episode_number,
           ws.current_time_s, ws.total_duration_s, ws.last_event, ws.device, ws.first_at, ws.last_at,
           count(*) OVER () AS total
    FROM watch_sessions ws
    WHERE ${sessionSpanSql('ws')} && tstzrange($1::timestamptz, NULL)
      AND ws.last_at >= $1::timestamptz
      AND ws.last_event IS DISTINCT FROM 'stop'
      AND NOT ws.erased
    ORDER BY ws.last_at DESC, ws.id DESC
    LIMIT $2::int
  )
  SELECT l.*, ${itemTitleSql('l.media_type', 'l.media_id')} AS title
  FROM live l
  ORDER BY l.last_at DESC, l.id DESC`;

export interface NowPlayingRow {
  user_id: string;
  session_id: string;
  media_type: MediaType;
  media_id: number;
  season_number: number | null;
  episode_number: number | null;
  title: string | null;
  current_time_s: number | null;
  total_duration_s: number | null;
  last_event: string | null;
  device: Device | null;
  first_at: Date;
  last_at: Date;
  total: string;
}

@Injectable()
export class NowPlayingRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async sessions(since: Date, limit: number): Promise<NowPlayingRow[]> {
    return this.dataSource.query(NOW_PLAYING, [since.toISOString(), limit]) as Promise<NowPlayingRow[]>;
  }
}
