import type { ItemKey } from './item-key.js';
import type { PendingItem } from '../playtime/pending-item.js';

/** Which unflushed data a history delete drops: one item, one whole show, or everything of a user. */
export type DropScope =
  | { userId: string }
  | { userId: string; mediaType: 'movie' | 'tv'; mediaId: number; seasonNumber?: number | null; episodeNumber?: number | null };

/**
 * What read and delete paths need from the ingest buffer: a user's accepted but not yet committed
 * items, and a way to store them first. They never hold the buffer itself, so its queue, timers
 * and shutdown stay its own business.
 */
export interface UnflushedItems {
  /** What is accepted but not committed for one item (pending and in flight, merged), or null. */
  unflushed(key: ItemKey): PendingItem | null;
  /** Everything of one user accepted but not committed, one entry per item. */
  unflushedForUser(userId: string): PendingItem[];
  /** Stores what was accepted for the user before the call; other users' items stay pending. */
  flushUser(userId: string): Promise<void>;
  /** Drops pending data of the scope (a history delete); items in a flush under way stay. */
  drop(scope: DropScope): number;
  /** Some item of the scope received at or before `at` is in a flush under way (it may still commit). */
  heldInFlight(scope: DropScope, at: number): boolean;
}

/** What operations need: how much is held, whether the instance drains, and a full flush. */
export interface IngestState {
  readonly pendingCount: number;
  readonly isDraining: boolean;
  /** Receipt time of the oldest heartbeat accepted but not committed, or null when none. */
  oldestUnflushedReceipt(): number | null;
  /** Flushes everything pending now; rejects if the database keeps failing. */
  flush(): Promise<void>;
}

export const UNFLUSHED_ITEMS = Symbol('UnflushedItems');
export const INGEST_STATE = Symbol('IngestState');
