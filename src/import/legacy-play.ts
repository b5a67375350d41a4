import { createHash } from 'node:crypto';
import { progressOf } from '../watch/progress.js';
import { HOUR_MS, hourOf } from '../watch/time.js';
import type { LegacyDocument } from './dto/legacy-document.schema.js';

/**
 * The namespace of imported session ids (a random UUID fixed once): ids derived from it never
 * equal the ids of another namespace's name-based UUIDs.
 */
const IMPORT_NAMESPACE = Buffer.from('5b0c6f0e9a3d4c1f8e27d64a1c9b7f30', 'hex');

/** One imported document as the play it becomes: the columns of its session row. */
export interface LegacyPlay {
  userId: string;
  sessionId: string;
  mediaType: 'movie' | 'tv';
  mediaId: number;
  seasonNumber: number | null;
  episodeNumber: number | null;
  title: string | null;
  /** Epoch ms of `lastWatchedAt`: the session's first and latest heartbeat. */
  at: number;
  playedSeconds: number;
  currentTime: number;
  totalDuration: number;
  peakProgress: number;
  finished: boolean;
  /** The hour its seconds count in (as a heartbeat at `at` would: `hourOf`). */
  secondsHour: number;
  /** The hour its completion counts in (the flush's: the hour that holds the latest heartbeat). */
  completionHour: number;
}

/**
 * The session id of an imported document: a name-based UUID (version 5 layout: SHA-1 of a fixed
 * namespace and the name) of the user, the item, `lastWatchedAt` (to the millisecond, so any
 * spelling of the same instant gives the same id) and `totalPlayedSeconds`. The same document
 * imported again gets the same id and finds its session already there: nothing changes. A
 * document the old system updated since (watched more, later) is a different play.
 */
export function importedSessionId(d: Pick<LegacyDocument, 'userId' | 'mediaType' | 'mediaId' | 'seasonNumber' | 'episodeNumber' | 'totalPlayedSeconds'>, at: number): string {
  const name = JSON.stringify([d.userId, d.mediaType, d.mediaId, d.seasonNumber, d.episodeNumber, new Date(at).toISOString(), d.totalPlayedSeconds]);
  const bytes = createHash('sha1').update(IMPORT_NAMESPACE).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A validated document as one play ending at `lastWatchedAt`. */
export function legacyPlay(d: LegacyDocument): LegacyPlay {
  const at = d.lastWatchedAt;
  const currentTime = Math.min(d.currentTime, d.totalDuration);
  return {
    userId: d.userId,
    sessionId: importedSessionId(d, at),
    mediaType: d.mediaType,
    mediaId: d.mediaId,
    seasonNumber: d.seasonNumber,
    episodeNumber: d.episodeNumber,
    title: d.title,
    at,
    playedSeconds: d.totalPlayedSeconds,
    currentTime,
    totalDuration: d.totalDuration,
    peakProgress: Math.max(Math.round(d.progress), progressOf(currentTime, d.totalDuration)),
    finished: d.finished,
    secondsHour: hourOf(at),
    completionHour: Math.floor(at / HOUR_MS) * HOUR_MS,
  };
}
