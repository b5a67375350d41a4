/** A heartbeat that passed validation (see `dto/heartbeat.schema.ts`). */
export interface Heartbeat {
  sessionId: string;
  mediaType: 'movie' | 'tv';
  mediaId: number;
  seasonNumber: number | null;
  episodeNumber: number | null;
  currentTime: number;
  totalDuration: number;
  playedSeconds: number;
  event: 'start' | 'progress' | 'pause' | 'stop';
  title?: string | null;
  occurredAt?: Date;
  /** Where the session plays; an empty device is normalised to null at the edge. */
  device?: Device | null;
}

/** What a client says about the device a session plays on (SPEC §4). */
export interface Device {
  id?: string;
  name?: string;
  platform?: string;
}

/** What identifies a history item: one row of `watch_history`. */
export interface ItemKey {
  userId: string;
  mediaType: 'movie' | 'tv';
  mediaId: number;
  seasonNumber: number | null;
  episodeNumber: number | null;
}

export function itemKeyString(k: ItemKey): string {
  return `${k.userId}\u0000${k.mediaType}\u0000${k.mediaId}\u0000${k.seasonNumber ?? ''}\u0000${k.episodeNumber ?? ''}`;
}

/** `round(100 × currentTime / totalDuration)`, with a position past the end clamped to the end. */
export function progressOf(currentTime: number, totalDuration: number): number {
  const pct = Math.round((100 * Math.min(currentTime, totalDuration)) / totalDuration);
  return Math.max(0, Math.min(100, pct));
}

/**
 * The most a session may be credited: twice the wall-clock span of its heartbeats plus a minute
 * (a 2× playback rate and one heartbeat interval of slack). Claims beyond it are clamped.
 */
export function plausibleCap(firstAtMs: number, lastAtMs: number): number {
  return (2 * (lastAtMs - firstAtMs)) / 1000 + 60;
}
