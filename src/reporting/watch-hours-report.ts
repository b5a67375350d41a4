import type { DayRow, TitleRow } from './reporting.repository.js';

export type GroupBy = 'day' | 'media' | 'mediaType';

interface Figures {
  watchSeconds: number;
  watchHours: number;
  viewers: number;
  completions: number;
}

export type ReportRow =
  | ({ date: string } & Figures)
  | ({ mediaType: 'movie' | 'tv'; mediaId: number; title: string | null } & Figures)
  | ({ mediaType: 'movie' | 'tv' } & Figures);

/** Column order of each grouping: the group's key, then the figures (SPEC §6). */
export const REPORT_COLUMNS: Record<GroupBy, string[]> = {
  day: ['date', 'watchSeconds', 'watchHours', 'viewers', 'completions'],
  media: ['mediaType', 'mediaId', 'title', 'watchSeconds', 'watchHours', 'viewers', 'completions'],
  mediaType: ['mediaType', 'watchSeconds', 'watchHours', 'viewers', 'completions'],
};

const round = (n: number, d: number) => Math.round(n * 10 ** d) / 10 ** d;

function figures(seconds: number, viewers: number, completions: number): Figures {
  return { watchSeconds: round(seconds, 3), watchHours: round(seconds / 3600, 3), viewers, completions };
}

function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = Date.parse(`${from}T00:00:00Z`); d <= Date.parse(`${to}T00:00:00Z`); d += 86_400_000) {
    out.push(new Date(d).toISOString().slice(0, 10));
  }
  return out;
}

/**
 * Shapes daily rows into the report. `viewers` is distinct viewers per day; a row spanning several
 * days (media, mediaType) sums the days (viewer-days).
 */
export function buildReport(groupBy: GroupBy, from: string, to: string, days: DayRow[], titles: TitleRow[]): ReportRow[] {
  if (groupBy === 'day') {
    const byDay = new Map(days.filter((d) => d.scope === 'all').map((d) => [d.day, d]));
    return daysBetween(from, to).map((date) => {
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
  const byTitle = new Map<string, { r: TitleRow; seconds: number; viewers: number; completions: number; lastDay: string }>();
  for (const r of titles) {
    const key = `${r.media_type}/${r.media_id}`;
    const acc = byTitle.get(key) ?? { r, seconds: 0, viewers: 0, completions: 0, lastDay: '' };
    acc.seconds += r.watch_seconds;
    acc.viewers += r.viewers;
    acc.completions += r.completions;
    if (r.day >= acc.lastDay && r.title) {
      acc.r = r;
      acc.lastDay = r.day;
    }
    byTitle.set(key, acc);
  }
  return [...byTitle.values()]
    .sort((a, b) => b.seconds - a.seconds || a.r.media_type.localeCompare(b.r.media_type) || a.r.media_id - b.r.media_id)
    .map((a) => ({ mediaType: a.r.media_type, mediaId: a.r.media_id, title: a.r.title, ...figures(a.seconds, a.viewers, a.completions) }));
}

function sum<T>(rows: T[], f: (r: T) => number): number {
  return rows.reduce((acc, r) => acc + f(r), 0);
}

/** RFC 4180 CSV: a header row with the column names, one line per row. */
export function toCsv(groupBy: GroupBy, rows: ReportRow[]): string {
  const columns = REPORT_COLUMNS[groupBy];
  const cell = (v: unknown) => {
    if (v === null || v === undefined) return '';
    const s = String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [columns.join(','), ...rows.map((r) => columns.map((c) => cell((r as unknown as Record<string, unknown>)[c])).join(','))];
  return lines.join('\r\n') + '\r\n';
}
