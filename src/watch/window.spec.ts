import { defaultFrom, isWindowIssue, MAX_WINDOW_DAYS, reportRangeIssues, reportWindow, windowDays } from './window.js';

describe('windowDays', () => {
  it('counts both ends', () => {
    expect(windowDays('2025-06-01', '2025-06-01')).toBe(1);
    expect(windowDays('2025-06-01', '2025-06-30')).toBe(30);
  });

  it('defaults `from` to the first day of a window of the given length ending on `to`', () => {
    expect(defaultFrom('2025-06-30', 30)).toBe('2025-06-01');
    expect(defaultFrom('2025-06-07', 7)).toBe('2025-06-01');
    expect(defaultFrom('2025-06-07', 1)).toBe('2025-06-07');
  });
});

describe('report windows', () => {
  it('default to the last 7 days, today included', () => {
    expect(reportWindow({}, '2025-06-07')).toEqual({ from: '2025-06-01', to: '2025-06-07' });
    expect(reportWindow({ to: '2025-03-02' }, '2025-06-07')).toEqual({ from: '2025-02-24', to: '2025-03-02' });
    expect(reportWindow({ from: '2025-06-05' }, '2025-06-07')).toEqual({ from: '2025-06-05', to: '2025-06-07' });
  });

  it('refuse `from` after `to`, also when `to` defaulted to today', () => {
    const w = reportWindow({ from: '2025-06-08' }, '2025-06-07');
    expect(isWindowIssue(w)).toBe(true);
    expect(w).toEqual({ field: 'from', message: 'must not be after to' });
    expect(isWindowIssue(reportWindow({ from: '2025-06-07' }, '2025-06-07'))).toBe(false);
  });

  it('may cover exactly MAX_WINDOW_DAYS days, not one more', () => {
    expect(MAX_WINDOW_DAYS).toBe(366);
    expect(reportRangeIssues('2024-01-01', '2024-12-31')).toEqual([]);
    expect(reportRangeIssues('2024-01-01', '2025-01-01')).toEqual([{ field: 'to', message: 'the range may cover at most 366 days' }]);
  });

  it('name every problem of a range at once', () => {
    expect(reportRangeIssues('2025-06-02', '2025-06-01')).toEqual([{ field: 'from', message: 'must not be after to' }]);
    expect(reportRangeIssues('2025-06-01', '2025-06-01')).toEqual([]);
  });
});
