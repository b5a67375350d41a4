import { itemKeyString, plausibleCap, progressOf, type Heartbeat, type ItemKey } from './heartbeat.js';

/** What is known of a session: the largest `playedSeconds`, the event-time span, completion. */
export interface SessionState {
  maxPlayed: number;
  firstAt: number;
  lastAt: number;
  /** Some heartbeat of this session was at or past FINISHED_PERCENT. */
  completed: boolean;
}

/**
 * The session's state as of a receipt time: everything received at or before `at` (and, once
 * checkpoints were merged, possibly a little received after it: see `MAX_RECEIPT_CHECKPOINTS`).
 * A delete at time T erases what was received up to T: the flush takes the last checkpoint at or
 * before T as what was deleted, and credits only what the session gained since.
 */
export interface ReceiptCheckpoint extends SessionState {
  at: number;
}

export interface PendingSession extends SessionState {
  /** Cumulative checkpoints in receipt order; the last one equals the session's state. */
  receipts: ReceiptCheckpoint[];
  /**
   * Per UTC hour of event time (epoch ms of the hour's start): the largest `playedSeconds` of a
   * heartbeat in that hour. The flush spreads the session's credited time over these hours.
   */
  hours: Map<number, number>;
}

export const HOUR_MS = 3_600_000;

/**
 * The hour a heartbeat at `ms` reports on. `playedSeconds` is what was played *before* that
 * instant, so a heartbeat at exactly 23:00:00 closes the 22:00 hour (it says what was played by
 * then); any later instant belongs to its own hour. Time between two heartbeats on either side
 * of an hour goes to the later hour: at most one heartbeat interval (10–30 s) per hour.
 */
export function hourOf(ms: number): number {
  return Math.floor((ms - 1) / HOUR_MS) * HOUR_MS;
}

/**
 * Checkpoints kept per pending session (one is added per request that carries the session, so
 * normally one or two per flush; more only while flushes fail). Beyond it the two oldest merge
 * into one that keeps the earlier receipt time and the later state: a delete that falls between
 * them then erases a little post-delete time too, but pre-delete time can never come back.
 */
export const MAX_RECEIPT_CHECKPOINTS = 8;

/**
 * Everything the service accepted for one history item since its last flush, coalesced: a batch
 * never holds a key twice. Times are epoch milliseconds; "event time" is `occurredAt` when the
 * client gave one, else the time of receipt.
 */
export interface PendingItem extends ItemKey {
  key: string;
  title: string | null;
  titleAt: number;
  currentTime: number;
  totalDuration: number;
  /** Event time of the heartbeat the position comes from (the latest one). */
  positionAt: number;
  firstAt: number;
  /** Latest receipt time, compared with delete tombstones. */
  receivedAt: number;
  /** Earliest receipt time of anything in the item (what an instance reports as its oldest unflushed data). */
  firstReceivedAt: number;
  sessions: Map<string, PendingSession>;
}

export function newPendingItem(userId: string, hb: Heartbeat, receivedAt: number, finishedPercent: number): PendingItem {
  const item: PendingItem = {
    key: '',
    userId,
    mediaType: hb.mediaType,
    mediaId: hb.mediaId,
    seasonNumber: hb.seasonNumber,
    episodeNumber: hb.episodeNumber,
    title: null,
    titleAt: -Infinity,
    currentTime: 0,
    totalDuration: 1,
    positionAt: -Infinity,
    firstAt: Infinity,
    receivedAt,
    firstReceivedAt: receivedAt,
    sessions: new Map(),
  };
  item.key = itemKeyString(item);
  addHeartbeat(item, hb, receivedAt, finishedPercent);
  return item;
}

/** Folds one heartbeat into the item: order of arrival never matters, only event times and maxima. */
export function addHeartbeat(item: PendingItem, hb: Heartbeat, receivedAt: number, finishedPercent: number): void {
  const at = hb.occurredAt ? hb.occurredAt.getTime() : receivedAt;
  const currentTime = Math.min(hb.currentTime, hb.totalDuration);
  // Ties go to the later arrival: the same instant from two devices, last write wins.
  if (at >= item.positionAt) {
    item.positionAt = at;
    item.currentTime = currentTime;
    item.totalDuration = hb.totalDuration;
  }
  if (hb.title && at >= item.titleAt) {
    item.title = hb.title;
    item.titleAt = at;
  }
  item.firstAt = Math.min(item.firstAt, at);
  item.receivedAt = Math.max(item.receivedAt, receivedAt);
  item.firstReceivedAt = Math.min(item.firstReceivedAt, receivedAt);
  const reached = progressOf(currentTime, hb.totalDuration) >= finishedPercent;
  const state: SessionState = { maxPlayed: hb.playedSeconds, firstAt: at, lastAt: at, completed: reached };
  let s = item.sessions.get(hb.sessionId);
  if (s) {
    foldState(s, state);
    foldReceipt(s.receipts, receivedAt, state);
  } else {
    s = { ...state, receipts: [{ ...state, at: receivedAt }], hours: new Map() };
    item.sessions.set(hb.sessionId, s);
  }
  foldHour(s.hours, hourOf(at), hb.playedSeconds);
}

function foldHour(hours: Map<number, number>, hour: number, played: number): void {
  const had = hours.get(hour);
  if (had === undefined || played > had) hours.set(hour, played);
}

function foldState(into: SessionState, from: SessionState): void {
  into.maxPlayed = Math.max(into.maxPlayed, from.maxPlayed);
  into.firstAt = Math.min(into.firstAt, from.firstAt);
  into.lastAt = Math.max(into.lastAt, from.lastAt);
  into.completed ||= from.completed;
}

/** Adds `state`, received at `at`, to the checkpoint at `at` (made if missing) and to every later one. */
function foldReceipt(receipts: ReceiptCheckpoint[], at: number, state: SessionState): void {
  let i = receipts.findIndex((c) => c.at >= at);
  if (i === -1) i = receipts.length;
  if (receipts[i]?.at !== at) {
    const before = receipts[i - 1];
    receipts.splice(i, 0, before ? { ...before, at } : { ...state, at });
  }
  for (let j = i; j < receipts.length; j++) foldState(receipts[j], state);
  while (receipts.length > MAX_RECEIPT_CHECKPOINTS) receipts.splice(0, 2, { ...receipts[1], at: receipts[0].at });
}

/** The last checkpoint received at or before `at`, or null. */
export function checkpointAt(receipts: ReceiptCheckpoint[], at: number): ReceiptCheckpoint | null {
  let found: ReceiptCheckpoint | null = null;
  for (const c of receipts) if (c.at <= at) found = c;
  return found;
}

/** Merges `from` into `into` (same key). Commutative, so a failed flush can be put back. */
export function mergeInto(into: PendingItem, from: PendingItem): void {
  if (from.positionAt >= into.positionAt) {
    into.positionAt = from.positionAt;
    into.currentTime = from.currentTime;
    into.totalDuration = from.totalDuration;
  }
  if (from.title && from.titleAt >= into.titleAt) {
    into.title = from.title;
    into.titleAt = from.titleAt;
  }
  into.firstAt = Math.min(into.firstAt, from.firstAt);
  into.receivedAt = Math.max(into.receivedAt, from.receivedAt);
  into.firstReceivedAt = Math.min(into.firstReceivedAt, from.firstReceivedAt);
  for (const [id, s] of from.sessions) {
    const t = into.sessions.get(id);
    if (!t) {
      into.sessions.set(id, cloneSession(s));
    } else {
      foldState(t, s);
      for (const [hour, played] of s.hours) foldHour(t.hours, hour, played);
      // A cumulative checkpoint holds only data received at or before its time: folding it in at
      // that time keeps every checkpoint of the result true to the same rule.
      for (const c of s.receipts) foldReceipt(t.receipts, c.at, c);
    }
  }
}

function cloneSession(s: PendingSession): PendingSession {
  return { ...s, receipts: s.receipts.map((c) => ({ ...c })), hours: new Map(s.hours) };
}

export function clonePendingItem(item: PendingItem): PendingItem {
  const copy: PendingItem = { ...item, sessions: new Map() };
  for (const [id, s] of item.sessions) copy.sessions.set(id, cloneSession(s));
  return copy;
}

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
}

/**
 * What the item will look like once `pending` is flushed, computed the way the flush SQL does.
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
  if (erasedAt !== null && pending.receivedAt <= erasedAt) return stored;
  let played = 0;
  let completions = 0;
  for (const [id, s] of pending.sessions) {
    const old = storedSessions.get(id);
    const credited = creditOf(old, s);
    const erased = erasedAt === null ? null : checkpointAt(s.receipts, erasedAt);
    const base = erased ? creditOf(old, erased) : (old?.credited ?? 0);
    played += credited - base;
    if (s.completed && !old?.completed && !erased?.completed) completions += 1;
  }
  const newer = !stored || pending.positionAt >= stored.positionAt;
  const progress = newer ? progressOf(pending.currentTime, pending.totalDuration) : stored!.progress;
  return {
    userId: pending.userId,
    mediaType: pending.mediaType,
    mediaId: pending.mediaId,
    seasonNumber: pending.seasonNumber,
    episodeNumber: pending.episodeNumber,
    title: pending.title ?? stored?.title ?? null,
    currentTime: newer ? pending.currentTime : stored!.currentTime,
    totalDuration: newer ? pending.totalDuration : stored!.totalDuration,
    progress,
    finished: newer ? progress >= finishedPercent : stored!.finished,
    completedCount: (stored?.completedCount ?? 0) + completions,
    totalPlayedSeconds: (stored?.totalPlayedSeconds ?? 0) + played,
    positionAt: Math.max(stored?.positionAt ?? -Infinity, pending.positionAt),
    lastWatchedAt: Math.max(stored?.lastWatchedAt ?? -Infinity, pending.positionAt),
  };
}
