import { createHash } from 'node:crypto';

export type MediaType = 'movie' | 'tv';

/** What identifies a history item: one row of `watch_history`. */
export interface ItemKey {
  userId: string;
  mediaType: MediaType;
  mediaId: number;
  seasonNumber: number | null;
  episodeNumber: number | null;
}

/**
 * The one encoding of an item key, used wherever items are grouped, looked up or ordered in
 * memory. NUL cannot occur in a validated id, so no two keys encode alike. The flush sends its
 * items in this order and the overlay replays the per-user ceiling in the same order, so the two
 * agree on which item an hour's room goes to. Stored with set-aside items (`ingest_rejects.item_key`).
 */
export function itemKeyString(k: ItemKey): string {
  return userItemKeyString(k.userId, k);
}

/** `itemKeyString` of a user's heartbeat (or any item of theirs), without building an `ItemKey`. */
export function userItemKeyString(userId: string, k: Omit<ItemKey, 'userId'>): string {
  return `${userId}\u0000${k.mediaType}\u0000${k.mediaId}\u0000${k.seasonNumber ?? ''}\u0000${k.episodeNumber ?? ''}`;
}

/** A movie, or a whole show with all its episodes: what a title belongs to. */
export function showKeyString(k: { mediaType: MediaType | string; mediaId: number }): string {
  return `${k.mediaType}\u0000${k.mediaId}`;
}

/** One session of one item. */
export function sessionKeyString(k: ItemKey, sessionId: string): string {
  return `${itemKeyString(k)}\u0000${sessionId}`;
}

/** Orders encoded keys the way the flush and the overlay both walk them. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * What is logged instead of an item's key: the key holds the user id, the log must not. The same
 * hash is stored with a set-aside item, so an operator goes from the log line to the row.
 */
export function itemKeyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}
