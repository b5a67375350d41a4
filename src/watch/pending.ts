import type { ItemKey } from './item-key.js';

/**
 * What an instance holds unflushed for one item: the shape the pending store folds heartbeats
 * into, the flush writes, and the overlay merges into stored rows. Times are epoch milliseconds;
 * "event time" is `occurredAt` when the client gave one, else the time of receipt.
 */

/** What a client says about the device a session plays on (SPEC §4). */
export interface Device {
  id?: string;
  name?: string;
  platform?: string;
}

/**
 * What is known of a session: the largest `playedSeconds`, the event-time span, and how far it got
 * (largest progress and position of its heartbeats). Whether it reached the finished point is
 * decided when it is stored, with the user's settings and the catalogue's credits of that time
 * (`reachedFinish` in src/watch/progress.ts).
 */
export interface SessionState {
  maxPlayed: number;
  firstAt: number;
  lastAt: number;
  peakProgress: number;
  peakTime: number;
}

/** Where a session is: its latest heartbeat (by event time) and the position of its first. */
export interface SessionPosition {
  currentTime: number;
  totalDuration: number;
  /** The position of the session's earliest heartbeat (by event time). */
  fromTime: number;
  /** The event of the latest heartbeat (`start`, `progress`, `pause`, `stop`). */
  lastEvent: string;
}

/**
 * The session's state as of a receipt time: everything received at or before `at` (and, once
 * checkpoints were merged, possibly a little received after it: see `MAX_RECEIPT_CHECKPOINTS` in src/playtime/pending-item.ts).
 * A delete at time T erases what was received up to T: the flush takes the last checkpoint at or
 * before T as what was deleted, and credits only what the session gained since.
 */
export interface ReceiptCheckpoint extends SessionState {
  at: number;
  /**
   * How far the heartbeats received at exactly `at` got (not cumulative): after a delete, what the
   * session reached is judged on what came later only (`peakAfter`), as the erased heartbeats are gone.
   */
  ownPeakProgress: number;
  ownPeakTime: number;
}

export interface PendingSession extends SessionState, SessionPosition {
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

/** Everything the service accepted for one history item since its last flush, coalesced. */
export interface PendingItem extends ItemKey {
  /** `itemKeyString` of the item. */
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

/** How far the heartbeats received after `at` got: the largest own peaks of later checkpoints (0 when none). */
export function peakAfter(receipts: ReceiptCheckpoint[], at: number): { peakProgress: number; peakTime: number } {
  let peakProgress = 0;
  let peakTime = 0;
  for (const c of receipts) {
    if (c.at <= at) continue;
    peakProgress = Math.max(peakProgress, c.ownPeakProgress);
    peakTime = Math.max(peakTime, c.ownPeakTime);
  }
  return { peakProgress, peakTime };
}

/** The last checkpoint received at or before `at`, or null. */
export function checkpointAt(receipts: ReceiptCheckpoint[], at: number): ReceiptCheckpoint | null {
  let found: ReceiptCheckpoint | null = null;
  for (const c of receipts) if (c.at <= at) found = c;
  return found;
}

/**
 * Whether a delete at `erasedAt` (null: none) erased the whole item: nothing of it was received
 * after the delete. The flush then writes no history; the overlay shows the stored row as is.
 */
export function erasedByDelete(item: { receivedAt: number }, erasedAt: number | null): boolean {
  return erasedAt !== null && item.receivedAt <= erasedAt;
}

/** `erasedByDelete` in SQL, for `timestamptz` expressions of the enclosing query. */
export function erasedByDeleteSql(receivedAt: string, erasedAt: string): string {
  return `(${erasedAt} IS NOT NULL AND ${receivedAt} <= ${erasedAt})`;
}
