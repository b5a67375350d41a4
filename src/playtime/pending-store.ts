import type { DropScope } from '../watch/unflushed-items.js';
import type { Heartbeat } from './heartbeat.js';
import { itemKeyString, userItemKeyString, type ItemKey } from '../watch/item-key.js';
import { clonePendingItem, foldHeartbeat, mergeInto, type PendingItem } from './pending-item.js';

/** A flush under way, as the store sees it: its items stay readable until `finish`. */
export interface Flight {
  readonly items: PendingItem[];
  /** Settles when the flight finishes (stored or put back); never rejects. */
  readonly done: Promise<void>;
}

interface FlightEntry {
  item: PendingItem;
  flight: Flight;
}

interface OpenFlight extends Flight {
  release: () => void;
}

/**
 * What the service accepted and has not committed yet, one coalesced entry per history item
 * (so a batch never holds a key twice), plus the items a flush has taken and not finished.
 *
 * Pure bookkeeping: no timers, no I/O, no framework. Receipt times come from the caller, so tests
 * move time by passing it. One key is in at most one flight at a time; heartbeats that arrive for
 * a key in flight wait pending beside it and are merged back if the flight fails.
 */
export class PendingStore {
  private pending = new Map<string, PendingItem>();
  private inflight = new Map<string, FlightEntry>();
  /** Keys pending or in flight, per user, so a user's reads can include them cheaply. */
  private byUser = new Map<string, Set<string>>();

  /** Items held, pending or in flight (a key in both counts twice). */
  get size(): number {
    return this.pending.size + this.inflight.size;
  }

  /** Items pending (a key also in flight counts: it waits for the next flush). */
  get pendingSize(): number {
    return this.pending.size;
  }

  get inFlightSize(): number {
    return this.inflight.size;
  }

  /** Folds one request's heartbeats, received at `receivedAt`, into the pending items. */
  accept(userId: string, heartbeats: Heartbeat[], receivedAt: number): void {
    for (const hb of heartbeats) {
      const created = foldHeartbeat(this.pending, userId, hb, receivedAt);
      if (created) this.indexUser(created);
    }
  }

  /**
   * How many of the request's sessions the user does not hold yet (pending or in flight), and
   * how many the user holds: the caller bounds their sum.
   */
  sessionsAfter(userId: string, heartbeats: Heartbeat[]): { fresh: number; held: number } {
    const fresh = new Set<string>();
    for (const hb of heartbeats) {
      const key = userItemKeyString(userId, hb);
      if (this.pending.get(key)?.sessions.has(hb.sessionId) || this.inflight.get(key)?.item.sessions.has(hb.sessionId)) continue;
      fresh.add(`${key}\u0000${hb.sessionId}`);
    }
    if (fresh.size === 0) return { fresh: 0, held: 0 };
    let held = 0;
    for (const k of this.byUser.get(userId) ?? []) {
      held += (this.pending.get(k)?.sessions.size ?? 0) + (this.inflight.get(k)?.item.sessions.size ?? 0);
    }
    return { fresh: fresh.size, held };
  }

  unflushed(key: ItemKey): PendingItem | null {
    return this.unflushedByKey(itemKeyString(key));
  }

  unflushedForUser(userId: string): PendingItem[] {
    const out: PendingItem[] = [];
    for (const k of this.byUser.get(userId) ?? []) {
      const item = this.unflushedByKey(k);
      if (item) out.push(item);
    }
    return out;
  }

  /** A copy of what is held for a key: the flight's part with the newer pending part folded in. */
  private unflushedByKey(k: string): PendingItem | null {
    const a = this.inflight.get(k)?.item;
    const b = this.pending.get(k);
    if (!a && !b) return null;
    const merged = clonePendingItem((a ?? b)!);
    if (a && b) mergeInto(merged, b);
    return merged;
  }

  oldestUnflushedReceipt(): number | null {
    let oldest: number | null = null;
    const consider = (item: PendingItem) => {
      if (oldest === null || item.firstReceivedAt < oldest) oldest = item.firstReceivedAt;
    };
    for (const item of this.pending.values()) consider(item);
    for (const { item } of this.inflight.values()) consider(item);
    return oldest;
  }

  /** Drops the pending items of a scope; items in flight are left to the delete's lock and tombstone. */
  drop(scope: DropScope): number {
    let dropped = 0;
    for (const [key, item] of this.pending) {
      if (!inScope(item, scope)) continue;
      this.pending.delete(key);
      if (!this.inflight.has(key)) this.forget(item);
      dropped += 1;
    }
    return dropped;
  }

  /**
   * Whether a flight holds data of the scope received at or before `at`. Receipt time, not event
   * time: an offline batch replays old event times, yet it was received when it was received.
   */
  heldInFlight(scope: DropScope, at: number): boolean {
    for (const k of this.byUser.get(scope.userId) ?? []) {
      const item = this.inflight.get(k)?.item;
      if (item && inScope(item, scope) && item.firstReceivedAt <= at) return true;
    }
    return false;
  }

  /** Up to `max` pending items that no flight holds, oldest key first. */
  nextBatch(max: number): PendingItem[] {
    const batch: PendingItem[] = [];
    for (const [key, item] of this.pending) {
      if (batch.length >= max) break;
      if (!this.inflight.has(key)) batch.push(item);
    }
    return batch;
  }

  /**
   * What a flush of one user's items should do next: the pending items no flight holds (up to
   * `max`), and the flights holding others. Keys of `todo` neither pending nor in flight are
   * stored already: they are removed from it.
   */
  userWork(todo: Set<string>, max: number): { batch: PendingItem[]; waitFor: Promise<void>[] } {
    const batch: PendingItem[] = [];
    const waitFor = new Set<Promise<void>>();
    for (const k of todo) {
      const entry = this.inflight.get(k);
      const item = this.pending.get(k);
      if (entry) waitFor.add(entry.flight.done);
      else if (!item) todo.delete(k);
      else if (batch.length < max) batch.push(item);
    }
    return { batch, waitFor: [...waitFor] };
  }

  /** Keys the user holds now, pending or in flight. */
  keysOf(userId: string): Set<string> {
    return new Set(this.byUser.get(userId));
  }

  /** Every flight under way. */
  flights(): Promise<void>[] {
    return [...new Set([...this.inflight.values()].map((e) => e.flight.done))];
  }

  /** Some pending item is not held by a flight (a flush could take it now). */
  get hasWaiting(): boolean {
    for (const k of this.pending.keys()) if (!this.inflight.has(k)) return true;
    return false;
  }

  /** Moves pending items (none in flight) into a new flight. */
  begin(items: PendingItem[]): Flight {
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    const flight: OpenFlight = { items, done, release };
    for (const item of items) {
      this.pending.delete(item.key);
      this.inflight.set(item.key, { item, flight });
    }
    return flight;
  }

  /** Ends a flight: `unstored` items go back to pending (merged with what arrived meanwhile). */
  finish(flight: Flight, unstored: PendingItem[]): void {
    const keep = new Set(unstored);
    for (const item of flight.items) {
      this.inflight.delete(item.key);
      if (keep.has(item)) this.putBack(item);
      else if (!this.pending.has(item.key)) this.forget(item);
    }
    (flight as OpenFlight).release();
  }

  /**
   * Returns items that could not be stored. Heartbeats of the same key that arrived during the
   * failed flush are pending beside them: both are kept, merged (the merge is commutative).
   */
  putBack(item: PendingItem): void {
    const newer = this.pending.get(item.key);
    if (newer) mergeInto(item, newer);
    this.addPending(item);
  }

  private addPending(item: PendingItem): void {
    this.pending.set(item.key, item);
    this.indexUser(item);
  }

  private indexUser(item: PendingItem): void {
    let keys = this.byUser.get(item.userId);
    if (!keys) this.byUser.set(item.userId, (keys = new Set()));
    keys.add(item.key);
  }

  private forget(item: PendingItem): void {
    const keys = this.byUser.get(item.userId);
    keys?.delete(item.key);
    if (keys?.size === 0) this.byUser.delete(item.userId);
  }
}

/** One request's heartbeats coalesced per item (a request may carry several of one item). */
export function coalesce(userId: string, heartbeats: Heartbeat[], receivedAt: number): PendingItem[] {
  const items = new Map<string, PendingItem>();
  for (const hb of heartbeats) foldHeartbeat(items, userId, hb, receivedAt);
  return [...items.values()];
}

function inScope(item: PendingItem, scope: DropScope): boolean {
  if (item.userId !== scope.userId) return false;
  if (!('mediaType' in scope)) return true;
  if (item.mediaType !== scope.mediaType || item.mediaId !== scope.mediaId) return false;
  return scope.seasonNumber == null || (item.seasonNumber === scope.seasonNumber && item.episodeNumber === scope.episodeNumber);
}
