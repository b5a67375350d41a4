import { addDays, daysBetween } from './time.js';

/**
 * The calendar windows a caller may ask for: statistics (days in the caller's zone) and reports
 * (UTC days). Pure: the caller turns an issue into its own error (a 400, a CLI usage line).
 */

export interface WindowIssue {
  field: 'from' | 'to';
  message: string;
}

/** The longest window one request may ask for: a whole (leap) year. */
export const MAX_WINDOW_DAYS = 366;
/** A report with neither end given: the last 7 days, today included. */
export const REPORT_DEFAULT_DAYS = 7;
/** Statistics with neither end given: the last 30 days, today included. */
export const STATS_DEFAULT_DAYS = 30;

/** Days in `from`..`to`, both included. */
export function windowDays(from: string, to: string): number {
  return daysBetween(from, to) + 1;
}

/** Whether `from`..`to` covers more days than any window may (statistics and reports alike). */
export function isTooLong(from: string, to: string): boolean {
  return windowDays(from, to) > MAX_WINDOW_DAYS;
}

/** `from` defaults to the first day of a `defaultDays` window ending on `to`. */
export function defaultFrom(to: string, defaultDays: number): string {
  return addDays(to, -(defaultDays - 1));
}

/** What is wrong with a report window whose two ends the caller gave (both are checked at validation). */
export function reportRangeIssues(from: string, to: string): WindowIssue[] {
  const issues: WindowIssue[] = [];
  if (from > to) issues.push({ field: 'from', message: 'must not be after to' });
  if (isTooLong(from, to)) issues.push({ field: 'to', message: `the range may cover at most ${MAX_WINDOW_DAYS} days` });
  return issues;
}

/**
 * A report's window: `to` defaults to today (UTC), `from` to 6 days before `to`. With an end
 * defaulted only the order is checked (the length was checked when both were given).
 */
export function reportWindow(q: { from?: string; to?: string }, today: string): { from: string; to: string } | WindowIssue {
  const to = q.to ?? today;
  const from = q.from ?? defaultFrom(to, REPORT_DEFAULT_DAYS);
  return from > to ? { field: 'from', message: 'must not be after to' } : { from, to };
}

/** Whether `reportWindow` refused the window. */
export function isWindowIssue(w: { from: string; to: string } | WindowIssue): w is WindowIssue {
  return 'message' in w;
}
