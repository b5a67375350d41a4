import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { progressOf } from '../watch/progress.js';
import { NOW_PLAYING_WINDOW_S, type NowPlaying } from './dto/now-playing.schema.js';
import { NowPlayingRepository, type NowPlayingRow } from './now-playing.repository.js';

@Injectable()
export class NowPlayingService {
  constructor(
    private readonly repository: NowPlayingRepository,
    private readonly clock: Clock,
  ) {}

  /** Sessions whose latest heartbeat is at most NOW_PLAYING_WINDOW_S old (by the injected clock) and not a stop. */
  async list(limit: number): Promise<NowPlaying> {
    const since = new Date(this.clock.now() - NOW_PLAYING_WINDOW_S * 1000);
    const rows = await this.repository.sessions(since, limit);
    return { count: rows.length ? Number(rows[0].total) : 0, sessions: rows.map(toSession) };
  }
}

function toSession(r: NowPlayingRow): NowPlaying['sessions'][number] {
  const known = r.current_time_s !== null && r.total_duration_s !== null && r.total_duration_s > 0;
  return {
    userId: r.user_id,
    sessionId: r.session_id,
    mediaType: r.media_type,
    mediaId: r.media_id,
    seasonNumber: r.season_number,
    episodeNumber: r.episode_number,
    title: r.title,
    currentTime: r.current_time_s,
    totalDuration: r.total_duration_s,
    progress: known ? progressOf(r.current_time_s!, r.total_duration_s!) : null,
    event: r.last_event as NowPlaying['sessions'][number]['event'],
    device: r.device,
    startedAt: r.first_at.toISOString(),
    lastSeenAt: r.last_at.toISOString(),
  };
}
