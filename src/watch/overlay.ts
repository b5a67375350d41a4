/*
 * The overlay: what a user's items will look like once their unflushed data is flushed, computed
 * exactly as the flush SQL (src/playtime/playtime.repository.ts) computes it, so a read answers
 * before the flush with the numbers the flush will store (read-your-own-writes). Pure.
 */
import { compareKeys, type ItemKey } from './item-key.js';
import { checkpointAt, erasedByDelete, type PendingItem, type PendingSession, type SessionState } from './pending.js';
import { plausibleCap } from './plausibility.js';
import { positionState } from './progress.js';
import { hourOf } from './time.js';

/** What a session is credited once `s` is added to its stored state: exactly the flush's formula. */
function creditOf(old: StoredSession | undefined, s: SessionState): number {
  const max = Math.max(old?.maxPlayed ?? 0, s.maxPlayed);
  const first = Math.min(old?.firstAt ?? Infinity, s.firstAt);
  const last = Math.max(old?.lastAt ?? -Infinity, s.lastAt);
  return Math.max(old?.credited ?? 0, Math.min(max, plausibleCap(first, last)));
}

/** A stored item as the read side sees it. */
export interface StoredItem extends ItemKey {
  title: string | null;
  currentTime: number;
  totalDuration: number;
  progress: number;
  finished: boolean;
  completedCount: number;
  totalPlayedSeconds: number;
  positionAt: number;
  lastWatchedAt: number;
}

export interface StoredSession {
  maxPlayed: number;
  credited: number;
  firstAt: number;
  lastAt: number;
  completed: boolean;
  /** Credit a delete erased (`erased_s`); 0 when absent. */
  erased?: number;
  /** Per UTC hour: largest playedSeconds and credit so far. Absent: all credit in the hour of `lastAt`. */
  hours?: Map<number, { maxPlayed: number; credited: number }>;
}

/** One pending item with what is stored for it, for `applyPendingForUser`. */
export interface PendingWithStored {
  pending: PendingItem;
  stored: StoredItem | null;
  storedSessions: Map<string, StoredSession>;
  /** The latest delete tombstone covering the item, or null. */
  erasedAt: number | null;
}

/** Per-user ceiling inputs: seconds per UTC hour, and what the user's buckets already hold per hour. */
export interface Ceiling {
  maxPerHour: number;
  used: Map<number, number>;
}

const EPSILON = 1e-9;

/**
 * What one session adds per UTC hour, as APPLY_BATCH computes it: the credited time fills the
 * session's hours in order (by the end of an hour, the largest playedSeconds seen up to it, capped
 * at the credit), less what a delete erased (taken off the earliest hours), less what each hour
 * already got.
 */
function sessionHourDeltas(old: StoredSession | undefined, s: PendingSession, erasedAt: number | null, live: boolean) {
  const credited = creditOf(old, s);
  const erasedPart = erasedAt === null ? null : checkpointAt(s.receipts, erasedAt);
  const base = erasedPart ? creditOf(old, erasedPart) : (old?.credited ?? 0);
  const erasedNew = (old?.erased ?? 0) + (base - (old?.credited ?? 0));
  const hours = new Map<number, { max: number; granted: number }>();
  const storedHours = old?.hours ?? (old ? new Map([[hourOf(old.lastAt + 1), { maxPlayed: old.maxPlayed, credited: old.credited }]]) : new Map());
  for (const [h, v] of storedHours) hours.set(h, { max: v.maxPlayed, granted: v.credited });
  for (const [h, max] of s.hours) {
    const had = hours.get(h);
    hours.set(h, { max: Math.max(had?.max ?? -Infinity, max), granted: had?.granted ?? 0 });
  }
  const deltas = new Map<number, number>();
  let runningMax = -Infinity;
  let prevThrough = 0;
  for (const h of [...hours.keys()].sort((x, y) => x - y)) {
    const v = hours.get(h)!;
    runningMax = Math.max(runningMax, v.max);
    const through = Math.max(0, Math.min(runningMax, credited) - erasedNew);
    deltas.set(h, live ? through - prevThrough - v.granted : 0);
    prevThrough = through;
  }
  return { deltas, completedNow: s.completed && !old?.completed && !erasedPart?.completed };
}

/**
 * What each of a user's items will look like once `items` are flushed together, computed the way
 * the flush SQL does, the per-user ceiling included: per UTC hour the user's room is
 * `maxPerHour` less what the buckets hold and less this flush's decreases; increases fill it in
 * item-key order, then session id order, as the flush does. Null for an item that a delete erased
 * and that has no stored row.
 */
export function applyPendingForUser(items: PendingWithStored[], finishedPercent: number, ceiling: Ceiling | null): (StoredItem | null)[] {
  const order = items.map((_, n) => n).sort((x, y) => compareKeys(items[x].pending.key, items[y].pending.key));
  const wanted: { item: number; hour: number; delta: number }[] = [];
  const completions = new Array<number>(items.length).fill(0);
  const decreases = new Map<number, number>();
  for (const n of order) {
    const { pending, storedSessions, erasedAt } = items[n];
    const live = !erasedByDelete(pending, erasedAt);
    for (const id of [...pending.sessions.keys()].sort()) {
      const r = sessionHourDeltas(storedSessions.get(id), pending.sessions.get(id)!, erasedAt, live);
      if (r.completedNow) completions[n] += 1;
      for (const [hour, delta] of [...r.deltas].sort((x, y) => x[0] - y[0])) {
        wanted.push({ item: n, hour, delta });
        if (delta <= EPSILON) decreases.set(hour, (decreases.get(hour) ?? 0) + Math.min(delta, 0));
      }
    }
  }
  const played = new Array<number>(items.length).fill(0);
  const filled = new Map<number, number>();
  for (const w of wanted) {
    let applied = w.delta;
    if (w.delta > EPSILON && ceiling) {
      const before = filled.get(w.hour) ?? 0;
      const room = ceiling.maxPerHour - (ceiling.used.get(w.hour) ?? 0) - (decreases.get(w.hour) ?? 0) - before;
      applied = Math.max(0, Math.min(w.delta, room));
      filled.set(w.hour, before + w.delta);
    }
    played[w.item] += applied;
  }
  return items.map(({ pending, stored, erasedAt }, n) => {
    if (erasedByDelete(pending, erasedAt)) return stored;
    const newer = !stored || pending.positionAt >= stored.positionAt;
    const position = newer ? positionState(pending.currentTime, pending.totalDuration, finishedPercent) : stored!;
    return {
      userId: pending.userId,
      mediaType: pending.mediaType,
      mediaId: pending.mediaId,
      seasonNumber: pending.seasonNumber,
      episodeNumber: pending.episodeNumber,
      title: pending.title ?? stored?.title ?? null,
      currentTime: newer ? pending.currentTime : stored!.currentTime,
      totalDuration: newer ? pending.totalDuration : stored!.totalDuration,
      progress: position.progress,
      finished: position.finished,
      completedCount: (stored?.completedCount ?? 0) + completions[n],
      totalPlayedSeconds: (stored?.totalPlayedSeconds ?? 0) + played[n],
      positionAt: Math.max(stored?.positionAt ?? -Infinity, pending.positionAt),
      lastWatchedAt: Math.max(stored?.lastWatchedAt ?? -Infinity, pending.positionAt),
    };
  });
}

/**
 * What the item will look like once `pending` is flushed, computed the way the flush SQL does
 * (see `applyPendingForUser`, which also applies the per-user ceiling across a user's items).
 * Used to answer reads before the flush (read-your-own-writes). Idempotent: applying an item
 * that was already flushed changes nothing, so a flush that commits during a read is harmless.
 *
 * `erasedAt` is the latest delete tombstone covering the item (null when none): as in the flush,
 * what was received up to it only advances the sessions, and when nothing was received after it
 * the item stays as stored (null when there is no stored item).
 */
export function applyPending(
  stored: StoredItem | null,
  storedSessions: Map<string, StoredSession>,
  pending: PendingItem,
  finishedPercent: number,
  erasedAt: number | null = null,
): StoredItem | null {
  return applyPendingForUser([{ pending, stored, storedSessions, erasedAt }], finishedPercent, null)[0];
}
