/**
 * The title to show for an item, written once (SPEC §6): the catalogue's title, else the most
 * recent title a heartbeat carried for that item, whoever watched it; for tv the item is the show,
 * so its episodes' heartbeats all count and the most recent one wins. Reports (JSON and CSV),
 * statistics and history all select it through this fragment, so a title never differs between
 * them.
 *
 * "Most recent" is the history row's `last_watched_at` (then its id, so ties are stable): a row's
 * `title` is the last non-null title its heartbeats carried. Rows without a title (an item marked
 * watched from the catalogue, a player that sends none) are skipped. Deleted history takes its
 * titles with it.
 *
 * Both lookups are index probes: `catalog_items` by its primary key, `watch_history` through
 * `watch_history_item_title` (media_type, media_id, last_watched_at DESC, id DESC) WHERE title IS
 * NOT NULL, whose first entry is the answer.
 *
 * `mediaType` and `mediaId` are SQL expressions of the enclosing query (columns or parameters).
 * The fragment's own aliases (`title_c`, `title_h`) are chosen not to shadow the caller's.
 */
export function itemTitleSql(mediaType: string, mediaId: string): string {
  return `COALESCE(
    ${catalogTitleSql(mediaType, mediaId)},
    (SELECT title_h.title FROM watch_history title_h
      WHERE title_h.media_type = ${mediaType} AND title_h.media_id = ${mediaId} AND title_h.title IS NOT NULL
      ORDER BY title_h.last_watched_at DESC, title_h.id DESC
      LIMIT 1))`;
}

/** Only the catalogue's part of the rule: what beats even a heartbeat not stored yet. */
export function catalogTitleSql(mediaType: string, mediaId: string): string {
  return `(SELECT title_c.title FROM catalog_items title_c WHERE title_c.media_type = ${mediaType} AND title_c.media_id = ${mediaId})`;
}

/**
 * The same rule for an item with heartbeats not flushed yet: the catalogue's title still wins, but
 * a title the unflushed heartbeats carry is newer than any stored one, so it beats the rest.
 */
export function overlayTitle(t: { catalog: string | null; unflushed: string | null; stored: string | null; fallback: string | null }): string | null {
  return t.catalog ?? t.unflushed ?? t.stored ?? t.fallback;
}
