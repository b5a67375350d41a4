import type { DayRow, TitleRow } from './reporting.repository.js';
import { buildReport, csvCell, REPORT_COLUMNS, toCsv } from './watch-hours-report.js';

const day = (d: string, scope: DayRow['scope'], watch_seconds: number, viewers = 1, completions = 0): DayRow => ({
  day: d,
  scope,
  watch_seconds,
  viewers,
  completions,
});
const title = (media_type: TitleRow['media_type'], media_id: number, watch_seconds: number, name: string | null = null): TitleRow => ({
  media_type,
  media_id,
  title: name,
  watch_seconds,
  viewers: 1,
  completions: 0,
});

describe('csvCell', () => {
  it('writes null and undefined as an empty cell, numbers as numbers (a negative one undefused)', () => {
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(0)).toBe('0');
    expect(csvCell(-12.5)).toBe('-12.5');
  });

  it.each(['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx'])('defuses text a spreadsheet would run: %j', (text) => {
    expect(csvCell(text).replace(/^"|"$/g, '')).toBe(`'${text}`);
  });

  it('leaves text that starts with anything else as it is, even with a formula character inside', () => {
    expect(csvCell('Fleabag')).toBe('Fleabag');
    expect(csvCell('a=b+c-d@e')).toBe('a=b+c-d@e');
    expect(csvCell(' =1')).toBe(' =1');
    expect(csvCell('')).toBe('');
  });

  it('quotes a cell holding a quote, a comma, CR or LF, and doubles its quotes (RFC 4180)', () => {
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('a\nb')).toBe('"a\nb"');
    expect(csvCell('a\rb')).toBe('"a\rb"');
    expect(csvCell('"')).toBe('""""');
  });

  it('defuses first, then quotes: the leading quote mark ends up inside the quotes', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('\rx')).toBe(`"'\rx"`);
  });

  it('writes a boolean as its text', () => {
    expect(csvCell(true)).toBe('true');
  });
});

describe('toCsv', () => {
  it('writes the header in the grouping column order, one CRLF-terminated line per row', () => {
    const rows = buildReport('media', '2025-01-01', '2025-01-01', [], [title('tv', 7, 5400, 'Dark, "S1"'), title('movie', 3, 7200, '=cmd')]);
    expect(toCsv('media', rows)).toBe(
      'mediaType,mediaId,title,watchSeconds,watchHours,viewers,completions\r\n' +
        "movie,3,'=cmd,7200,2,1,0\r\n" +
        'tv,7,"Dark, ""S1""",5400,1.5,1,0\r\n',
    );
  });

  it('writes an empty cell for a title the catalogue does not know', () => {
    const rows = buildReport('media', '2025-01-01', '2025-01-01', [], [title('movie', 3, 60)]);
    expect(toCsv('media', rows).split('\r\n')[1]).toBe('movie,3,,60,0.017,1,0');
  });

  it('writes only the header for no rows', () => {
    expect(toCsv('day', [])).toBe(`${REPORT_COLUMNS.day.join(',')}\r\n`);
  });
});

describe('buildReport', () => {
  it('by day: every day of the range in order, zeros for days without a roll-up, only the "all" scope', () => {
    const days = [day('2025-03-02', 'all', 3600, 2, 1), day('2025-03-02', 'movie', 999, 9, 9), day('2025-03-04', 'all', 90, 1, 0)];
    expect(buildReport('day', '2025-03-01', '2025-03-04', days, [])).toEqual([
      { date: '2025-03-01', watchSeconds: 0, watchHours: 0, viewers: 0, completions: 0 },
      { date: '2025-03-02', watchSeconds: 3600, watchHours: 1, viewers: 2, completions: 1 },
      { date: '2025-03-03', watchSeconds: 0, watchHours: 0, viewers: 0, completions: 0 },
      { date: '2025-03-04', watchSeconds: 90, watchHours: 0.025, viewers: 1, completions: 0 },
    ]);
  });

  it('by day: one row for a one-day range, across a month end and a leap day', () => {
    expect(buildReport('day', '2024-02-28', '2024-03-01', [], []).map((r) => (r as { date: string }).date)).toEqual([
      '2024-02-28',
      '2024-02-29',
      '2024-03-01',
    ]);
    expect(buildReport('day', '2025-01-01', '2025-01-01', [], [])).toHaveLength(1);
  });

  it('by media type: movie then tv, each summed over its days (viewer-days)', () => {
    const days = [day('2025-03-01', 'movie', 100, 2, 1), day('2025-03-02', 'movie', 50, 3, 0), day('2025-03-01', 'tv', 7, 1, 2), day('2025-03-01', 'all', 1e6, 99, 99)];
    expect(buildReport('mediaType', '2025-03-01', '2025-03-02', days, [])).toEqual([
      { mediaType: 'movie', watchSeconds: 150, watchHours: 0.042, viewers: 5, completions: 1 },
      { mediaType: 'tv', watchSeconds: 7, watchHours: 0.002, viewers: 1, completions: 2 },
    ]);
  });

  it('by media type: both types even with no data', () => {
    expect(buildReport('mediaType', '2025-03-01', '2025-03-01', [], [])).toEqual([
      { mediaType: 'movie', watchSeconds: 0, watchHours: 0, viewers: 0, completions: 0 },
      { mediaType: 'tv', watchSeconds: 0, watchHours: 0, viewers: 0, completions: 0 },
    ]);
  });

  it('by media: most watched first, ties by media type then media id', () => {
    const titles = [title('tv', 2, 10), title('movie', 9, 10), title('movie', 1, 10), title('tv', 1, 500), title('movie', 5, 20)];
    const rows = buildReport('media', '2025-03-01', '2025-03-01', [], titles) as { mediaType: string; mediaId: number }[];
    expect(rows.map((r) => `${r.mediaType}:${r.mediaId}`)).toEqual(['tv:1', 'movie:5', 'movie:1', 'movie:9', 'tv:2']);
  });

  it('by media: does not reorder the rows it was given', () => {
    const titles = [title('movie', 1, 10), title('movie', 2, 20)];
    buildReport('media', '2025-03-01', '2025-03-01', [], titles);
    expect(titles.map((t) => t.media_id)).toEqual([1, 2]);
  });

  it('rounds seconds and hours to three decimals', () => {
    const [row] = buildReport('media', '2025-03-01', '2025-03-01', [], [{ ...title('movie', 1, 1234.56789, 'T'), viewers: 4, completions: 3 }]);
    expect(row).toEqual({ mediaType: 'movie', mediaId: 1, title: 'T', watchSeconds: 1234.568, watchHours: 0.343, viewers: 4, completions: 3 });
  });
});

describe('buildReport by platform', () => {
  const platform = (name: string, watch_seconds: number, viewers = 1, completions = 0) => ({ platform: name, watch_seconds, viewers, completions });

  it('orders platforms by seconds, then by name, with the figures of each', () => {
    const rows = buildReport('platform', '2025-01-01', '2025-01-02', [], [], [
      platform('web', 100), platform('unknown', 3600, 2, 1), platform('android', 100), platform('ios', 7200.00049),
    ]);
    expect(rows).toEqual([
      { platform: 'ios', watchSeconds: 7200, watchHours: 2, viewers: 1, completions: 0 },
      { platform: 'unknown', watchSeconds: 3600, watchHours: 1, viewers: 2, completions: 1 },
      { platform: 'android', watchSeconds: 100, watchHours: 0.028, viewers: 1, completions: 0 },
      { platform: 'web', watchSeconds: 100, watchHours: 0.028, viewers: 1, completions: 0 },
    ]);
  });

  it('has no rows when nothing was played, and writes its CSV header and defused cells', () => {
    expect(buildReport('platform', '2025-01-01', '2025-01-01', [day('2025-01-01', 'all', 10)], [], [])).toEqual([]);
    const csv = toCsv('platform', buildReport('platform', '2025-01-01', '2025-01-01', [], [], [platform('=cmd', 60)]));
    expect(csv).toBe("platform,watchSeconds,watchHours,viewers,completions\r\n'=cmd,60,0.017,1,0\r\n");
    expect(REPORT_COLUMNS.platform[0]).toBe('platform');
  });
});
