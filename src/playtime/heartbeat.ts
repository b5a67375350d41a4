import type { MediaType } from '../watch/item-key.js';
import type { Device } from '../watch/pending.js';

/** A heartbeat that passed validation (see `dto/heartbeat.schema.ts`). */
export interface Heartbeat {
  sessionId: string;
  mediaType: MediaType;
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
