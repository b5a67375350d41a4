import { randomUUID } from 'node:crypto';
import type { Heartbeat } from '../../src/playtime/heartbeat.js';
import { foldHeartbeat, type PendingItem } from '../../src/playtime/pending-item.js';
import { PlaytimeRepository } from '../../src/playtime/playtime.repository.js';
import type { TestApp } from '../utils/create-app.js';
import { hb } from '../utils/heartbeat.js';

export interface WatchedSession extends Partial<Heartbeat> {
  userId: string;
  /** Event time of the session's first heartbeat. */
  at: string | Date;
  /** Seconds the session is credited. */
  seconds: number;
}

/**
 * One playback session stored by the service's own flush (`PlaytimeRepository.applyBatch`), so
 * its session, history and hourly rows are what real heartbeats leave. Its two heartbeats are
 * just far enough apart for the plausibility clamp (2 × span + 60 s) to credit all of `seconds`,
 * so a session that starts at the top of an hour and is credited under about two hours lands in
 * that hour's bucket. Returns the item's history row.
 */
export async function watchedSession(t: Pick<TestApp, 'app' | 'config' | 'clock' | 'db'>, w: WatchedSession) {
  const { userId, at, seconds, ...over } = w;
  const start = new Date(at).getTime();
  // Two heartbeats even for a short session: a heartbeat reports what was played before it, so
  // one alone at the top of an hour would credit the hour before.
  const span = Math.max(1, Math.ceil((seconds - 60) / 2));
  const first = hb({ sessionId: randomUUID(), ...over, playedSeconds: 0, occurredAt: new Date(start) });
  const beats = [first, { ...first, playedSeconds: seconds, occurredAt: new Date(start + span * 1000) }];
  const items = new Map<string, PendingItem>();
  for (const beat of beats) foldHeartbeat(items, userId, beat, t.clock.now());
  await t.app.get(PlaytimeRepository).applyBatch([...items.values()]);
  const { rows } = await t.db.query(
    `SELECT * FROM watch_history WHERE user_id = $1 AND media_type = $2 AND media_id = $3
       AND season_number IS NOT DISTINCT FROM $4 AND episode_number IS NOT DISTINCT FROM $5`,
    [userId, first.mediaType, first.mediaId, first.seasonNumber, first.episodeNumber],
  );
  return rows[0] as Record<string, unknown>;
}
