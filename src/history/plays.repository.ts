import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Device } from '../watch/pending.js';
import { itemKeyString, sessionKeyString, type ItemKey, type MediaType } from '../watch/item-key.js';
import { itemTitleSql } from '../watch/title.js';
import { TOMBSTONES_BY_KEYS } from './history.repository.js';

/** Columns of a play as listed (SPEC §8); the title is the title rule's (src/watch/title.ts). */
const PLAY_COLUMNS = `
  ws.id, ws.session_id, ws.media_type, ws.media_id, ws.season_number, ws.episode_number,
  ws.first_at, ws.last_at, ws.credited_s, ws.erased_s, ws.play_base_s, ws.max_played_s, ws.from_time_s, ws.current_time_s,
  ws.completed, ws.device, ws.last_at::text AS cursor_at`;

/**
 * A page of the user's plays (sessions that are plays and not erased by a delete), newest
 * `last_at` first, by keyset on (last_at, id): an index range scan on `watch_sessions_plays`,
 * whose predicate this WHERE repeats. $6/$7 bound `last_at` ($7 exclusive); the item filters
 * ($2–$5) are checked on the rows the index walk returns.
 */
export const PLAYS_PAGE = `
  SELECT ${PLAY_COLUMNS}, ${itemTitleSql('ws.media_type', 'ws.media_id')} AS title
  FROM watch_sessions ws
  WHERE ws.user_id = $1 AND ws.is_play AND NOT ws.erased
    AND ($2::text IS NULL OR ws.media_type = $2)
    AND ($3::int IS NULL OR ws.media_id = $3)
    AND ($4::int IS NULL OR ws.season_number = $4)
    AND ($5::int IS NULL OR ws.episode_number = $5)
    AND ($6::timestamptz IS NULL OR ws.last_at >= $6)
    AND ($7::timestamptz IS NULL OR ws.last_at < $7)
    AND ($8::timestamptz IS NULL OR (ws.last_at, ws.id) < ($8::timestamptz, $9::bigint))
  ORDER BY ws.last_at DESC, ws.id DESC
  LIMIT $10`;

/** Stored rows of the given sessions of a user, whatever their state: the starting point of the overlay. */
const SESSIONS_BY_IDS = `
  SELECT ${PLAY_COLUMNS}, ws.is_play, ws.erased, ws.peak_progress, ws.peak_time_s, ws.total_duration_s, ws.counted
  FROM watch_sessions ws
  WHERE ws.user_id = $1 AND ws.session_id = ANY($2::uuid[])`;

export interface PlaysFilter {
  mediaType?: MediaType;
  mediaId?: number;
  seasonNumber?: number;
  episodeNumber?: number;
  /** Epoch ms: ended at or after. */
  from?: number;
  /** Epoch ms: ended before (exclusive). */
  before?: number;
  after?: { at: string; id: string };
  limit: number;
}

/** A stored play as listed, with its place in the keyset order. */
export interface StoredPlay extends ItemKey {
  sessionId: string;
  title: string | null;
  firstAt: number;
  lastAt: number;
  credited: number;
  erased: number;
  /** Credit when a delete of its item erased it (`play_base_s`): not part of the play in the new history. */
  playBase: number;
  maxPlayed: number;
  fromTime: number | null;
  currentTime: number | null;
  completed: boolean;
  device: Device | null;
  cursor: { at: string; id: string };
}

/** A stored session with what the overlay needs to apply unflushed heartbeats to it. */
export interface StoredPlaySession extends StoredPlay {
  isPlay: boolean;
  isErased: boolean;
  peakProgress: number;
  peakTime: number;
  totalDuration: number | null;
  counted: boolean;
}

interface PlayRow {
  id: string;
  session_id: string;
  media_type: MediaType;
  media_id: number;
  season_number: number | null;
  episode_number: number | null;
  title?: string | null;
  first_at: Date;
  last_at: Date;
  credited_s: number;
  erased_s: number;
  play_base_s: number;
  max_played_s: number;
  from_time_s: number | null;
  current_time_s: number | null;
  completed: boolean;
  device: Device | null;
  cursor_at: string;
}

type SessionRow = PlayRow & {
  is_play: boolean;
  erased: boolean;
  peak_progress: number;
  peak_time_s: number;
  total_duration_s: number | null;
  counted: boolean;
};

@Injectable()
export class PlaysRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async page(userId: string, f: PlaysFilter): Promise<StoredPlay[]> {
    const rows = (await this.dataSource.query(PLAYS_PAGE, [
      userId, f.mediaType ?? null, f.mediaId ?? null, f.seasonNumber ?? null, f.episodeNumber ?? null,
      f.from === undefined ? null : new Date(f.from), f.before === undefined ? null : new Date(f.before),
      f.after?.at ?? null, f.after?.id ?? null, f.limit,
    ])) as PlayRow[];
    return rows.map((r) => toPlay(userId, r));
  }

  /**
   * Per `sessionKeyString`: the stored sessions of the given ids; per `itemKeyString`: the latest
   * delete covering each given item (epoch ms), as the flush finds it. One snapshot, so a flush
   * committing in between cannot pair new sessions with old tombstones.
   */
  async sessionsAndDeletes(
    userId: string,
    sessionIds: string[],
    keys: Omit<ItemKey, 'userId'>[],
  ): Promise<{ sessions: Map<string, StoredPlaySession>; erasedAt: Map<string, number> }> {
    const keyParams = [
      userId, keys.map((k) => k.mediaType), keys.map((k) => k.mediaId), keys.map((k) => k.seasonNumber), keys.map((k) => k.episodeNumber),
    ];
    const [sessionRows, tombstones] = await this.dataSource.transaction('REPEATABLE READ', async (m) => [
      (await m.query(SESSIONS_BY_IDS, [userId, sessionIds])) as SessionRow[],
      (await m.query(TOMBSTONES_BY_KEYS, keyParams)) as (KeyRow & { erased_at: Date | null })[],
    ]);
    const sessions = new Map<string, StoredPlaySession>();
    for (const r of sessionRows) {
      const play = toPlay(userId, r);
      sessions.set(sessionKeyString(play, r.session_id), {
        ...play, isPlay: r.is_play, isErased: r.erased, peakProgress: r.peak_progress, peakTime: r.peak_time_s,
        totalDuration: r.total_duration_s, counted: r.counted,
      });
    }
    const erasedAt = new Map<string, number>();
    for (const t of tombstones) if (t.erased_at) erasedAt.set(itemKeyString(keyOf(userId, t)), t.erased_at.getTime());
    return { sessions, erasedAt };
  }
}

type KeyRow = { media_type: MediaType; media_id: number; season_number: number | null; episode_number: number | null };

function keyOf(userId: string, r: KeyRow): ItemKey {
  return { userId, mediaType: r.media_type, mediaId: r.media_id, seasonNumber: r.season_number, episodeNumber: r.episode_number };
}

function toPlay(userId: string, r: PlayRow): StoredPlay {
  return {
    ...keyOf(userId, r),
    sessionId: r.session_id,
    title: r.title ?? null,
    firstAt: r.first_at.getTime(),
    lastAt: r.last_at.getTime(),
    credited: r.credited_s,
    erased: r.erased_s,
    playBase: r.play_base_s,
    maxPlayed: r.max_played_s,
    fromTime: r.from_time_s,
    currentTime: r.current_time_s,
    completed: r.completed,
    device: r.device,
    cursor: { at: r.cursor_at, id: String(r.id) },
  };
}
