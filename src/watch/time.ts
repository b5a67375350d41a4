/** Time arithmetic shared by the flush, statistics and reports: UTC instants in epoch ms, days as YYYY-MM-DD. */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/**
 * The hour a heartbeat at `ms` reports on. `playedSeconds` is what was played *before* that
 * instant, so a heartbeat at exactly 23:00:00 closes the 22:00 hour (it says what was played by
 * then); any later instant belongs to its own hour. Time between two heartbeats on either side
 * of an hour goes to the later hour: at most one heartbeat interval (10–30 s) per hour.
 */
export function hourOf(ms: number): number {
  return Math.floor((ms - 1) / HOUR_MS) * HOUR_MS;
}

/** Days since 1970-01-01 (UTC) of an epoch-ms instant: the key of a day's bucket lock. */
export function utcDayNumber(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** The UTC calendar day (YYYY-MM-DD) of an instant. */
export function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function dayStart(date: string): number {
  return Date.parse(`${date}T00:00:00Z`);
}

/** The calendar day `days` after `date` (before, when negative). */
export function addDays(date: string, days: number): string {
  return utcDate(dayStart(date) + days * DAY_MS);
}

/** Whole days from `from` to `to` (0 for the same day, negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((dayStart(to) - dayStart(from)) / DAY_MS);
}

/** Every calendar day `from`..`to`, both included, in order (none when `from` is after `to`). */
export function eachDay(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = dayStart(from); d <= dayStart(to); d += DAY_MS) out.push(utcDate(d));
  return out;
}

/** `n` rounded half up to `decimals` places, as every figure the API shows. */
export function round(n: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(n * f) / f;
}
