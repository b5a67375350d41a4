import { FieldValidationException } from '../common/errors.js';
import { localDate, resolveStatsWindow } from './stats-window.js';

/** 2025-03-10T23:30:00Z: already the 11th in Paris, still the 10th in UTC and New York. */
const NOW = Date.UTC(2025, 2, 10, 23, 30);

function fieldErrors(f: () => unknown) {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(FieldValidationException);
    return (err as FieldValidationException).errors;
  }
  throw new Error('expected a FieldValidationException');
}

describe('localDate', () => {
  it('is the calendar day of the instant in the zone', () => {
    expect(localDate(NOW, 'UTC')).toBe('2025-03-10');
    expect(localDate(NOW, 'Europe/Paris')).toBe('2025-03-11');
    expect(localDate(Date.UTC(2025, 0, 1, 3), 'America/New_York')).toBe('2024-12-31');
  });
});

describe('resolveStatsWindow', () => {
  it('with no parameters: the last 30 days of the zone, today included', () => {
    expect(resolveStatsWindow({ tz: 'UTC' }, NOW)).toEqual({ from: '2025-02-09', to: '2025-03-10', tz: 'UTC' });
    expect(resolveStatsWindow({ tz: 'Europe/Paris' }, NOW)).toEqual({ from: '2025-02-10', to: '2025-03-11', tz: 'Europe/Paris' });
  });

  it('gives the database the canonical spelling of the zone', () => {
    expect(resolveStatsWindow({ tz: 'europe/paris' }, NOW).tz).toBe('Europe/Paris');
  });

  it('with only `to`: the 30 days ending there; with only `from`: from there to today', () => {
    expect(resolveStatsWindow({ tz: 'UTC', to: '2024-03-01' }, NOW)).toMatchObject({ from: '2024-02-01', to: '2024-03-01' });
    expect(resolveStatsWindow({ tz: 'UTC', from: '2025-03-01' }, NOW)).toMatchObject({ from: '2025-03-01', to: '2025-03-10' });
  });

  it('accepts a one-day window and refuses `from` after `to`, naming `from`', () => {
    expect(resolveStatsWindow({ tz: 'UTC', from: '2025-01-05', to: '2025-01-05' }, NOW)).toMatchObject({ from: '2025-01-05', to: '2025-01-05' });
    expect(fieldErrors(() => resolveStatsWindow({ tz: 'UTC', from: '2025-01-06', to: '2025-01-05' }, NOW))).toEqual([
      { field: 'from', message: 'must not be after to (2025-01-05)' },
    ]);
  });

  it('allows 366 days and refuses 367, naming the end the caller chose', () => {
    expect(resolveStatsWindow({ tz: 'UTC', from: '2024-01-01', to: '2024-12-31' }, NOW)).toMatchObject({ from: '2024-01-01' });
    const message = 'the window from..to spans 367 days; at most 366 are allowed';
    expect(fieldErrors(() => resolveStatsWindow({ tz: 'UTC', from: '2024-01-01', to: '2025-01-01' }, NOW))).toEqual([{ field: 'to', message }]);
    // With only `from`, `to` is today (2025-03-10): `from` is the end to move.
    expect(fieldErrors(() => resolveStatsWindow({ tz: 'UTC', from: '2024-03-09' }, NOW))).toEqual([{ field: 'from', message }]);
    expect(resolveStatsWindow({ tz: 'UTC', from: '2024-03-10' }, NOW)).toMatchObject({ from: '2024-03-10', to: '2025-03-10' });
  });

  it('counts days across a daylight-saving change as whole days', () => {
    expect(resolveStatsWindow({ tz: 'Europe/Paris', to: '2025-04-05' }, NOW)).toMatchObject({ from: '2025-03-07', to: '2025-04-05' });
  });
});
