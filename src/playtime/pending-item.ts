import { itemKeyString, plausibleCap, progressOf, type Heartbeat, type ItemKey } from './heartbeat.js';

export interface PendingSession {
  maxPlayed: number;
  firstAt: number;
  lastAt: number;
  /** Some heartbeat of this session was at or past FINISHED_PERCENT. */
  completed: boolean;
}

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
  const reached = progressOf(currentTime, hb.totalDuration) >= finishedPercent;
  const s = item.sessions.get(hb.sessionId);
  if (s) {
    s.maxPlayed = Math.max(s.maxPlayed, hb.playedSeconds);
    s.firstAt = Math.min(s.firstAt, at);
    s.lastAt = Math.max(s.lastAt, at);
    s.completed ||= reached;
  } else {
    item.sessions.set(hb.sessionId, { maxPlayed: hb.playedSeconds, firstAt: at, lastAt: at, completed: reached });
  }
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
  for (const [id, s] of from.sessions) {
    const t = into.sessions.get(id);
    if (!t) {
      into.sessions.set(id, { ...s });
    } else {
      t.maxPlayed = Math.max(t.maxPlayed, s.maxPlayed);
      t.firstAt = Math.min(t.firstAt, s.firstAt);
      t.lastAt = Math.max(t.lastAt, s.lastAt);
      t.completed ||= s.completed;
    }
  }
}

export function clonePendingItem(item: PendingItem): PendingItem {
  const copy: PendingItem = { ...item, sessions: new Map() };
  for (const [id, s] of item.sessions) copy.sessions.set(id, { ...s });
  return copy;
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
 */
export function applyPending(
  stored: StoredItem | null,
  storedSessions: Map<string, StoredSession>,
  pending: PendingItem,
  finishedPercent: number,
): StoredItem {
  let played = 0;
  let completions = 0;
  for (const [id, s] of pending.sessions) {
    const old = storedSessions.get(id);
    const max = Math.max(old?.maxPlayed ?? 0, s.maxPlayed);
    const first = Math.min(old?.firstAt ?? Infinity, s.firstAt);
    const last = Math.max(old?.lastAt ?? -Infinity, s.lastAt);
    const credited = Math.max(old?.credited ?? 0, Math.min(max, plausibleCap(first, last)));
    played += credited - (old?.credited ?? 0);
    if (s.completed && !old?.completed) completions += 1;
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
