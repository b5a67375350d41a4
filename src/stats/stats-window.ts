import { FieldValidationException } from '../common/errors.js';
import { defaultFrom, isTooLong, MAX_WINDOW_DAYS, STATS_DEFAULT_DAYS, windowDays } from '../watch/window.js';
import type { StatsQuery } from './dto/stats-query.schema.js';

/** Calendar days `from`..`to` (inclusive, YYYY-MM-DD) in the IANA zone `tz`. */
export interface StatsWindow {
  from: string;
  to: string;
  tz: string;
}

/**
 * Fills in the defaults and checks what needs both ends of the window. `to` defaults to today in
 * `tz` (by the injected clock), `from` to 29 days before `to`, so no parameters means the last 30
 * days. Only the calendar arithmetic happens here; where the days start and end is left to
 * PostgreSQL, which gets `tz` as a parameter.
 */
export function resolveStatsWindow(query: StatsQuery, nowMs: number): StatsWindow {
  // The canonical spelling (`asia/tokyo` → `Asia/Tokyo`) is what the database is given.
  const tz = new Intl.DateTimeFormat('en-US', { timeZone: query.tz }).resolvedOptions().timeZone;
  const to = query.to ?? localDate(nowMs, tz);
  const from = query.from ?? defaultFrom(to, STATS_DEFAULT_DAYS);
  if (from > to) {
    throw new FieldValidationException([{ field: 'from', message: `must not be after to (${to})` }]);
  }
  if (isTooLong(from, to)) {
    const days = windowDays(from, to);
    // Name the end the caller chose; with only `from` given, `to` is today.
    throw new FieldValidationException([
      { field: query.to === undefined ? 'from' : 'to', message: `the window from..to spans ${days} days; at most ${MAX_WINDOW_DAYS} are allowed` },
    ]);
  }
  return { from, to, tz };
}

/** The calendar date (YYYY-MM-DD) of an instant in a zone. */
export function localDate(ms: number, tz: string): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(ms);
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)!.value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}
