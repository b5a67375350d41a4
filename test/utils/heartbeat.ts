import { randomUUID } from 'node:crypto';
import type { Heartbeat } from '../../src/playtime/heartbeat.js';

/** A validated movie heartbeat for feeding the batcher directly (past the HTTP edge); override any field. */
export function hb(over: Partial<Heartbeat> = {}): Heartbeat {
  return {
    sessionId: randomUUID(), mediaType: 'movie', mediaId: 1, seasonNumber: null, episodeNumber: null,
    currentTime: 10, totalDuration: 1000, playedSeconds: 10, event: 'progress', ...over,
  };
}
