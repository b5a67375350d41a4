import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { SettingsService } from '../settings/settings.service.js';
import { itemKeyString, sessionKeyString, showKeyString } from '../watch/item-key.js';
import { sessionCredit, type StoredSession } from '../watch/overlay.js';
import type { PendingItem } from '../watch/pending.js';
import { reachedFinish } from '../watch/progress.js';
import { round } from '../watch/time.js';
import { overlayTitle } from '../watch/title.js';
import { UNFLUSHED_ITEMS, type UnflushedItems } from '../watch/unflushed-items.js';
import type { PlayResponse, PlaysQuery } from './dto/plays.schema.js';
import { encodeCursor, type HistoryCursor } from './history-cursor.js';
import { CurationRepository } from './curation.repository.js';
import { HistoryRepository } from './history.repository.js';
import { PlaysRepository, type PlaysFilter, type StoredPlay, type StoredPlaySession } from './plays.repository.js';

export interface PlaysPage {
  items: PlayResponse[];
  nextCursor: string | null;
}

/** The keyset id of a session the flush has not inserted yet: new rows get the largest ids. */
const NEW_ROW_ID = '9223372036854775807';
const EXPORT_CHUNK = 1000;

/** A play as listed: stored, or as the flush will store it (`cursor.id` NEW_ROW_ID when it has no row yet). */
type ListedPlay = StoredPlay;

interface Overlay {
  /** Unflushed sessions that are plays once flushed, as they will be stored. */
  fresh: ListedPlay[];
  /** `sessionKeyString` of every unflushed session: its stored row is replaced by (or, not a play, left out for) the overlay. */
  touched: Set<string>;
  /** Per `showKeyString`: the title rule with the unflushed titles in it. */
  titles: Map<string, string | null>;
}

/**
 * The plays log (SPEC §8): the user's sessions that are plays, newest `endedAt` first, with
 * read-your-own-writes: sessions this instance holds unflushed are shown as the flush will store
 * them (src/watch/overlay.ts), in their place in the keyset order on every page.
 */
@Injectable()
export class PlaysService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: PlaysRepository,
    private readonly history: HistoryRepository,
    private readonly curation: CurationRepository,
    @Inject(UNFLUSHED_ITEMS) private readonly ingest: UnflushedItems,
    private readonly settings: SettingsService,
  ) {}

  async list(userId: string, q: PlaysQuery): Promise<PlaysPage> {
    const filter: PlaysFilter = {
      mediaType: q.mediaType, mediaId: q.mediaId, seasonNumber: q.seasonNumber, episodeNumber: q.episodeNumber,
      from: q.from, before: q.to, after: q.cursor, limit: q.limit,
    };
    const rows = await this.repository.page(userId, filter);
    const full = rows.length === q.limit;
    const overlay = await this.overlay(userId);
    // unflushed plays between the cursor and the last row read (beyond it when the page is full: the next page's)
    const fresh = overlay.fresh.filter(
      (p) => matches(p, filter) && (!q.cursor || comparePlays(p, q.cursor) > 0) && (!full || comparePlays(p, rows[rows.length - 1].cursor) < 0),
    );
    const merged = [...fresh, ...rows.filter((r) => !overlay.touched.has(sessionKeyString(r, r.sessionId)))].sort(comparePlays);
    const shown = merged.slice(0, q.limit);
    const more = full || merged.length > q.limit;
    const last = shown[shown.length - 1];
    return {
      items: shown.map((p) => toResponse(p, overlay.titles)),
      nextCursor: more && last ? encodeCursor(last.cursor) : null,
    };
  }

  /** Every play of the user, newest first (the export). */
  async all(userId: string): Promise<PlayResponse[]> {
    const stored: StoredPlay[] = [];
    let after: HistoryCursor | undefined;
    for (;;) {
      const rows = await this.repository.page(userId, { after, limit: EXPORT_CHUNK });
      stored.push(...rows);
      if (rows.length < EXPORT_CHUNK) break;
      after = rows[rows.length - 1].cursor;
    }
    const overlay = await this.overlay(userId);
    return [...overlay.fresh, ...stored.filter((r) => !overlay.touched.has(sessionKeyString(r, r.sessionId)))]
      .sort(comparePlays)
      .map((p) => toResponse(p, overlay.titles));
  }

  /**
   * The user's unflushed sessions as the flush will store them: credit, delete and play rules of
   * the overlay (`sessionCredit`), the position of the latest and of the earliest heartbeat, the
   * finished point of the user's settings and the catalogue's credits now, the first device named.
   */
  private async overlay(userId: string): Promise<Overlay> {
    const pending = this.ingest.unflushedForUser(userId);
    const touched = new Set<string>();
    if (!pending.length) return { fresh: [], touched, titles: new Map() };
    const sessionIds = pending.flatMap((p) => [...p.sessions.keys()]);
    const [{ sessions, erasedAt }, facts, titleRule, settings] = await Promise.all([
      this.repository.sessionsAndDeletes(userId, sessionIds, pending),
      this.curation.keyFacts(userId, pending),
      this.history.itemTitles(pending),
      this.settings.effective(userId),
    ]);
    const fresh: ListedPlay[] = [];
    for (const p of pending) {
      const point = { finishedPercent: settings.finishedPercent, creditsStart: facts.get(itemKeyString(p))?.creditsStart ?? null };
      for (const [id, s] of p.sessions) {
        const key = sessionKeyString(p, id);
        touched.add(key);
        const old = sessions.get(key);
        const credit = sessionCredit(old && storedSession(old), s, erasedAt.get(itemKeyString(p)) ?? null, this.config.MIN_PLAY_SECONDS);
        if (credit.erased || !credit.isPlay) continue;
        const lastAt = Math.max(old?.lastAt ?? -Infinity, s.lastAt);
        const newer = !old || old.currentTime === null || s.lastAt >= old.lastAt;
        const earlier = !old || old.fromTime === null || s.firstAt < old.firstAt;
        fresh.push({
          userId, mediaType: p.mediaType, mediaId: p.mediaId, seasonNumber: p.seasonNumber, episodeNumber: p.episodeNumber,
          sessionId: id, title: null,
          firstAt: Math.min(old?.firstAt ?? Infinity, s.firstAt), lastAt,
          credited: credit.credited, erased: credit.erasedNew, playBase: credit.playBase, maxPlayed: Math.max(old?.maxPlayed ?? 0, s.maxPlayed),
          fromTime: earlier ? s.fromTime : old.fromTime, currentTime: newer ? s.currentTime : old.currentTime,
          completed: (old?.completed ?? false) || reachedFinish(Math.max(old?.peakProgress ?? 0, s.peakProgress), Math.max(old?.peakTime ?? 0, s.peakTime), point),
          device: old?.device ?? s.device,
          cursor: { at: new Date(lastAt).toISOString(), id: old?.cursor.id ?? NEW_ROW_ID },
        });
      }
    }
    return { fresh, touched, titles: pendingTitles(pending, titleRule) };
  }
}

/** The title rule per show once the unflushed heartbeats are stored: the catalogue's, else the newest unflushed title, else the stored rule's. */
function pendingTitles(pending: PendingItem[], rule: Map<string, { catalog: string | null; rule: string | null }>): Map<string, string | null> {
  const newest = new Map<string, PendingItem>();
  for (const p of pending) {
    const show = showKeyString(p);
    const had = newest.get(show);
    if (p.title !== null && (!had || p.titleAt > had.titleAt)) newest.set(show, p);
  }
  const titles = new Map<string, string | null>();
  for (const p of pending) {
    const show = showKeyString(p);
    const t = rule.get(show);
    titles.set(show, overlayTitle({ catalog: t?.catalog ?? null, unflushed: newest.get(show)?.title ?? null, stored: t?.rule ?? null, fallback: null }));
  }
  return titles;
}

function storedSession(s: StoredPlaySession): StoredSession {
  return {
    maxPlayed: s.maxPlayed, credited: s.credited, firstAt: s.firstAt, lastAt: s.lastAt, peakProgress: s.peakProgress, peakTime: s.peakTime,
    currentTime: s.currentTime, totalDuration: s.totalDuration, isPlay: s.isPlay, counted: s.counted, erased: s.erased, playBase: s.playBase,
  };
}

function matches(p: ListedPlay, f: PlaysFilter): boolean {
  return (f.mediaType === undefined || p.mediaType === f.mediaType) && (f.mediaId === undefined || p.mediaId === f.mediaId)
    && (f.seasonNumber === undefined || p.seasonNumber === f.seasonNumber) && (f.episodeNumber === undefined || p.episodeNumber === f.episodeNumber)
    && (f.from === undefined || p.lastAt >= f.from) && (f.before === undefined || p.lastAt < f.before);
}

/** PostgreSQL's text form of a timestamptz (`2025-12-15 14:30:00.123+00`) as epoch ms. */
function cursorMs(at: string): number {
  return Date.parse(at.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00'));
}

/** The keyset order, newest first: `endedAt`, then the row id, descending. Positive when `a` comes after `b`. */
function comparePlays(a: ListedPlay, b: ListedPlay | HistoryCursor): number {
  const [bAt, bId] = 'cursor' in b ? [b.lastAt, b.cursor.id] : [cursorMs(b.at), b.id];
  const [x, y] = [BigInt(bId), BigInt(a.cursor.id)];
  return bAt - a.lastAt || (x > y ? 1 : x < y ? -1 : 0);
}

function toResponse(p: ListedPlay, titles: Map<string, string | null>): PlayResponse {
  const show = showKeyString(p);
  return {
    sessionId: p.sessionId,
    mediaType: p.mediaType,
    mediaId: p.mediaId,
    seasonNumber: p.seasonNumber,
    episodeNumber: p.episodeNumber,
    title: titles.has(show) ? titles.get(show)! : p.title,
    startedAt: new Date(p.firstAt).toISOString(),
    endedAt: new Date(p.lastAt).toISOString(),
    playedSeconds: round(p.credited - p.erased - p.playBase, 3),
    fromPosition: p.fromTime === null ? null : round(p.fromTime, 3),
    toPosition: p.currentTime === null ? null : round(p.currentTime, 3),
    finished: p.completed,
    device: p.device,
  };
}
