import { rollupQuerySchema, watchHoursQuerySchema, watchHoursReportSchema } from './report-query.schema.js';

const issues = (q: unknown) => {
  const r = watchHoursQuerySchema.safeParse(q);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
};

describe('watchHoursQuerySchema', () => {
  it('defaults to JSON grouped by day, and leaves the window to the service', () => {
    expect(watchHoursQuerySchema.parse({})).toEqual({ groupBy: 'day', format: 'json' });
  });

  it('accepts each grouping and format', () => {
    for (const groupBy of ['day', 'media', 'mediaType']) {
      for (const format of ['json', 'csv']) expect(watchHoursQuerySchema.parse({ groupBy, format })).toEqual({ groupBy, format });
    }
  });

  it('refuses an unknown grouping or format', () => {
    expect(issues({ groupBy: 'week' }).map((i) => i.path)).toEqual(['groupBy']);
    expect(issues({ format: 'xml' }).map((i) => i.path)).toEqual(['format']);
  });

  it('accepts from equal to to, and refuses from after to on `from`', () => {
    expect(issues({ from: '2025-03-01', to: '2025-03-01' })).toEqual([]);
    expect(issues({ from: '2025-03-02', to: '2025-03-01' })).toEqual([{ path: 'from', message: 'must not be after to' }]);
  });

  it('allows 366 days (a leap year) and refuses 367, on `to`', () => {
    expect(issues({ from: '2024-01-01', to: '2024-12-31' })).toEqual([]);
    expect(issues({ from: '2024-01-01', to: '2025-01-01' })).toEqual([{ path: 'to', message: 'the range may cover at most 366 days' }]);
  });

  it('checks the span only when both ends are given', () => {
    expect(issues({ from: '1970-01-01' })).toEqual([]);
    expect(issues({ to: '9999-12-31' })).toEqual([]);
  });

  it('refuses a day that is not a calendar day, on its own field', () => {
    expect(issues({ from: '2025-02-30' }).map((i) => i.path)).toEqual(['from']);
    expect(issues({ to: '1969-12-31' }).map((i) => i.path)).toEqual(['to']);
  });
});

describe('rollupQuerySchema', () => {
  it('needs one calendar day', () => {
    expect(rollupQuerySchema.parse({ date: '2025-03-01' })).toEqual({ date: '2025-03-01' });
    expect(rollupQuerySchema.safeParse({}).success).toBe(false);
    expect(rollupQuerySchema.safeParse({ date: '2025-02-30' }).success).toBe(false);
  });
});

describe('watchHoursReportSchema', () => {
  const figures = { watchSeconds: 7200, watchHours: 2, viewers: 3, completions: 1 };

  it('describes each grouping’s rows', () => {
    const report = {
      from: '2025-03-01',
      to: '2025-03-01',
      groupBy: 'media',
      rows: [{ date: '2025-03-01', ...figures }, { mediaType: 'tv', mediaId: 7, title: null, ...figures }, { mediaType: 'movie', ...figures }],
    };
    expect(watchHoursReportSchema.parse(report)).toEqual(report);
  });

  it('counts viewers and completions in whole numbers', () => {
    const row = { date: '2025-03-01', ...figures, viewers: 1.5 };
    expect(watchHoursReportSchema.safeParse({ from: 'a', to: 'b', groupBy: 'day', rows: [row] }).success).toBe(false);
  });
});
