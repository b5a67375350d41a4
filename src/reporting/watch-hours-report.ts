import type { MediaType } from '../watch/item-key.js';
import { eachDay, round } from '../watch/time.js';
import type { DayRow, PlatformRow, TitleRow } from './reporting.repository.js';

export type GroupBy = 'day' | 'media' | 'mediaType' | 'platform';

interface Figures {
  watchSeconds: number;
  watchHours: number;
  viewers: number;
  completions: number;
}

export type ReportRow =
  | ({ date: string } & Figures)
  | ({ mediaType: MediaType; mediaId: number; title: string | null } & Figures)
  | ({ mediaType: MediaType } & Figures)
  | ({ platform: string } & Figures);

/** Column order of each grouping: the group's key, then the figures (SPEC §6). */
export const REPORT_COLUMNS: Record<GroupBy, string[]> = {
  day: ['date', 'watchSeconds', 'watchHours', 'viewers', 'completions'],
  media: ['mediaType', 'mediaId', 'title', 'watchSeconds', 'watchHours', 'viewers', 'completions'],
  mediaType: ['mediaType', 'watchSeconds', 'watchHours', 'viewers', 'completions'],
  platform: ['platform', 'watchSeconds', 'watchHours', 'viewers', 'completions'],
};

function figures(seconds: number, viewers: number, completions: number): Figures {
  return { watchSeconds: round(seconds, 3), watchHours: round(seconds / 3600, 3), viewers, completions };
}

/**
 * Shapes the rows into the report. `viewers` is distinct viewers per day; a row spanning several
 * days (media, mediaType, platform) sums the days (viewer-days). Title and platform rows come
 * summed over the range.
 */
export function buildReport(groupBy: GroupBy, from: string, to: string, days: DayRow[], titles: TitleRow[], platforms: PlatformRow[] = []): ReportRow[] {
  if (groupBy === 'platform') {
    return [...platforms]
      .sort((a, b) => b.watch_seconds - a.watch_seconds || (a.platform < b.platform ? -1 : a.platform > b.platform ? 1 : 0))
      .map((r) => ({ platform: r.platform, ...figures(r.watch_seconds, r.viewers, r.completions) }));
  }
  if (groupBy === 'day') {
    const byDay = new Map(days.filter((d) => d.scope === 'all').map((d) => [d.day, d]));
    return eachDay(from, to).map((date) => {
      const d = byDay.get(date);
      return { date, ...figures(d?.watch_seconds ?? 0, d?.viewers ?? 0, d?.completions ?? 0) };
    });
  }
  if (groupBy === 'mediaType') {
    return (['movie', 'tv'] as const).map((mediaType) => {
      const rows = days.filter((d) => d.scope === mediaType);
      return {
        mediaType,
        ...figures(sum(rows, (r) => r.watch_seconds), sum(rows, (r) => r.viewers), sum(rows, (r) => r.completions)),
      };
    });
  }
  return [...titles]
    .sort((a, b) => b.watch_seconds - a.watch_seconds || a.media_type.localeCompare(b.media_type) || a.media_id - b.media_id)
    .map((r) => ({ mediaType: r.media_type, mediaId: r.media_id, title: r.title, ...figures(r.watch_seconds, r.viewers, r.completions) }));
}

function sum<T>(rows: T[], f: (r: T) => number): number {
  return rows.reduce((acc, r) => acc + f(r), 0);
}

/**
 * A text cell a spreadsheet would run as a formula (or a DDE command) if it began the cell as is:
 * `=`, `+`, `-`, `@`, a tab or a carriage return. Numbers are written as numbers, so a negative
 * number is never mistaken for one.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: text defused with a leading `'`, then quoted as RFC 4180 says when needed. */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return String(v);
  let s = String(v);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV: a header row with the column names, one CRLF-terminated line per row. */
export function toCsv(groupBy: GroupBy, rows: ReportRow[]): string {
  return csvTable(REPORT_COLUMNS[groupBy], rows);
}

/** Any report as RFC 4180 CSV: a header row of `columns`, then each row's values in that order. */
export function csvTable(columns: string[], rows: object[]): string {
  const lines = [columns.join(','), ...rows.map((r) => columns.map((c) => csvCell((r as unknown as Record<string, unknown>)[c])).join(','))];
  return lines.join('\r\n') + '\r\n';
}
