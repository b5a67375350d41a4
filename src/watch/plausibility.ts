/**
 * How much played time is believable, per session and per user. The flush SQL and the in-memory
 * overlay must agree to the second, so the SQL form of each rule sits next to its TypeScript form.
 */

/** A 2× playback rate: a session is credited at most twice the wall-clock span of its heartbeats… */
export const MAX_PLAYBACK_RATE = 2;
/** …plus one heartbeat interval of slack, so a session's first heartbeat can count. */
export const CAP_SLACK_SECONDS = 60;

/** The most a session may be credited: claims beyond it are clamped. Times in epoch ms. */
export function plausibleCap(firstAtMs: number, lastAtMs: number): number {
  return (MAX_PLAYBACK_RATE * (lastAtMs - firstAtMs)) / 1000 + CAP_SLACK_SECONDS;
}

/** `plausibleCap` in SQL; `firstAt` and `lastAt` are `timestamptz` expressions of the enclosing query. */
export function plausibleCapSql(firstAt: string, lastAt: string): string {
  return `${MAX_PLAYBACK_RATE} * EXTRACT(EPOCH FROM ${lastAt} - ${firstAt})::float8 + ${CAP_SLACK_SECONDS}`;
}

/** Seconds one user may be credited per UTC hour: one hour per stream they may play at once. */
export function hourlyCeilingSeconds(maxStreamsPerUser: number): number {
  return maxStreamsPerUser * 3600;
}
