/*
 * Past ~300 lines on purpose: every history read (item, list, continue watching, export) and
 * write (watched, hide, delete) goes through one read context (the user's thresholds, their
 * unflushed heartbeats, the hide marks) and one response mapping, so that a route cannot judge
 * finished, hidden or resumeAt differently from another. Split by route, each file would take the
 * context and the mapping as parameters; the SQL already lives in the repositories.
 */
import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { SettingsService } from '../settings/settings.service.js';
import { IngestRegistry } from '../watch/ingest-registry.js';
import type { EffectiveSettings } from '../watch/settings.js';
import { itemKeyString, sessionKeyString, showKeyString, type ItemKey, type MediaType } from '../watch/item-key.js';
import { applyPendingForUser, type StoredItem, type StoredSession } from '../watch/overlay.js';
import type { PendingItem } from '../watch/pending.js';
import { hourlyCeilingSeconds } from '../watch/plausibility.js';
import { isResumable, reachedFinish, resumeAt, type ProgressThresholds } from '../watch/progress.js';
import { DAY_MS, round } from '../watch/time.js';
import { overlayTitle } from '../watch/title.js';
import { UNFLUSHED_ITEMS, type UnflushedItems } from '../watch/unflushed-items.js';
import type { HistoryItemResponse } from './dto/history-item.schema.js';
import { CurationRepository } from './curation.repository.js';
import { encodeCursor, type HistoryCursor } from './history-cursor.js';
import { HistoryRepository, type DeleteScope, type KeyFacts, type ListedItem } from './history.repository.js';
import { PlaysService } from './plays.service.js';

export interface HistoryPage {
  items: HistoryItemResponse[];
  nextCursor: string | null;
}

export type ContinueItem = HistoryItemResponse & { reason: 'resume' | 'next-episode' };

/** A stored or overlaid item with what reads judge at read time (and, when read with it, its next episode). */
type ReadItem = StoredItem & KeyFacts & Pick<ListedItem, 'nextEpisode'>;

/**
 * One read's view of a user: their thresholds now (settings, else the service's) and the receipt
 * times of their unflushed data (a heartbeat received after a hide unhides, SPEC §7).
 */
interface ReadContext {
  settings: EffectiveSettings;
  thresholds: Omit<ProgressThresholds, 'creditsStart'>;
  continueWatchingDays: number;
  pending: PendingItem[];
  receivedByKey: Map<string, number>;
  receivedByShow: Map<string, number>;
}

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
    private readonly settings: SettingsService,
    private readonly curation: CurationRepository,
    private readonly plays: PlaysService,
  ) {}

  /**
   * One item, including what this instance accepted but has not flushed yet. The unflushed part
   * is read before the database: a flush that commits in between is then seen twice, which is
   * harmless because applying it again changes nothing.
   */
  async getItem(key: ItemKey): Promise<HistoryItemResponse> {
    if (!this.ingest.unflushed(key)) {
      // The usual case: the stored item, its read-time facts and the settings in one statement.
      const pending = this.ingest.unflushedForUser(key.userId);
      const found = await this.repository.findOneWithSettings(key);
      if (!found) throw new NotFoundException('Never watched');
      return this.toResponse(found.item, this.contextOf(this.settings.fromRow(found.settings), pending));
    }
    // All of the user's unflushed items: the per-user ceiling shares an hour's room among them.
    const ctx = await this.context(key.userId);
    const wanted = itemKeyString(key);
    const item = (await this.overlay(key.userId, ctx)).find((i) => itemKeyString(i) === wanted);
    if (!item) throw new NotFoundException('Never watched');
    return this.toResponse(item, ctx);
  }

  /**
   * A page of history, newest first. The first page also shows items with heartbeats not flushed
   * yet (read-your-own-writes); later pages come from the database only.
   */
  async list(userId: string, q: { limit: number; cursor?: HistoryCursor; mediaType?: MediaType; finished?: boolean }): Promise<HistoryPage> {
    const ctx = await this.context(userId);
    const after = q.cursor;
    const rows = await this.repository.list(userId, {
      mediaType: q.mediaType, finished: q.finished, finishedPercent: ctx.thresholds.finishedPercent, after, limit: q.limit,
    });
    const full = rows.length === q.limit;
    let shown: ReadItem[] = rows;
    let lastDbShown = rows[rows.length - 1];
    if (!after) {
      // Filters apply to the item as it is with the unflushed heartbeats: a stored row that they
      // take out of the filter (no longer finished, say) goes too.
      const overlaid = await this.overlay(userId, ctx);
      const fresh = overlaid.filter(
        (i) => (!q.mediaType || i.mediaType === q.mediaType) && (q.finished === undefined || this.isFinished(i, ctx) === q.finished),
      );
      if (overlaid.length) {
        const overlaidKeys = new Set(overlaid.map(itemKeyString));
        shown = [...fresh, ...rows.filter((r) => !overlaidKeys.has(itemKeyString(r)))]
          .sort((a, b) => b.lastWatchedAt - a.lastWatchedAt)
          .slice(0, q.limit);
        lastDbShown = [...shown].reverse().find((i): i is ListedItem => 'cursor' in i) ?? lastDbShown;
      }
    }
    return {
      items: shown.map((i) => this.toResponse(i, ctx)),
      nextCursor: full && lastDbShown ? encodeCursor(lastDbShown.cursor) : null,
    };
  }

  /**
   * Items to continue, newest first, one per show (SPEC §5, §7). Items without a play are left
   * out; the first remaining item of a show (a movie is its own group) decides the group: nothing
   * when it is hidden, stale or not worth resuming, `resume` when it is, `next-episode` when it is
   * a finished episode and the catalogue knows the next one. Walks the history newest-first
   * through its index, a chunk at a time, from the stale bound on, and stops when it has enough.
   */
  async continueWatching(userId: string, limit: number): Promise<ContinueItem[]> {
    const now = this.clock.now();
    // Nothing unflushed here (the usual case): the first chunk brings the settings, one round trip.
    const pending = this.ingest.unflushedForUser(userId);
    const first = pending.length
      ? null
      : await this.repository.continueFirstPage(userId, {
        limit: WALK_CHUNK, now,
        defaultContinueWatchingDays: this.settings.defaults.continueWatchingDays, finishedPercent: this.settings.defaults.finishedPercent,
      });
    if (first && !first.items.length) return [];
    const ctx = first ? this.contextOf(this.settings.fromRow(first.settings), pending) : await this.context(userId);
    const since = ctx.continueWatchingDays > 0 ? now - ctx.continueWatchingDays * DAY_MS : undefined;
    const fresh = (await this.overlay(userId, ctx)).filter((i) => i.hasPlay && (since === undefined || i.lastWatchedAt >= since));
    const freshKeys = new Set(fresh.map(itemKeyString));
    fresh.sort((a, b) => b.lastWatchedAt - a.lastWatchedAt);
    const seenShows = new Set<string>();
    const picked: { item: ReadItem; reason: 'resume' | 'next-after' }[] = [];
    let resumeCount = 0;
    const consider = (item: ReadItem) => {
      const group = item.mediaType === 'tv' ? showKeyString(item) : itemKeyString(item);
      if (seenShows.has(group)) return;
      seenShows.add(group);
      if (this.isHidden(item, ctx)) return;
      const finished = this.isFinished(item, ctx);
      if (isResumable({ ...item, finished }, { ...ctx.thresholds, creditsStart: item.creditsStart })) {
        picked.push({ item, reason: 'resume' });
        resumeCount++;
      } else if (item.mediaType === 'tv' && finished) {
        picked.push({ item, reason: 'next-after' });
      }
    };

    let after: ListedItem['cursor'] | undefined;
    let result: ContinueItem[] = [];
    for (let step = 0; step < WALK_MAX_STEPS; step++) {
      const rows = step === 0 && first ? first.items : await this.repository.list(userId, {
        after, limit: WALK_CHUNK, finishedPercent: ctx.thresholds.finishedPercent, watchedSince: since, onlyPlays: true, withNextEpisodes: true,
      });
      const lastAt = rows.length === WALK_CHUNK ? rows[rows.length - 1].lastWatchedAt : -Infinity;
      for (const row of rows) {
        while (fresh.length && fresh[0].lastWatchedAt >= row.lastWatchedAt) consider(fresh.shift()!);
        if (!freshKeys.has(itemKeyString(row))) consider(row);
      }
      while (fresh.length && fresh[0].lastWatchedAt >= lastAt) consider(fresh.shift()!);
      result = await this.resolve(picked, ctx);
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
   * Hides (or unhides) an item, or a whole show when the key has no season/episode. What is
   * pending for the user is stored first: the item then exists if it was watched, and those
   * heartbeats, received before the hide, do not undo it.
   */
  async setHidden(key: ItemKey, hide: boolean): Promise<void> {
    if (this.ingest.unflushedForUser(key.userId).length) await this.ingest.flushUser(key.userId);
    const found = await this.curation.setHidden(key, hide, new Date(this.clock.now()));
    if (!found) throw new NotFoundException('Never watched');
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
    const ctx = await this.context(userId);
    const history: ReadItem[] = [];
    let after: ListedItem['cursor'] | undefined;
    for (;;) {
      const rows = await this.repository.list(userId, { after, limit: 1000, finishedPercent: ctx.thresholds.finishedPercent });
      history.push(...rows);
      if (rows.length < 1000) break;
      after = rows[rows.length - 1].cursor;
    }
    const fresh = await this.overlay(userId, ctx);
    const freshKeys = new Set(fresh.map(itemKeyString));
    const items = [...fresh, ...history.filter((h) => !freshKeys.has(itemKeyString(h)))].sort((a, b) => b.lastWatchedAt - a.lastWatchedAt);
    const raw = await this.repository.exportRaw(userId);
    return {
      userId,
      exportedAt: new Date(this.clock.now()).toISOString(),
      settings: ctx.settings,
      history: items.map((i) => this.toResponse(i, ctx)),
      plays: await this.plays.all(userId),
      sessions: raw.sessions,
      hourlyStatistics: raw.hourly,
    };
  }

  toResponse(item: ReadItem, ctx: ReadContext): HistoryItemResponse {
    const finished = this.isFinished(item, ctx);
    return {
      mediaType: item.mediaType,
      mediaId: item.mediaId,
      seasonNumber: item.seasonNumber,
      episodeNumber: item.episodeNumber,
      title: item.title,
      currentTime: round(item.currentTime, 3),
      totalDuration: round(item.totalDuration, 3),
      progress: item.progress,
      resumeAt: round(resumeAt({ ...item, finished }, { ...ctx.thresholds, creditsStart: item.creditsStart }), 3),
      totalPlayedSeconds: round(item.totalPlayedSeconds, 3),
      finished,
      completedCount: item.completedCount,
      lastWatchedAt: new Date(item.lastWatchedAt).toISOString(),
      hidden: this.isHidden(item, ctx),
    };
  }

  /** Finished at read time: the user's percentage now, or the catalogue's credits. */
  private isFinished(item: ReadItem, ctx: ReadContext): boolean {
    return reachedFinish(item.progress, Math.min(item.currentTime, item.totalDuration), {
      finishedPercent: ctx.thresholds.finishedPercent, creditsStart: item.creditsStart,
    });
  }

  /** Hidden, unless a heartbeat of it (a hidden show: of any episode) was received after the hide and is not flushed yet. */
  private isHidden(item: ReadItem, ctx: ReadContext): boolean {
    const itemHidden = item.itemHiddenAt !== null && !((ctx.receivedByKey.get(itemKeyString(item)) ?? -Infinity) > item.itemHiddenAt);
    const showHidden = item.showHiddenAt !== null && !((ctx.receivedByShow.get(showKeyString(item)) ?? -Infinity) > item.showHiddenAt);
    return itemHidden || showHidden;
  }

  private async context(userId: string): Promise<ReadContext> {
    const settings = await this.settings.effective(userId);
    return this.contextOf(settings, this.ingest.unflushedForUser(userId));
  }

  private contextOf(settings: EffectiveSettings, pending: PendingItem[]): ReadContext {
    const receivedByKey = new Map<string, number>();
    const receivedByShow = new Map<string, number>();
    for (const p of pending) {
      receivedByKey.set(itemKeyString(p), p.receivedAt);
      const show = showKeyString(p);
      receivedByShow.set(show, Math.max(receivedByShow.get(show) ?? -Infinity, p.receivedAt));
    }
    return {
      settings,
      thresholds: {
        finishedPercent: settings.finishedPercent,
        minResumePercent: settings.minResumePercent,
        minResumeDuration: this.config.MIN_RESUME_DURATION_SECONDS,
      },
      continueWatchingDays: settings.continueWatchingDays,
      pending,
      receivedByKey,
      receivedByShow,
    };
  }

  /** Stored items with unflushed heartbeats applied, as the flush will apply them. */
  private async overlay(userId: string, ctx: ReadContext): Promise<ReadItem[]> {
    const pending = ctx.pending;
    if (!pending.length) return [];
    const sessionIds = pending.flatMap((p) => [...p.sessions.keys()]);
    const hours = [...new Set(pending.flatMap((p) => [...p.sessions.values()].flatMap((s) => [...s.hours.keys()])))];
    const [{ items, sessions, erased, used }, titles, facts] = await Promise.all([
      this.repository.findItems(userId, pending, sessionIds, hours),
      this.repository.itemTitles(pending),
      this.curation.keyFacts(userId, pending),
    ]);
    const inputs = pending.map((p) => {
      const key = itemKeyString(p);
      const own = new Map<string, StoredSession>();
      for (const id of p.sessions.keys()) {
        const s = sessions.get(sessionKeyString(p, id));
        if (s) own.set(id, s);
      }
      const point = { finishedPercent: ctx.thresholds.finishedPercent, creditsStart: facts.get(key)?.creditsStart ?? null };
      return { pending: p, stored: items.get(key) ?? null, storedSessions: own, erasedAt: erased.get(key) ?? null, point };
    });
    const ceiling = { maxPerHour: hourlyCeilingSeconds(this.config.MAX_STREAMS_PER_USER), used };
    const rules = { finishedPercent: this.config.FINISHED_PERCENT, minPlaySeconds: this.config.MIN_PLAY_SECONDS };
    // The title rule with the unflushed heartbeats in it: the catalogue, else the newest title heard.
    return applyPendingForUser(inputs, rules, ceiling).flatMap((merged, n) => {
      if (!merged) return [];
      const p = pending[n];
      const t = titles.get(showKeyString(p));
      const f = facts.get(itemKeyString(p)) ?? { creditsStart: null, itemHiddenAt: null, showHiddenAt: null };
      return [{ ...merged, ...f, title: overlayTitle({ catalog: t?.catalog ?? null, unflushed: p.title, stored: t?.rule ?? null, fallback: merged.title }) }];
    });
  }

  private async resolve(picked: { item: ReadItem; reason: 'resume' | 'next-after' }[], ctx: ReadContext): Promise<ContinueItem[]> {
    // Stored items come with their next episode: only an item known so far only here asks the catalogue.
    const unknown = picked.filter((p) => p.reason === 'next-after' && p.item.nextEpisode === undefined).map((p) => p.item);
    const next = await this.repository.nextEpisodes(
      unknown.map((e) => ({ showId: e.mediaId, seasonNumber: e.seasonNumber!, episodeNumber: e.episodeNumber! })),
    );
    const nextByShow = new Map(next.map((n) => [n.showId, n]));
    const out: ContinueItem[] = [];
    for (const { item, reason } of picked) {
      if (reason === 'resume') {
        out.push({ ...this.toResponse(item, ctx), reason: 'resume' });
        continue;
      }
      const n = item.nextEpisode === undefined ? nextByShow.get(item.mediaId) : item.nextEpisode;
      if (!n) continue;
      out.push({
        mediaType: 'tv', mediaId: item.mediaId, seasonNumber: n.seasonNumber, episodeNumber: n.episodeNumber,
        // the show's title: the title rule already puts the catalogue's first
        title: item.title, currentTime: 0, totalDuration: n.runtimeSeconds ?? 0, progress: 0, resumeAt: 0,
        totalPlayedSeconds: 0, finished: false, completedCount: 0,
        lastWatchedAt: new Date(item.lastWatchedAt).toISOString(), hidden: false, reason: 'next-episode',
      });
    }
    return out;
  }
}
