import { localDate } from '../stats/stats-window.js';
import { defaultFrom, isTooLong, MAX_WINDOW_DAYS, REPORT_DEFAULT_DAYS, windowDays, type WindowIssue } from '../watch/window.js';
import type { ConcurrencyInterval, ConcurrencyRow } from './concurrency.repository.js';
import type { ConcurrencyQuery } from './dto/concurrency.schema.js';

/** The longest window of 5-minute rows: a month of them is 8,928 rows; a year would be 105,408. */
export const MAX_5M_WINDOW_DAYS = 31;

export interface ConcurrencyWindow {
  from: string;
  to: string;
  tz: string;
  interval: ConcurrencyInterval;
}

/**
 * Fills in the defaults (`to` today in `tz` by the injected clock, `from` 6 days before `to`) and
 * checks the window: `from` after `to`, or longer than MAX_WINDOW_DAYS (MAX_5M_WINDOW_DAYS with
 * `interval=5m`), is an issue naming the end the caller chose.
 */
export function resolveConcurrencyWindow(q: ConcurrencyQuery, nowMs: number): ConcurrencyWindow | WindowIssue {
  // The canonical spelling (`asia/kolkata` → `Asia/Kolkata`) is what the database and the answer get.
  const tz = new Intl.DateTimeFormat('en-US', { timeZone: q.tz }).resolvedOptions().timeZone;
  const to = q.to ?? localDate(nowMs, tz);
  const from = q.from ?? defaultFrom(to, REPORT_DEFAULT_DAYS);
  if (from > to) return { field: 'from', message: `must not be after to (${to})` };
  const max = q.interval === '5m' ? MAX_5M_WINDOW_DAYS : MAX_WINDOW_DAYS;
  if (windowDays(from, to) > max || isTooLong(from, to)) {
    const per = q.interval === '5m' ? ' with interval=5m' : '';
    return { field: q.to === undefined ? 'from' : 'to', message: `the range may cover at most ${max} days${per}; it covers ${windowDays(from, to)}` };
  }
  return { from, to, tz, interval: q.interval };
}

/** An instant as local time in `tz` with its offset: `2025-12-01T20:00:00+05:30`. */
export function localIso(ms: number, tz: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'longOffset',
  }).formatToParts(ms);
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)!.value;
  // `GMT+05:30`, `GMT-03:00`, or plain `GMT` at UTC.
  const offset = get('timeZoneName').replace(/^GMT/, '') || '+00:00';
  return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}:${get('second')}${offset}`;
}

export function concurrencyRows(rows: ConcurrencyRow[], tz: string): { start: string; peakViewers: number; peakSessions: number }[] {
  return rows.map((r) => ({ start: localIso(r.start.getTime(), tz), peakViewers: r.peak_viewers, peakSessions: r.peak_sessions }));
}

export const CONCURRENCY_COLUMNS = ['start', 'peakViewers', 'peakSessions'];
