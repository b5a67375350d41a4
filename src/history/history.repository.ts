/*
 * Past ~300 lines: every SQL statement of the history routes (list, resume, continue watching,
 * the overlay's one-snapshot read, deletes with their tombstones, export) lives here as named
 * constants, as the repository rule asks; the hot reads share one item select and one page
 * statement builder, which is why they stay together. Splitting the delete/export statements
 * into their own repository is the next step if it grows.
 */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { itemKeyString, sessionKeyString, showKeyString, type ItemKey, type MediaType } from '../watch/item-key.js';
import { LOCK_IDS, userLockKeySql } from '../watch/lock-ids.js';
import type { StoredItem, StoredSession } from '../watch/overlay.js';
import { creditsStartSql } from '../watch/credits.js';
import { Prepared } from '../database/prepared.js';
import { USER_SETTINGS_COLUMNS, userContinueWatchingDaysSql, type UserSettingsRow } from '../watch/settings.js';
import { DELETE_HIDDEN, factsOf, keyFactsSql, type KeyFacts } from './curation.repository.js';
import { catalogTitleSql, itemTitleSql } from '../watch/title.js';

export type { KeyFacts } from './curation.repository.js';

/**
 * Columns of a history item; the title is the title rule's (src/watch/title.ts), as in reports and
 * statistics. Every statement built on it has the user id as $1.
 */
const itemSelect = (extraColumns = '') => `
  SELECT h.id, h.user_id, h.media_type, h.media_id, h.season_number, h.episode_number,
         ${itemTitleSql('h.media_type', 'h.media_id')} AS title, h.current_time_s, h.total_duration_s, h.progress, h.finished,
         h.completed_count, h.total_played_s, h.position_at, h.last_watched_at, h.has_play,
         ${keyFactsSql('$1', 'h')},
         h.last_watched_at::text AS cursor_at${extraColumns}
  FROM watch_history h`;
const ITEM_SELECT = itemSelect();

/** The user's settings row as JSON (NULL: none), an InitPlan of one primary-key probe: $1 is the user. */
const USER_SETTINGS_COLUMN = `,
         (SELECT row_to_json(us) FROM (SELECT ${USER_SETTINGS_COLUMNS} FROM user_settings WHERE user_id = $1) us) AS user_settings`;

/**
 * The catalogue's episode after (season, episode) of a show: the next one in the season, else the
 * next season's first; specials (season 0) lead on only from specials.
 */
const nextEpisodeSql = (show: string, season: string, episode: string) => `
    SELECT ce.season_number, ce.episode_number, ce.runtime_seconds
    FROM catalog_episodes ce
    WHERE ce.media_id = ${show}
      AND (ce.season_number, ce.episode_number) > (${season}, ${episode})
      AND (ce.season_number > 0 OR ${season} = 0)
    ORDER BY ce.season_number, ce.episode_number
    LIMIT 1`;

/**
 * For continue watching, beside each item: the episode after it (JSON [season, episode, runtime];
 * NULL for a movie or the catalogue's last), an index probe per row in place of a second
 * statement. No show title: the item's own title already is the catalogue's when it has one.
 */
const NEXT_EPISODE_COLUMN = `,
         (SELECT json_build_array(e.season_number, e.episode_number, e.runtime_seconds)
          FROM (${nextEpisodeSql('h.media_id', 'h.season_number', 'h.episode_number')}) e
          WHERE h.media_type = 'tv') AS next_episode`;

/**
 * A page of the user's history, newest first, by keyset on (last_watched_at, id): an index range
 * scan on watch_history_user_recent whatever the page. `finished` is judged now, with the user's
 * percentage ($7) and the credits; $8 leaves out what was last watched before it (stale items,
 * an index bound; `staleBound` when $8 is NULL), $9 items without a play. Each optional bound is
 * folded into one that is always there, so the prepared statement's generic plan keeps both
 * bounds in the index condition.
 */
const listPage = (staleBound: string, extraColumns = '') => `${itemSelect(extraColumns)}
  WHERE h.user_id = $1
    AND ($2::text IS NULL OR h.media_type = $2)
    AND ($3::bool IS NULL OR (h.progress >= $7::int
         OR COALESCE(h.current_time_s >= ${creditsStartSql('h.media_type', 'h.media_id', 'h.season_number', 'h.episode_number')}, false)) = $3)
    AND (h.last_watched_at, h.id) < (COALESCE($4::timestamptz, 'infinity'), COALESCE($5::bigint, 9223372036854775807))
    AND h.last_watched_at >= COALESCE($8::timestamptz, ${staleBound})
    AND (NOT $9::bool OR h.has_play)
  ORDER BY h.last_watched_at DESC, h.id DESC
  LIMIT $6`;

export const LIST_PAGE = listPage(`'-infinity'`);

/**
 * Continue watching's first chunk, with the user's settings: the read's only round trip when this
 * instance holds nothing unflushed of the user (the usual case), where the settings would cost
 * one of their own. The stale bound comes from the user's continue_watching_days ($10 the service
 * default, 0 never stale) counted back from $11 (now), as `HistoryService` counts it; the settings
 * row (NULL without one) is an InitPlan beside each item: one primary-key probe. Each item also
 * carries its next episode.
 */
export const CONTINUE_FIRST_PAGE = listPage(
  `(SELECT CASE WHEN d.days > 0 THEN $11::timestamptz - make_interval(secs => d.days * 86400.0) ELSE '-infinity' END
    FROM (SELECT ${userContinueWatchingDaysSql('$1', '$10::int')} AS days) d)`,
  `${USER_SETTINGS_COLUMN}${NEXT_EPISODE_COLUMN}`,
);
const CONTINUE_FIRST_PAGE_PREPARED = new Prepared(CONTINUE_FIRST_PAGE);
/** Continue watching's further chunks: LIST_PAGE with the next episodes. */
const CONTINUE_PAGE_PREPARED = new Prepared(listPage(`'-infinity'`, NEXT_EPISODE_COLUMN));
const LIST_PAGE_PREPARED = new Prepared(LIST_PAGE);

/**
 * The title rule for the given keys, whether or not they are stored yet, and its catalogue part
 * alone: a heartbeat not flushed yet is more recent than any stored title, but not than the catalogue.
 */
const ITEM_TITLES = `
  SELECT k.media_type, k.media_id, ${catalogTitleSql('k.media_type', 'k.media_id')} AS catalog_title,
         ${itemTitleSql('k.media_type', 'k.media_id')} AS title
  FROM unnest($1::text[], $2::int[]) AS k(media_type, media_id)`;

const ITEMS_BY_KEYS = `${ITEM_SELECT}
  JOIN unnest($2::text[], $3::int[], $4::int[], $5::int[]) AS k(media_type, media_id, season_number, episode_number)
    ON h.media_type = k.media_type AND h.media_id = k.media_id
   AND h.season_number IS NOT DISTINCT FROM k.season_number AND h.episode_number IS NOT DISTINCT FROM k.episode_number
  WHERE h.user_id = $1`;

/**
 * One stored item with the user's settings: the whole of a resume read (GET of an item) when this
 * instance holds nothing unflushed of it, in one round trip.
 */
export const ITEM_WITH_SETTINGS = `${itemSelect(USER_SETTINGS_COLUMN)}
  WHERE h.user_id = $1 AND h.media_type = $2 AND h.media_id = $3
    AND h.season_number IS NOT DISTINCT FROM $4::int AND h.episode_number IS NOT DISTINCT FROM $5::int`;
const ITEM_WITH_SETTINGS_PREPARED = new Prepared(ITEM_WITH_SETTINGS);

/** Stored sessions with their credit per hour (epoch ms, largest playedSeconds, credit). */
const SESSIONS_BY_IDS = `
  SELECT session_id, media_type, media_id, season_number, episode_number, max_played_s, credited_s,
         first_at, last_at, erased_s, peak_progress, peak_time_s, current_time_s, total_duration_s, is_play, counted, play_base_s,
         COALESCE((SELECT json_agg(json_build_array(EXTRACT(EPOCH FROM sh.hour) * 1000, sh.max_played_s, sh.credited_s))
                   FROM watch_session_hours sh WHERE sh.session_id = ws.id), '[]') AS hours
  FROM watch_sessions ws
  WHERE user_id = $1 AND session_id = ANY($2::uuid[])`;

/** What the user's buckets hold per given hour: the per-user ceiling's starting point. */
const USED_BY_HOURS = `
  SELECT EXTRACT(EPOCH FROM hour) * 1000 AS hour, sum(seconds)::float8 AS seconds
  FROM watch_buckets WHERE user_id = $1 AND hour = ANY($2::timestamptz[])
  GROUP BY hour`;

/** The episode after each given one, from the catalogue. */
export const NEXT_EPISODES = `
  SELECT s.show_id, e.season_number, e.episode_number, e.runtime_seconds
  FROM unnest($1::int[], $2::int[], $3::int[]) AS s(show_id, season_number, episode_number)
  CROSS JOIN LATERAL (${nextEpisodeSql('s.show_id', 's.season_number', 's.episode_number')}
  ) e`;
const NEXT_EPISODES_PREPARED = new Prepared(NEXT_EPISODES);

const CATALOG_RUNTIME = `
  SELECT COALESCE(
    (SELECT runtime_seconds FROM catalog_episodes WHERE $1 = 'tv' AND media_id = $2 AND season_number = $3 AND episode_number = $4),
    (SELECT runtime_seconds FROM catalog_items WHERE media_type = $1 AND media_id = $2 AND $1 = 'movie')
  ) AS runtime`;

const MARK_WATCHED_EXISTING = `
  UPDATE watch_history SET current_time_s = total_duration_s, progress = 100, finished = true, has_play = true,
         position_at = GREATEST(position_at, $6), last_watched_at = GREATEST(last_watched_at, $6)
  WHERE user_id = $1 AND media_type = $2 AND media_id = $3
    AND season_number IS NOT DISTINCT FROM $4::int AND episode_number IS NOT DISTINCT FROM $5::int`;

const MARK_WATCHED_NEW = `
  INSERT INTO watch_history (user_id, media_type, media_id, season_number, episode_number, current_time_s,
                             total_duration_s, progress, finished, position_at, first_watched_at, last_watched_at, has_play)
  VALUES ($1, $2, $3, $4, $5, $7, $7, 100, true, $6, $6, $6, true)
  ON CONFLICT (user_id, media_type, media_id, season_number, episode_number) DO NOTHING`;

const MARK_UNWATCHED = `
  UPDATE watch_history SET current_time_s = 0, progress = 0, finished = false,
         position_at = GREATEST(position_at, $6), last_watched_at = GREATEST(last_watched_at, $6)
  WHERE user_id = $1 AND media_type = $2 AND media_id = $3
    AND season_number IS NOT DISTINCT FROM $4::int AND episode_number IS NOT DISTINCT FROM $5::int`;

/** The per-user lock: waits for flushes under way for this user (they hold the same lock). */
const LOCK_USER = `SELECT pg_advisory_xact_lock(${LOCK_IDS.user}, ${userLockKeySql('$1')})`;

/**
 * Remembers the delete so that heartbeats received before it, flushed later anywhere, are ignored,
 * but only when that can happen: this instance still has such data in a flush ($7), or another
 * live instance ($8 is this one, $9 the lease in ms) reported a low-water mark at or before the
 * delete, i.e. it may hold data received before it. An instance cannot hold data older than
 * its low-water mark: it reports the oldest receipt time it holds, and anything it receives later
 * is newer; it registers before it takes requests. A delete with no other instance running, or of
 * something nobody is playing, leaves no tombstone.
 */
const TOMBSTONE = `
  INSERT INTO history_tombstones (user_id, media_type, media_id, season_number, episode_number, deleted_at)
  SELECT $1, $2, $3, $4, $5, $6::timestamptz
  WHERE $7::bool OR EXISTS (
    SELECT 1 FROM ingest_instances
    WHERE instance_id <> $8::uuid AND low_water <= $6::timestamptz
      AND seen_at > $6::timestamptz - make_interval(secs => $9::float8 / 1000))
  ON CONFLICT (user_id, media_type, media_id, season_number, episode_number)
    DO UPDATE SET deleted_at = GREATEST(history_tombstones.deleted_at, EXCLUDED.deleted_at)`;

/**
 * The sessions of a deleted item or show: kept only as a baseline for sessions that go on. How
 * far they got goes with the history: a session that goes on is judged on its later heartbeats.
 */
const ERASE_SESSIONS = `
  UPDATE watch_sessions SET erased = true, is_play = false, play_base_s = credited_s, peak_progress = 0, peak_time_s = 0
  WHERE user_id = $1 AND media_type = $2 AND media_id = $3
    AND ($4::int IS NULL OR (season_number = $4 AND episode_number = $5))`;

/**
 * The latest tombstone covering each key, as the flush finds it: three exact-key index probes
 * (the user, the show or movie, the episode).
 */
export const TOMBSTONES_BY_KEYS = `
  SELECT k.media_type, k.media_id, k.season_number, k.episode_number, GREATEST(
    (SELECT d.deleted_at FROM history_tombstones d
      WHERE d.user_id = $1 AND d.media_type IS NULL AND d.media_id IS NULL AND d.season_number IS NULL AND d.episode_number IS NULL),
    (SELECT d.deleted_at FROM history_tombstones d
      WHERE d.user_id = $1 AND d.media_type = k.media_type AND d.media_id = k.media_id AND d.season_number IS NULL AND d.episode_number IS NULL),
    (SELECT d.deleted_at FROM history_tombstones d
      WHERE d.user_id = $1 AND d.media_type = k.media_type AND d.media_id = k.media_id
        AND d.season_number = k.season_number AND d.episode_number = k.episode_number)
  ) AS erased_at
  FROM unnest($2::text[], $3::int[], $4::int[], $5::int[]) AS k(media_type, media_id, season_number, episode_number)`;

/** One item, or a whole show when season/episode are null. */
const DELETE_ITEMS = `
  DELETE FROM watch_history
  WHERE user_id = $1 AND media_type = $2 AND media_id = $3
    AND ($4::int IS NULL OR (season_number = $4 AND episode_number = $5))`;

const DELETE_ALL = [
  `DELETE FROM watch_history WHERE user_id = $1`,
  `DELETE FROM history_hidden WHERE user_id = $1`,
  `DELETE FROM user_settings WHERE user_id = $1`,
  `DELETE FROM watch_buckets WHERE user_id = $1`,
  `DELETE FROM watch_sessions WHERE user_id = $1`,
];

const EXPORT_SESSIONS = `
  SELECT session_id AS "sessionId", media_type AS "mediaType", media_id AS "mediaId", season_number AS "seasonNumber",
         episode_number AS "episodeNumber", max_played_s AS "maxPlayedSeconds", credited_s AS "creditedSeconds",
         first_at AS "firstHeartbeatAt", last_at AS "lastHeartbeatAt", completed, device
  FROM watch_sessions WHERE user_id = $1 AND NOT erased ORDER BY first_at`;

const EXPORT_BUCKETS = `
  SELECT hour, media_type AS "mediaType", media_id AS "mediaId", season_number AS "seasonNumber",
         episode_number AS "episodeNumber", seconds
  FROM watch_buckets WHERE user_id = $1 ORDER BY hour`;

/** [season, episode, runtime seconds] */
type NextEpisodeJson = [number, number, number | null];

interface ItemRow {
  /** Only in continue watching's statements. */
  next_episode?: NextEpisodeJson | null;
  id: string;
  user_id: string;
  media_type: MediaType;
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
  has_play: boolean;
  credits_start: number | null;
  item_hidden_at: Date | null;
  show_hidden_at: Date | null;
  cursor_at: string;
}

interface SessionRow {
  session_id: string;
  media_type: MediaType;
  media_id: number;
  season_number: number | null;
  episode_number: number | null;
  max_played_s: number;
  credited_s: number;
  first_at: Date;
  last_at: Date;
  erased_s: number;
  peak_progress: number;
  peak_time_s: number;
  current_time_s: number | null;
  total_duration_s: number | null;
  is_play: boolean;
  counted: boolean;
  play_base_s: number;
  hours: [number, number, number][];
}

/** A stored item with its read-time facts and its position in the keyset order. */
export interface ListedItem extends StoredItem, KeyFacts {
  cursor: { at: string; id: string };
  /** When read: the catalogue's episode after this one (null: none, or not an episode). */
  nextEpisode?: NextEpisode | null;
}

export interface ListFilter {
  mediaType?: MediaType;
  finished?: boolean;
  /** The user's finished percentage, for the `finished` filter. */
  finishedPercent: number;
  after?: { at: string; id: string };
  /** Only items last watched at or after this (epoch ms). */
  watchedSince?: number;
  onlyPlays?: boolean;
  /** Each item with the catalogue's episode after it (`ListedItem.nextEpisode`). */
  withNextEpisodes?: boolean;
  limit: number;
}


export interface NextEpisode {
  showId: number;
  seasonNumber: number;
  episodeNumber: number;
  runtimeSeconds: number | null;
}

/** What a delete needs to decide whether its tombstone can matter. */
export interface TombstoneContext {
  /** This instance holds data in scope received at or before the delete (in a flush under way). */
  heldHere: boolean;
  instanceId: string;
  leaseMs: number;
}

export type DeleteScope = { mediaType: MediaType; mediaId: number; seasonNumber: number | null; episodeNumber: number | null } | null;

@Injectable()
export class HistoryRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async list(userId: string, f: ListFilter): Promise<ListedItem[]> {
    const rows = await (f.withNextEpisodes ? CONTINUE_PAGE_PREPARED : LIST_PAGE_PREPARED).rows<ItemRow>(this.dataSource, [
      userId, f.mediaType ?? null, f.finished ?? null, f.after?.at ?? null, f.after?.id ?? null, f.limit, f.finishedPercent,
      f.watchedSince === undefined ? null : new Date(f.watchedSince), f.onlyPlays ?? false,
    ]);
    return rows.map(toListedItem);
  }

  /** One stored item and the user's settings row (null: none); undefined when the item is not stored. */
  async findOneWithSettings(key: ItemKey): Promise<{ item: ListedItem; settings: UserSettingsRow | null } | undefined> {
    const [row] = await ITEM_WITH_SETTINGS_PREPARED.rows<ItemRow & { user_settings: UserSettingsRow | null }>(this.dataSource, [
      key.userId, key.mediaType, key.mediaId, key.seasonNumber, key.episodeNumber,
    ]);
    return row && { item: toListedItem(row), settings: row.user_settings };
  }

  /**
   * The first `limit` items with a play that are not stale, newest first, and the user's settings
   * row (null: none; read beside the items, so only known when there are some).
   */
  async continueFirstPage(
    userId: string,
    p: { limit: number; defaultContinueWatchingDays: number; finishedPercent: number; now: number },
  ): Promise<{ items: ListedItem[]; settings: UserSettingsRow | null }> {
    const rows = await CONTINUE_FIRST_PAGE_PREPARED.rows<ItemRow & { user_settings: UserSettingsRow | null }>(this.dataSource, [
      userId, null, null, null, null, p.limit, p.finishedPercent, null, true, p.defaultContinueWatchingDays, new Date(p.now),
    ]);
    return { items: rows.map(toListedItem), settings: rows[0]?.user_settings ?? null };
  }

  /**
   * The stored state the read-your-own-writes overlay starts from: items, their sessions, delete
   * marks and, for the per-user ceiling, the seconds already in the given hours (epoch ms).
   * All of it is read in one REPEATABLE READ snapshot: read on separate connections, a flush
   * committing in between gave new session maxima next to old item totals, and the overlay then
   * added nothing (a read right after a heartbeat showed too little).
   */
  async findItems(
    userId: string,
    keys: Omit<ItemKey, 'userId'>[],
    sessionIds: string[],
    hours: number[] = [],
  ): Promise<{ items: Map<string, ListedItem>; sessions: Map<string, StoredSession>; erased: Map<string, number>; used: Map<number, number> }> {
    const keyParams = [
      userId, keys.map((k) => k.mediaType), keys.map((k) => k.mediaId), keys.map((k) => k.seasonNumber), keys.map((k) => k.episodeNumber),
    ];
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    let rows: ItemRow[] = [];
    let sessionRows: SessionRow[] = [];
    let tombstones: (Omit<SessionRow, 'session_id'> & { erased_at: Date | null })[] = [];
    let usedRows: { hour: string; seconds: number }[] = [];
    try {
      await runner.startTransaction('REPEATABLE READ');
      try {
        if (keys.length) rows = (await runner.query(ITEMS_BY_KEYS, keyParams)) as ItemRow[];
        if (sessionIds.length) sessionRows = (await runner.query(SESSIONS_BY_IDS, [userId, sessionIds])) as SessionRow[];
        if (keys.length && sessionIds.length) tombstones = (await runner.query(TOMBSTONES_BY_KEYS, keyParams)) as typeof tombstones;
        if (hours.length) usedRows = (await runner.query(USED_BY_HOURS, [userId, hours.map((h) => new Date(h))])) as typeof usedRows;
      } finally {
        await runner.commitTransaction().catch(() => undefined);
      }
    } finally {
      await runner.release();
    }
    const items = new Map<string, ListedItem>();
    for (const r of rows) items.set(keyOf(userId, r), toListedItem(r));
    const erased = new Map<string, number>();
    for (const t of tombstones) if (t.erased_at) erased.set(keyOf(userId, t), t.erased_at.getTime());
    const sessions = new Map<string, StoredSession>();
    for (const s of sessionRows) {
      sessions.set(sessionKeyString(itemKeyOfRow(userId, s), s.session_id), {
        maxPlayed: s.max_played_s, credited: s.credited_s, firstAt: s.first_at.getTime(), lastAt: s.last_at.getTime(),
        peakProgress: s.peak_progress, peakTime: s.peak_time_s, currentTime: s.current_time_s, totalDuration: s.total_duration_s,
        isPlay: s.is_play, counted: s.counted, playBase: s.play_base_s, erased: s.erased_s, hours: new Map(s.hours.map(([h, max, credited]) => [Number(h), { maxPlayed: max, credited }])),
      });
    }
    return { items, sessions, erased, used: new Map(usedRows.map((r) => [Number(r.hour), r.seconds])) };
  }

  /** Per `showKeyString`: the catalogue's title and the title rule's (both null when unknown). */
  async itemTitles(keys: { mediaType: string; mediaId: number }[]): Promise<Map<string, { catalog: string | null; rule: string | null }>> {
    if (!keys.length) return new Map();
    const rows = (await this.dataSource.query(ITEM_TITLES, [keys.map((k) => k.mediaType), keys.map((k) => k.mediaId)])) as {
      media_type: string; media_id: number; catalog_title: string | null; title: string | null;
    }[];
    return new Map(rows.map((r) => [showKeyString({ mediaType: r.media_type, mediaId: r.media_id }), { catalog: r.catalog_title, rule: r.title }]));
  }

  async nextEpisodes(after: { showId: number; seasonNumber: number; episodeNumber: number }[]): Promise<NextEpisode[]> {
    if (!after.length) return [];
    const rows = await NEXT_EPISODES_PREPARED.rows<{
      show_id: number; season_number: number; episode_number: number; runtime_seconds: number | null;
    }>(this.dataSource, [after.map((a) => a.showId), after.map((a) => a.seasonNumber), after.map((a) => a.episodeNumber)]);
    return rows.map((r) => ({
      showId: r.show_id, seasonNumber: r.season_number, episodeNumber: r.episode_number, runtimeSeconds: r.runtime_seconds,
    }));
  }

  /** Marks finished; creates the item from the catalogue runtime if never watched. False if unknown. */
  async markWatched(key: ItemKey, at: Date): Promise<boolean> {
    const params = [key.userId, key.mediaType, key.mediaId, key.seasonNumber, key.episodeNumber, at];
    const updated = await this.dataSource.query(MARK_WATCHED_EXISTING, params);
    if (affected(updated) > 0) return true;
    const [{ runtime }] = (await this.dataSource.query(CATALOG_RUNTIME, [key.mediaType, key.mediaId, key.seasonNumber, key.episodeNumber])) as { runtime: number | null }[];
    if (!runtime) return false;
    await this.dataSource.query(MARK_WATCHED_NEW, [...params, runtime]);
    return true;
  }

  async markUnwatched(key: ItemKey, at: Date): Promise<boolean> {
    const result = await this.dataSource.query(MARK_UNWATCHED, [key.userId, key.mediaType, key.mediaId, key.seasonNumber, key.episodeNumber, at]);
    return affected(result) > 0;
  }

  /**
   * Deletes one item, a show, or (scope null) all of the user's history and statistics. Takes the
   * user's lock exclusively, so a flush under way for this user commits first and is deleted too;
   * the tombstone (written only when it can matter, see TOMBSTONE) keeps heartbeats received
   * before `at` out of later flushes.
   */
  async delete(userId: string, scope: DeleteScope, at: Date, bookkeeping: TombstoneContext): Promise<number> {
    return this.dataSource.transaction(async (m) => {
      await m.query(LOCK_USER, [userId]);
      await m.query(TOMBSTONE, [
        userId, scope?.mediaType ?? null, scope?.mediaId ?? null, scope?.seasonNumber ?? null, scope?.episodeNumber ?? null, at,
        bookkeeping.heldHere, bookkeeping.instanceId, bookkeeping.leaseMs,
      ]);
      if (!scope) {
        const deleted: number[] = [];
        for (const sql of DELETE_ALL) deleted.push(affected(await m.query(sql, [userId])));
        return deleted[0];
      }
      const params = [userId, scope.mediaType, scope.mediaId, scope.seasonNumber, scope.episodeNumber];
      await m.query(ERASE_SESSIONS, params);
      await m.query(DELETE_HIDDEN, params);
      return affected(await m.query(DELETE_ITEMS, params));
    });
  }

  async exportRaw(userId: string): Promise<{ sessions: unknown[]; hourly: unknown[] }> {
    const [sessions, hourly] = await Promise.all([
      this.dataSource.query(EXPORT_SESSIONS, [userId]) as Promise<unknown[]>,
      this.dataSource.query(EXPORT_BUCKETS, [userId]) as Promise<unknown[]>,
    ]);
    return { sessions, hourly };
  }
}

/** TypeORM returns `[rows, affectedCount]` for UPDATE/DELETE on PostgreSQL. */
function affected(result: unknown): number {
  return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
}

type KeyRow = { media_type: MediaType; media_id: number; season_number: number | null; episode_number: number | null };

function itemKeyOfRow(userId: string, r: KeyRow): ItemKey {
  return { userId, mediaType: r.media_type, mediaId: r.media_id, seasonNumber: r.season_number, episodeNumber: r.episode_number };
}

/** Rows of one user's queries, keyed as everywhere else (`itemKeyString`). */
function keyOf(userId: string, r: KeyRow): string {
  return itemKeyString(itemKeyOfRow(userId, r));
}

function toListedItem(r: ItemRow): ListedItem {
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
    hasPlay: r.has_play,
    ...factsOf(r),
    cursor: { at: r.cursor_at, id: String(r.id) },
    ...(r.next_episode !== undefined && { nextEpisode: r.next_episode && nextEpisodeOf(r.media_id, r.next_episode) }),
  };
}

function nextEpisodeOf(showId: number, [seasonNumber, episodeNumber, runtimeSeconds]: NextEpisodeJson): NextEpisode {
  return { showId, seasonNumber, episodeNumber, runtimeSeconds };
}
