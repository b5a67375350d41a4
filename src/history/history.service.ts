import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { IngestRegistry } from '../watch/ingest-registry.js';
import { itemKeyString, sessionKeyString, showKeyString, type ItemKey, type MediaType } from '../watch/item-key.js';
import { applyPendingForUser, type StoredItem, type StoredSession } from '../watch/overlay.js';
import type { PendingItem } from '../watch/pending.js';
import { hourlyCeilingSeconds } from '../watch/plausibility.js';
import { isResumable, resumeAt, type ProgressThresholds } from '../watch/progress.js';
import { round } from '../watch/time.js';
import { overlayTitle } from '../watch/title.js';
import { UNFLUSHED_ITEMS, type UnflushedItems } from '../watch/unflushed-items.js';
import type { HistoryItemResponse } from './dto/history-item.schema.js';
import { encodeCursor, type HistoryCursor } from './history-cursor.js';
import { HistoryRepository, type DeleteScope, type ListedItem } from './history.repository.js';

export interface HistoryPage {
  items: HistoryItemResponse[];
  nextCursor: string | null;
}

export type ContinueItem = HistoryItemResponse & { reason: 'resume' | 'next-episode' };

/** Rows read per step when walking the history newest-first for continue-watching. */
const WALK_CHUNK = 50;
const WALK_MAX_STEPS = 20;

@Injectable()
export class HistoryService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: HistoryRepository,
    @Inject(UNFLUSHED_ITEMS) private readonly ingest: UnflushedItems,
    private readonly clock: Clock,
    private readonly registry: IngestRegistry,
  ) {}

  /**
   * One item, including what this instance accepted but has not flushed yet. The unflushed part
   * is read before the database: a flush that commits in between is then seen twice, which is
   * harmless because applying it again changes nothing.
   */
  async getItem(key: ItemKey): Promise<HistoryItemResponse> {
    const unflushed = this.ingest.unflushed(key);
    if (!unflushed) {
      const { items } = await this.repository.findItems(key.userId, [key], []);
      const item = items.get(itemKeyString(key));
      if (!item) throw new NotFoundException('Never watched');
      return this.toResponse(item);
    }
    // All of the user's unflushed items: the per-user ceiling shares an hour's room among them.
    const wanted = itemKeyString(key);
    const merged = (await this.overlay(key.userId, this.ingest.unflushedForUser(key.userId))).find((i) => itemKeyString(i) === wanted);
    if (!merged) throw new NotFoundException('Never watched');
    return this.toResponse(merged);
  }

  /**
   * A page of history, newest first. The first page also shows items with heartbeats not flushed
   * yet (read-your-own-writes); later pages come from the database only.
   */
  async list(userId: string, q: { limit: number; cursor?: HistoryCursor; mediaType?: MediaType; finished?: boolean }): Promise<HistoryPage> {
    const after = q.cursor;
    const rows = await this.repository.list(userId, { mediaType: q.mediaType, finished: q.finished, after, limit: q.limit });
    const full = rows.length === q.limit;
    let shown: StoredItem[] = rows;
    let lastDbShown = rows[rows.length - 1];
    if (!after) {
      const fresh = (await this.overlay(userId, this.ingest.unflushedForUser(userId))).filter(
        (i) => (!q.mediaType || i.mediaType === q.mediaType) && (q.finished === undefined || i.finished === q.finished),
      );
      if (fresh.length) {
        const freshKeys = new Set(fresh.map(itemKeyString));
        shown = [...fresh, ...rows.filter((r) => !freshKeys.has(itemKeyString(r)))]
          .sort((a, b) => b.lastWatchedAt - a.lastWatchedAt)
          .slice(0, q.limit);
        lastDbShown = [...shown].reverse().find((i): i is ListedItem => 'cursor' in i) ?? lastDbShown;
      }
    }
    return {
      items: shown.map((i) => this.toResponse(i)),
      nextCursor: full && lastDbShown ? encodeCursor(lastDbShown.cursor) : null,
    };
  }

  /**
   * Items to continue, newest first, one per show: the show's most recent episode when it is
   * between MIN_RESUME_PERCENT and FINISHED_PERCENT, or the next episode when that one is finished
   * and the catalogue knows what comes next. Walks the history newest-first through its index,
   * a chunk at a time, and stops as soon as it has enough.
   */
  async continueWatching(userId: string, limit: number): Promise<ContinueItem[]> {
    const fresh = await this.overlay(userId, this.ingest.unflushedForUser(userId));
    const freshKeys = new Set(fresh.map(itemKeyString));
    fresh.sort((a, b) => b.lastWatchedAt - a.lastWatchedAt);
    const seenShows = new Set<string>();
    const picked: { item: StoredItem; reason: 'resume' | 'next-after' }[] = [];
    let resumeCount = 0;
    const consider = (item: StoredItem) => {
      const group = item.mediaType === 'tv' ? showKeyString(item) : itemKeyString(item);
      if (seenShows.has(group)) return;
      seenShows.add(group);
      if (isResumable(item, this.thresholds)) {
        picked.push({ item, reason: 'resume' });
        resumeCount++;
      } else if (item.mediaType === 'tv' && item.finished) {
        picked.push({ item, reason: 'next-after' });
      }
    };

    let after: ListedItem['cursor'] | undefined;
    let result: ContinueItem[] = [];
    for (let step = 0; step < WALK_MAX_STEPS; step++) {
      const rows = await this.repository.list(userId, { after, limit: WALK_CHUNK });
      const lastAt = rows.length === WALK_CHUNK ? rows[rows.length - 1].lastWatchedAt : -Infinity;
      for (const row of rows) {
        while (fresh.length && fresh[0].lastWatchedAt >= row.lastWatchedAt) consider(fresh.shift()!);
        if (!freshKeys.has(itemKeyString(row))) consider(row);
      }
      while (fresh.length && fresh[0].lastWatchedAt >= lastAt) consider(fresh.shift()!);
      result = await this.resolve(picked);
      if (result.length >= limit || rows.length < WALK_CHUNK) break;
      after = rows[rows.length - 1].cursor;
      // Enough resumable entries already: next-episode candidates further down cannot beat them.
      if (resumeCount >= limit) break;
    }
    return result.slice(0, limit);
  }

  async markWatched(key: ItemKey, watched: boolean): Promise<HistoryItemResponse> {
    // The mark applies to the stored item: store what is pending for it first (a rare request).
    if (this.ingest.unflushed(key)) await this.ingest.flushUser(key.userId);
    const at = new Date(this.clock.now());
    const ok = watched ? await this.repository.markWatched(key, at) : await this.repository.markUnwatched(key, at);
    if (!ok) throw new NotFoundException(watched ? 'Never watched, and the catalogue does not know its duration' : 'Never watched');
    return this.getItem(key);
  }

  /**
   * Deletes an item, a whole show (no season/episode) or, with no scope, everything. The
   * tombstone keeps out heartbeats received before the delete that are still in a flush under way
   * or in another instance's memory. Heartbeats after this start a new history.
   */
  async delete(userId: string, scope: DeleteScope): Promise<boolean> {
    // Store what is pending first, so sessions that go on after the delete only count new time;
    // the delete then removes it. What arrives meanwhile was received before the delete: dropped.
    await this.ingest.flushUser(userId);
    const at = new Date(this.clock.now());
    const dropped = this.ingest.drop(scope ? { userId, ...scope } : { userId });
    // What is left of the scope here is in a flush under way (received before the delete).
    const heldHere = this.ingest.heldInFlight(scope ? { userId, ...scope } : { userId }, at.getTime());
    const deleted = await this.repository.delete(userId, scope, at, {
      heldHere, instanceId: this.registry.instanceId, leaseMs: this.registry.leaseMs,
    });
    return deleted > 0 || dropped > 0;
  }

  async export(userId: string) {
    const history: StoredItem[] = [];
    let after: ListedItem['cursor'] | undefined;
    for (;;) {
      const rows = await this.repository.list(userId, { after, limit: 1000 });
      history.push(...rows);
      if (rows.length < 1000) break;
      after = rows[rows.length - 1].cursor;
    }
    const fresh = await this.overlay(userId, this.ingest.unflushedForUser(userId));
    const freshKeys = new Set(fresh.map(itemKeyString));
    const items = [...fresh, ...history.filter((h) => !freshKeys.has(itemKeyString(h)))].sort((a, b) => b.lastWatchedAt - a.lastWatchedAt);
    const raw = await this.repository.exportRaw(userId);
    return {
      userId,
      exportedAt: new Date(this.clock.now()).toISOString(),
      history: items.map((i) => this.toResponse(i)),
      sessions: raw.sessions,
      hourlyStatistics: raw.hourly,
    };
  }

  toResponse(item: StoredItem): HistoryItemResponse {
    return {
      mediaType: item.mediaType,
      mediaId: item.mediaId,
      seasonNumber: item.seasonNumber,
      episodeNumber: item.episodeNumber,
      title: item.title,
      currentTime: round(item.currentTime, 3),
      totalDuration: round(item.totalDuration, 3),
      progress: item.progress,
      resumeAt: round(resumeAt(item, this.thresholds), 3),
      totalPlayedSeconds: round(item.totalPlayedSeconds, 3),
      finished: item.finished,
      completedCount: item.completedCount,
      lastWatchedAt: new Date(item.lastWatchedAt).toISOString(),
    };
  }

  private get thresholds(): ProgressThresholds {
    return { finishedPercent: this.config.FINISHED_PERCENT, minResumePercent: this.config.MIN_RESUME_PERCENT };
  }

  /** Stored items with unflushed heartbeats applied, as the flush will apply them. */
  private async overlay(userId: string, pending: PendingItem[]): Promise<StoredItem[]> {
    if (!pending.length) return [];
    const sessionIds = pending.flatMap((p) => [...p.sessions.keys()]);
    const hours = [...new Set(pending.flatMap((p) => [...p.sessions.values()].flatMap((s) => [...s.hours.keys()])))];
    const [{ items, sessions, erased, used }, titles] = await Promise.all([
      this.repository.findItems(userId, pending, sessionIds, hours),
      this.repository.itemTitles(pending),
    ]);
    const inputs = pending.map((p) => {
      const key = itemKeyString(p);
      const own = new Map<string, StoredSession>();
      for (const id of p.sessions.keys()) {
        const s = sessions.get(sessionKeyString(p, id));
        if (s) own.set(id, s);
      }
      return { pending: p, stored: items.get(key) ?? null, storedSessions: own, erasedAt: erased.get(key) ?? null };
    });
    const ceiling = { maxPerHour: hourlyCeilingSeconds(this.config.MAX_STREAMS_PER_USER), used };
    // The title rule with the unflushed heartbeats in it: the catalogue, else the newest title heard.
    return applyPendingForUser(inputs, this.config.FINISHED_PERCENT, ceiling).flatMap((merged, n) => {
      if (!merged) return [];
      const p = pending[n];
      const t = titles.get(showKeyString(p));
      return [{ ...merged, title: overlayTitle({ catalog: t?.catalog ?? null, unflushed: p.title, stored: t?.rule ?? null, fallback: merged.title }) }];
    });
  }

  private async resolve(picked: { item: StoredItem; reason: 'resume' | 'next-after' }[]): Promise<ContinueItem[]> {
    const finishedEpisodes = picked.filter((p) => p.reason === 'next-after').map((p) => p.item);
    const next = await this.repository.nextEpisodes(
      finishedEpisodes.map((e) => ({ showId: e.mediaId, seasonNumber: e.seasonNumber!, episodeNumber: e.episodeNumber! })),
    );
    const nextByShow = new Map(next.map((n) => [n.showId, n]));
    const out: ContinueItem[] = [];
    for (const { item, reason } of picked) {
      if (reason === 'resume') {
        out.push({ ...this.toResponse(item), reason: 'resume' });
        continue;
      }
      const n = nextByShow.get(item.mediaId);
      if (!n) continue;
      out.push({
        mediaType: 'tv', mediaId: item.mediaId, seasonNumber: n.seasonNumber, episodeNumber: n.episodeNumber,
        title: n.showTitle ?? item.title, currentTime: 0, totalDuration: n.runtimeSeconds ?? 0, progress: 0, resumeAt: 0,
        totalPlayedSeconds: 0, finished: false, completedCount: 0,
        lastWatchedAt: new Date(item.lastWatchedAt).toISOString(), reason: 'next-episode',
      });
    }
    return out;
  }
}
