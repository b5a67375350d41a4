/*
 * Past ~300 lines: the in-memory half of the exact-totals rules (per-session maxima and spans,
 * per-hour shares, receipt checkpoints for delete-wins, the per-user hourly ceiling) and the
 * overlay that must compute exactly what the flush SQL stores; kept together so the two halves
 * are read side by side. Pure functions only: no I/O, no timers.
 */
import { itemKeyString, plausibleCap, progressOf, type Device, type Heartbeat, type ItemKey } from './heartbeat.js';

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
  /**
   * The device of the earliest-received heartbeat that named one (null: none yet), and when it
   * was received (+Infinity when none). The flush stores it only on a session row without one.
   */
  device: Device | null;
  deviceAt: number;
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

/**
 * Folds one heartbeat into the pending item of its key, creating the item on its first heartbeat:
 * so a batch never holds a key twice. Returns the item when it is new.
 */
export function coalesce(items: Map<string, PendingItem>, userId: string, hb: Heartbeat, receivedAt: number, finishedPercent: number): PendingItem | null {
  const key = itemKeyString({ userId, ...hb });
  const item = items.get(key);
  if (item) {
    addHeartbeat(item, hb, receivedAt, finishedPercent);
    return null;
  }
  const created = newPendingItem(userId, hb, receivedAt, finishedPercent);
  items.set(key, created);
  return created;
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
    s = { ...state, receipts: [{ ...state, at: receivedAt }], hours: new Map(), device: null, deviceAt: Infinity };
    item.sessions.set(hb.sessionId, s);
  }
  foldHour(s.hours, hourOf(at), hb.playedSeconds);
  foldDevice(s, hb.device ?? null, receivedAt);
}

/** The earliest receipt wins; on a tie (one request) the one folded in first stays. */
function foldDevice(s: PendingSession, device: Device | null, at: number): void {
  if (device && at < s.deviceAt) {
    s.device = device;
    s.deviceAt = at;
  }
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
      foldDevice(t, s.device, s.deviceAt);
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
  const order = items.map((_, n) => n).sort((x, y) => (items[x].pending.key < items[y].pending.key ? -1 : items[x].pending.key > items[y].pending.key ? 1 : 0));
  const wanted: { item: number; hour: number; delta: number }[] = [];
  const completions = new Array<number>(items.length).fill(0);
  const decreases = new Map<number, number>();
  for (const n of order) {
    const { pending, storedSessions, erasedAt } = items[n];
    const live = erasedAt === null || pending.receivedAt > erasedAt;
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
    if (erasedAt !== null && pending.receivedAt <= erasedAt) return stored;
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
