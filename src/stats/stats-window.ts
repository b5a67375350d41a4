import { FieldValidationException } from '../common/errors.js';
import { DEFAULT_RANGE_DAYS, MAX_RANGE_DAYS, type StatsQuery } from './dto/stats-query.schema.js';

/** Calendar days `from`..`to` (inclusive, YYYY-MM-DD) in the IANA zone `tz`. */
export interface StatsWindow {
  from: string;
  to: string;
  tz: string;
}

const DAY_MS = 86_400_000;

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
  const from = query.from ?? addDays(to, -(DEFAULT_RANGE_DAYS - 1));
  if (from > to) {
    throw new FieldValidationException([{ field: 'from', message: `must not be after to (${to})` }]);
  }
  const days = daysBetween(from, to) + 1;
  if (days > MAX_RANGE_DAYS) {
    // Name the end the caller chose; with only `from` given, `to` is today.
    throw new FieldValidationException([
      { field: query.to === undefined ? 'from' : 'to', message: `the window from..to spans ${days} days; at most ${MAX_RANGE_DAYS} are allowed` },
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

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}
