import { addDays, DAY_MS, daysBetween, eachDay, HOUR_MS, hourOf, round, utcDate, utcDayNumber } from './time.js';

const at = (iso: string) => Date.parse(iso);

describe('hourOf', () => {
  it('puts an instant exactly on the hour in the hour it closes', () => {
    expect(hourOf(at('2025-06-01T23:00:00Z'))).toBe(at('2025-06-01T22:00:00Z'));
  });

  it('puts any later instant in its own hour', () => {
    expect(hourOf(at('2025-06-01T23:00:00.001Z'))).toBe(at('2025-06-01T23:00:00Z'));
    expect(hourOf(at('2025-06-01T23:59:59.999Z'))).toBe(at('2025-06-01T23:00:00Z'));
    expect(hourOf(at('2025-06-02T00:00:00Z') + 1)).toBe(at('2025-06-02T00:00:00Z'));
  });
});

describe('days', () => {
  it('have one length each', () => {
    expect(DAY_MS).toBe(24 * HOUR_MS);
    expect(HOUR_MS).toBe(3_600_000);
  });

  it('number from 1970-01-01 in UTC, by floor', () => {
    expect(utcDayNumber(0)).toBe(0);
    expect(utcDayNumber(DAY_MS - 1)).toBe(0);
    expect(utcDayNumber(DAY_MS)).toBe(1);
    expect(utcDayNumber(-1)).toBe(-1);
    expect(utcDayNumber(at('2025-06-01T12:00:00Z'))).toBe(20_240);
    expect(utcDayNumber(at('2025-06-01T00:00:00Z'))).toBe(20_240);
  });

  it('are named by their UTC date', () => {
    expect(utcDate(at('2025-06-01T23:59:59.999Z'))).toBe('2025-06-01');
    expect(utcDate(at('2025-06-02T00:00:00Z'))).toBe('2025-06-02');
  });

  it('add across months, leap days and years', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(addDays('2025-06-10', -6)).toBe('2025-06-04');
  });

  it('count between two dates', () => {
    expect(daysBetween('2025-06-01', '2025-06-01')).toBe(0);
    expect(daysBetween('2025-06-01', '2025-06-30')).toBe(29);
    expect(daysBetween('2025-06-30', '2025-06-01')).toBe(-29);
    expect(daysBetween('2024-01-01', '2025-01-01')).toBe(366);
  });

  it('list every day of a range, both ends included', () => {
    expect(eachDay('2025-02-27', '2025-03-02')).toEqual(['2025-02-27', '2025-02-28', '2025-03-01', '2025-03-02']);
    expect(eachDay('2025-06-01', '2025-06-01')).toEqual(['2025-06-01']);
    expect(eachDay('2025-06-02', '2025-06-01')).toEqual([]);
  });
});

describe('round', () => {
  it('rounds half up to the given places, not down', () => {
    expect(round(1.2345, 3)).toBe(1.235);
    expect(round(1.2344, 3)).toBe(1.234);
    expect(round(0.125, 2)).toBe(0.13);
    expect(round(7199.9996, 3)).toBe(7200);
    expect(round(2.5, 0)).toBe(3);
  });
});
