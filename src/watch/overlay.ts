/*
 * The overlay: what a user's items will look like once their unflushed data is flushed, computed
 * exactly as the flush SQL (src/playtime/playtime.repository.ts) computes it, so a read answers
 * before the flush with the numbers the flush will store (read-your-own-writes). Pure.
 */
import { compareKeys, type ItemKey } from './item-key.js';
import { checkpointAt, erasedByDelete, peakAfter, type PendingItem, type PendingSession, type ReceiptCheckpoint, type SessionState } from './pending.js';
import { plausibleCap } from './plausibility.js';
import { positionState, reachedFinish, type FinishedPoint } from './progress.js';
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
  /** Some session of the item is a play (SPEC §7): from then on only plays move the position. */
  hasPlay: boolean;
}

export interface StoredSession {
  maxPlayed: number;
  credited: number;
  firstAt: number;
  lastAt: number;
  peakProgress: number;
  peakTime: number;
  /** Position of the session's latest heartbeat; null for a row stored before sessions had one. */
  currentTime: number | null;
  totalDuration: number | null;
  isPlay: boolean;
  /** Its completion was counted (or erased by a delete). */
  counted: boolean;
  /** Credit when a delete of its item erased it (`play_base_s`): only what it gains beyond makes a play. */
  playBase?: number;
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
  /** The item's finished point now (user's percentage, catalogue credits); else the rules' percentage. */
  point?: FinishedPoint;
}

/** What the flush applies that is not stored with the data (see `FlushRules` in the repository). */
export interface OverlayRules {
  finishedPercent: number;
  minPlaySeconds: number;
}

/** What one session becomes once flushed: what it adds per hour, and the play rules' view of it. */
interface SessionOutcome {
  deltas: Map<number, number>;
  countsNow: boolean;
  /** Set aside by a delete: never a position candidate. */
  erased: boolean;
  isPlay: boolean;
  currentTime: number;
  totalDuration: number;
  lastAt: number;
  receivedAt: number;
}

/** Per-user ceiling inputs: seconds per UTC hour, and what the user's buckets already hold per hour. */
export interface Ceiling {
  maxPerHour: number;
  used: Map<number, number>;
}

const EPSILON = 1e-9;

/** A session's credit once `s` is flushed onto its stored state `old`, as APPLY_BATCH's `erasure` and `judged` compute it. */
export interface SessionCredit {
  /** Credited seconds: the largest playedSeconds clamped for plausibility, never less than before. */
  credited: number;
  /** Of them, what deletes erased (`erased_s`): credited − erasedNew is what the session counts for. */
  erasedNew: number;
  /** The last receipt checkpoint at or before the delete, or null. */
  erasedPart: ReceiptCheckpoint | null;
  /** Nothing of the session was received after the delete: set aside. */
  erased: boolean;
  /** A play (SPEC §7): once one, always one. */
  isPlay: boolean;
  /** Latest receipt of the session. */
  receivedAt: number;
  /** Credit through the delete (what the erased history had) and the item delete's baseline. */
  base: number;
  playBase: number;
}

export function sessionCredit(old: StoredSession | undefined, s: PendingSession, erasedAt: number | null, minPlay: number): SessionCredit {
  const credited = creditOf(old, s);
  const erasedPart = erasedAt === null ? null : checkpointAt(s.receipts, erasedAt);
  const base = erasedPart ? creditOf(old, erasedPart) : (old?.credited ?? 0);
  const erasedNew = (old?.erased ?? 0) + (base - (old?.credited ?? 0));
  // SPEC §7, as APPLY_BATCH's `judged` and `positions`
  const receivedAt = s.receipts[s.receipts.length - 1].at;
  const erased = erasedAt !== null && receivedAt <= erasedAt;
  const playBase = old?.playBase ?? 0;
  const isPlay = (old?.isPlay ?? false) || (!erased && credited - erasedNew - playBase >= minPlay);
  return { credited, erasedNew, erasedPart, erased, isPlay, receivedAt, base, playBase };
}

/**
 * What one session adds per UTC hour, as APPLY_BATCH computes it: the credited time fills the
 * session's hours in order (by the end of an hour, the largest playedSeconds seen up to it, capped
 * at the credit), less what a delete erased (taken off the earliest hours), less what each hour
 * already got.
 */
function sessionOutcome(
  old: StoredSession | undefined, s: PendingSession, erasedAt: number | null, live: boolean, point: FinishedPoint, minPlay: number,
): SessionOutcome {
  const { credited, erasedPart, erasedNew, erased, isPlay, receivedAt, base, playBase } = sessionCredit(old, s, erasedAt, minPlay);
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
  // after a delete, only what was received after it: the erased heartbeats are gone
  const peak = erasedPart ? peakAfter(s.receipts, erasedAt!) : s;
  const reached = reachedFinish(Math.max(old?.peakProgress ?? 0, peak.peakProgress), Math.max(old?.peakTime ?? 0, peak.peakTime), point);
  // counted in the history the delete erased: a play there that reached the finished point
  const erasedCompleted =
    erasedPart !== null && reachedFinish(erasedPart.peakProgress, erasedPart.peakTime, point) && base - (old?.erased ?? 0) - playBase >= minPlay;
  const newer = !old || old.currentTime === null || s.lastAt >= old.lastAt;
  return {
    deltas,
    countsNow: live && !erased && isPlay && reached && !old?.counted && !erasedCompleted,
    erased,
    isPlay,
    currentTime: newer ? s.currentTime : old.currentTime!,
    totalDuration: newer ? s.totalDuration : old.totalDuration!,
    lastAt: Math.max(old?.lastAt ?? -Infinity, s.lastAt),
    receivedAt,
  };
}

/** The flush's order of position candidates: plays first, then the latest event, receipt, session id. */
function byCandidacy(a: SessionOutcome & { id: string }, b: SessionOutcome & { id: string }): number {
  return Number(b.isPlay) - Number(a.isPlay) || b.lastAt - a.lastAt || b.receivedAt - a.receivedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/**
 * What each of a user's items will look like once `items` are flushed together, computed the way
 * the flush SQL does, the per-user ceiling included: per UTC hour the user's room is
 * `maxPerHour` less what the buckets hold and less this flush's decreases; increases fill it in
 * item-key order, then session id order, as the flush does. Null for an item that a delete erased
 * and that has no stored row.
 */
export function applyPendingForUser(items: PendingWithStored[], rules: OverlayRules, ceiling: Ceiling | null): (StoredItem | null)[] {
  const order = items.map((_, n) => n).sort((x, y) => compareKeys(items[x].pending.key, items[y].pending.key));
  const wanted: { item: number; hour: number; delta: number }[] = [];
  const completions = new Array<number>(items.length).fill(0);
  const best = new Array<(SessionOutcome & { id: string }) | undefined>(items.length);
  const decreases = new Map<number, number>();
  for (const n of order) {
    const { pending, storedSessions, erasedAt } = items[n];
    const point = items[n].point ?? { finishedPercent: rules.finishedPercent, creditsStart: null };
    const live = !erasedByDelete(pending, erasedAt);
    for (const id of [...pending.sessions.keys()].sort()) {
      const r = sessionOutcome(storedSessions.get(id), pending.sessions.get(id)!, erasedAt, live, point, rules.minPlaySeconds);
      if (r.countsNow) completions[n] += 1;
      const candidate = { ...r, id };
      if (!r.erased && (!best[n] || byCandidacy(candidate, best[n]!) < 0)) best[n] = candidate;
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
  return items.map(({ pending, stored, erasedAt, point }, n) => {
    const b = best[n];
    if (erasedByDelete(pending, erasedAt) || !b) return stored;
    // MOVES in the flush: the first play takes over; else a play over a play, a non-play over a non-play, if not older
    const moves = !stored || (b.isPlay && !stored.hasPlay) || (b.isPlay === stored.hasPlay && b.lastAt >= stored.positionAt);
    const at = moves ? b.lastAt : stored.positionAt;
    const position = moves
      ? { currentTime: b.currentTime, totalDuration: b.totalDuration, ...positionState(b.currentTime, b.totalDuration, point ?? { finishedPercent: rules.finishedPercent, creditsStart: null }) }
      : stored;
    return {
      userId: pending.userId,
      mediaType: pending.mediaType,
      mediaId: pending.mediaId,
      seasonNumber: pending.seasonNumber,
      episodeNumber: pending.episodeNumber,
      title: pending.title ?? stored?.title ?? null,
      currentTime: position.currentTime,
      totalDuration: position.totalDuration,
      progress: position.progress,
      finished: position.finished,
      completedCount: (stored?.completedCount ?? 0) + completions[n],
      totalPlayedSeconds: (stored?.totalPlayedSeconds ?? 0) + played[n],
      positionAt: at,
      lastWatchedAt: moves ? b.lastAt : stored.lastWatchedAt,
      hasPlay: (stored?.hasPlay ?? false) || b.isPlay,
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
  rules: OverlayRules,
  erasedAt: number | null = null,
): StoredItem | null {
  return applyPendingForUser([{ pending, stored, storedSessions, erasedAt }], rules, null)[0];
}
