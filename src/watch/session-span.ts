/**
 * When a session plays, written once (SPEC §6): from its first to its latest heartbeat (by event
 * time), pauses included, both ends included. Now playing and the concurrency report select
 * sessions by this range, and `watch_sessions_span` (migration 1765000900000) indexes exactly this
 * expression: change one, change the other, or the reads stop using the index.
 *
 * A row the flush has just created holds an empty span (first_at +∞, last_at −∞); `GREATEST` turns
 * it into the point +∞, which overlaps no real window.
 *
 * `ws` is the alias of `watch_sessions` in the enclosing query.
 */
export function sessionSpanSql(ws: string): string {
  return `tstzrange(${ws}.first_at, GREATEST(${ws}.first_at, ${ws}.last_at), '[]')`;
}

/** The platform a session is counted under: its device's, as sent, or `unknown`. */
export const UNKNOWN_PLATFORM = 'unknown';

export function sessionPlatformSql(ws: string): string {
  return `COALESCE(NULLIF(${ws}.device->>'platform', ''), '${UNKNOWN_PLATFORM}')`;
}
