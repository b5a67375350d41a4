// Generated from the service's OpenAPI document (GET /docs-json) by test/client/openapi-to-ts.ts.
// Do not edit by hand: test/client/api-types.spec.ts fails when this file and /docs-json disagree.
// Regenerate with: UPDATE_API_TYPES=1 npx jest test/client/api-types

export interface Accepted {
  /** Heartbeats accepted by this request. */
  accepted: number;
}

export interface CatalogEntry {
  mediaType: 'movie' | 'tv';
  mediaId: number;
  title: string;
  overview: string | null;
  releaseYear: number | null;
  /** Seconds; for a show, the typical length of an episode. */
  runtimeSeconds: number | null;
  /** movie only: where the end credits begin, seconds; absent when unknown (a show has it per episode). */
  creditsStartSeconds?: number;
  genres: string[];
  posterUrl: string | null;
  /** tv only, by season number. */
  seasons?: Array<{
    seasonNumber: number;
    /** By episode number. */
    episodes: Array<{
      episodeNumber: number;
      title: string | null;
      runtimeSeconds: number | null;
      /** Where the end credits begin, seconds; absent when unknown. */
      creditsStartSeconds?: number;
    }>;
  }>;
}

export interface CatalogSearchResult {
  /** Title matches first by prefix, then by title; without seasons. */
  items: CatalogEntry[];
}

export interface ContinueWatching {
  items: Array<{
    mediaType: 'movie' | 'tv';
    mediaId: number;
    seasonNumber: number | null;
    episodeNumber: number | null;
    title: string | null;
    /** Position of the latest heartbeat, seconds. */
    currentTime: number;
    totalDuration: number;
    /** round(100 × currentTime / totalDuration) */
    progress: number;
    /** Where a player should seek: currentTime, or 0 when finished, below your minResumePercent, or the item is shorter than MIN_RESUME_DURATION_SECONDS. */
    resumeAt: number;
    /** Sum over sessions of the largest playedSeconds, clamped for plausibility (per session) and to MAX_STREAMS_PER_USER × 3600 s per user and UTC hour. */
    totalPlayedSeconds: number;
    /** The position is at or past the finished point now: your finishedPercent (else FINISHED_PERCENT), or the catalogue’s creditsStartSeconds when that comes first. */
    finished: boolean;
    /** Plays (sessions of at least MIN_PLAY_SECONDS) that reached the finished point in force when they were stored. */
    completedCount: number;
    /** Time of the heartbeat the position comes from: once the item has a play, only plays move it. */
    lastWatchedAt: string;
    /** Hidden from continue watching (the item or its show); a heartbeat received after the hide unhides it. */
    hidden: boolean;
    /** `next-episode`: the episode after a finished one, from the catalogue. */
    reason: 'resume' | 'next-episode';
  }>;
}

/** Where the session plays. A session keeps the device of its first heartbeat that had one. */
export interface Device {
  /** A client-chosen id of the device (at most 100 characters). */
  id?: string;
  /** A name the viewer recognises (at most 100 characters). */
  name?: string;
  /** e.g. web, ios, android, tizen, webos (at most 100 characters). */
  platform?: string;
}

export interface Heartbeat {
  /** One playback session (Play to stop, one device). Compared case-insensitively. */
  sessionId: string;
  mediaType: 'movie' | 'tv';
  mediaId: number;
  /** Required for tv, absent or null for movie. */
  seasonNumber?: number | null;
  /** Required for tv, absent or null for movie. */
  episodeNumber?: number | null;
  /** Position in seconds (at most 10,000,000); a position past the end is clamped. */
  currentTime: number;
  /** Duration in seconds (at most 10,000,000). */
  totalDuration: number;
  /** Seconds actually played in this session so far (cumulative, never a delta; at most 10,000,000). */
  playedSeconds: number;
  event?: 'start' | 'progress' | 'pause' | 'stop';
  title?: string | null;
  /** When the heartbeat was produced (ISO 8601 with offset), for offline catch-up. Not in the future, at most 30 days old. */
  occurredAt?: string;
  /** Where the session plays; the first heartbeat of a session that names one sets it for good. */
  device?: Device | null;
}

export interface HeartbeatBatch {
  /** Up to 100 heartbeats, validated as a whole. */
  heartbeats: Heartbeat[];
}

export interface HeartbeatBeacon {
  /** One playback session (Play to stop, one device). Compared case-insensitively. */
  sessionId: string;
  mediaType: 'movie' | 'tv';
  mediaId: number;
  /** Required for tv, absent or null for movie. */
  seasonNumber?: number | null;
  /** Required for tv, absent or null for movie. */
  episodeNumber?: number | null;
  /** Position in seconds (at most 10,000,000); a position past the end is clamped. */
  currentTime: number;
  /** Duration in seconds (at most 10,000,000). */
  totalDuration: number;
  /** Seconds actually played in this session so far (cumulative, never a delta; at most 10,000,000). */
  playedSeconds: number;
  event?: 'start' | 'progress' | 'pause' | 'stop';
  title?: string | null;
  /** When the heartbeat was produced (ISO 8601 with offset), for offline catch-up. Not in the future, at most 30 days old. */
  occurredAt?: string;
  /** Where the session plays; the first heartbeat of a session that names one sets it for good. */
  device?: Device | null;
  /** The bearer token (sendBeacon cannot set headers). */
  accessToken: string;
}

export interface HistoryItem {
  mediaType: 'movie' | 'tv';
  mediaId: number;
  seasonNumber: number | null;
  episodeNumber: number | null;
  title: string | null;
  /** Position of the latest heartbeat, seconds. */
  currentTime: number;
  totalDuration: number;
  /** round(100 × currentTime / totalDuration) */
  progress: number;
  /** Where a player should seek: currentTime, or 0 when finished, below your minResumePercent, or the item is shorter than MIN_RESUME_DURATION_SECONDS. */
  resumeAt: number;
  /** Sum over sessions of the largest playedSeconds, clamped for plausibility (per session) and to MAX_STREAMS_PER_USER × 3600 s per user and UTC hour. */
  totalPlayedSeconds: number;
  /** The position is at or past the finished point now: your finishedPercent (else FINISHED_PERCENT), or the catalogue’s creditsStartSeconds when that comes first. */
  finished: boolean;
  /** Plays (sessions of at least MIN_PLAY_SECONDS) that reached the finished point in force when they were stored. */
  completedCount: number;
  /** Time of the heartbeat the position comes from: once the item has a play, only plays move it. */
  lastWatchedAt: string;
  /** Hidden from continue watching (the item or its show); a heartbeat received after the hide unhides it. */
  hidden: boolean;
}

export interface HistoryPage {
  items: HistoryItem[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface UserStats {
  /** Seconds played in the window, summed over every item (3 decimals). */
  totalSeconds: number;
  /** totalSeconds / 3600, rounded to 2 decimals. */
  totalHours: number;
  /** History items (a movie, or one episode) first watched in the window. */
  itemsStarted: number;
  /** History items that are finished now and whose latest activity (lastWatchedAt) is in the window. An item finished and then played again from an earlier position is not finished any more and is not counted. */
  itemsFinished: number;
  /** Seconds per media type; both keys are always present. */
  byMediaType: {
    /** Seconds of movies. */
    movie: number;
    /** Seconds of tv episodes. */
    tv: number;
  };
  /** Every day of the window in order, days with nothing played included (seconds 0). */
  daily: Array<{
    date: string;
    /** Seconds played during this calendar day in tz. */
    seconds: number;
  }>;
  /** The 10 most watched titles of the window, most seconds first; episodes count towards their show. */
  topTitles: Array<{
    mediaType: 'movie' | 'tv';
    /** For tv, the show. */
    mediaId: number;
    /** The catalogue's title when it knows the item, else the most recent title any heartbeat carried for it (for a show: for any of its episodes), else null. The same title as in the watch-hours reports. */
    title: string | null;
    /** Seconds played in the window; for tv, all episodes of the show together. */
    seconds: number;
  }>;
  /** Seconds played in each local hour of the day in tz, hour 0 (midnight to 1 am) first, 24 numbers summed over the window. Time is kept per UTC hour and counts towards the local hour in which that UTC hour starts. */
  byHourOfDay: number[];
  /** Seconds played on each local weekday in tz, Monday first (Monday … Sunday), summed over the window. */
  byWeekday: number[];
}

/** The JSON answer of each operation the client calls, by "METHOD /path" as documented. */
export interface ApiResponses {
  'POST /v1/playtime': Accepted;
  'POST /v1/playtime/batch': Accepted;
  'GET /v1/history': HistoryPage;
  'GET /v1/history/continue-watching': ContinueWatching;
  'GET /v1/history/{mediaType}/{mediaId}': HistoryItem;
  'GET /v1/stats/me': UserStats;
  'GET /v1/catalog': CatalogSearchResult;
  'GET /v1/catalog/{mediaType}/{mediaId}': CatalogEntry;
}
