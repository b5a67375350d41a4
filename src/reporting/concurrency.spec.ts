import { concurrencyQuerySchema } from './dto/concurrency.schema.js';
import { concurrencyRows, localIso, MAX_5M_WINDOW_DAYS, resolveConcurrencyWindow } from './concurrency.js';

const NOW = Date.parse('2025-12-15T20:00:00Z');
const query = (q: Record<string, string>) => concurrencyQuerySchema.parse(q);

describe('resolveConcurrencyWindow', () => {
  it('defaults to the last 7 days of tz, hourly, in UTC', () => {
    expect(resolveConcurrencyWindow(query({}), NOW)).toEqual({ from: '2025-12-09', to: '2025-12-15', tz: 'UTC', interval: '1h' });
  });

  it("takes today in tz: already the 16th in Tokyo when it is the 15th in UTC", () => {
    expect(resolveConcurrencyWindow(query({ tz: 'Asia/Tokyo' }), NOW)).toMatchObject({ from: '2025-12-10', to: '2025-12-16', tz: 'Asia/Tokyo' });
  });

  it('gives the zone its canonical spelling', () => {
    expect(resolveConcurrencyWindow(query({ tz: 'europe/paris' }), NOW)).toMatchObject({ tz: 'Europe/Paris' });
  });

  it('refuses from after to, naming from', () => {
    expect(resolveConcurrencyWindow(query({ from: '2025-12-02', to: '2025-12-01' }), NOW)).toEqual({ field: 'from', message: 'must not be after to (2025-12-01)' });
    expect(resolveConcurrencyWindow(query({ from: '2025-12-16' }), NOW)).toMatchObject({ field: 'from' });
  });

  it(`allows ${MAX_5M_WINDOW_DAYS} days of 5-minute rows and 366 of the others, naming the end the caller chose`, () => {
    expect(resolveConcurrencyWindow(query({ from: '2025-01-01', to: '2025-01-31', interval: '5m' }), NOW)).toMatchObject({ interval: '5m' });
    expect(resolveConcurrencyWindow(query({ from: '2025-01-01', to: '2025-02-01', interval: '5m' }), NOW)).toEqual({
      field: 'to', message: 'the range may cover at most 31 days with interval=5m; it covers 32',
    });
    expect(resolveConcurrencyWindow(query({ from: '2025-11-14', interval: '5m' }), NOW)).toMatchObject({ field: 'from' });
    expect(resolveConcurrencyWindow(query({ from: '2024-01-01', to: '2024-12-31', interval: '1d' }), NOW)).toMatchObject({ to: '2024-12-31' });
    expect(resolveConcurrencyWindow(query({ from: '2024-01-01', to: '2025-01-01', interval: '1h' }), NOW)).toMatchObject({ field: 'to' });
  });
});

describe('concurrencyQuerySchema', () => {
  it.each([
    [{ interval: '15m' }, 'interval'],
    [{ tz: 'Nowhere/City' }, 'tz'],
    [{ tz: 'UTC+5' }, 'tz'],
    [{ from: '2025-13-01' }, 'from'],
    [{ format: 'xlsx' }, 'format'],
  ])('refuses %j', (q, field) => {
    const r = concurrencyQuerySchema.safeParse(q);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path[0])).toEqual([field]);
  });
});

describe('localIso', () => {
  it('writes local time with the offset, across a half-hour zone and a DST change', () => {
    expect(localIso(Date.parse('2025-03-09T18:30:00Z'), 'Asia/Kolkata')).toBe('2025-03-10T00:00:00+05:30');
    expect(localIso(Date.parse('2025-03-30T00:59:59Z'), 'Europe/Paris')).toBe('2025-03-30T01:59:59+01:00');
    expect(localIso(Date.parse('2025-03-30T01:00:00Z'), 'Europe/Paris')).toBe('2025-03-30T03:00:00+02:00');
    expect(localIso(Date.parse('2025-06-01T04:00:00Z'), 'America/New_York')).toBe('2025-06-01T00:00:00-04:00');
    expect(localIso(Date.parse('2025-06-01T00:00:00Z'), 'UTC')).toBe('2025-06-01T00:00:00+00:00');
  });

  it('maps rows, keeping the peaks', () => {
    expect(concurrencyRows([{ start: new Date('2025-06-01T00:00:00Z'), peak_viewers: 2, peak_sessions: 3 }], 'Asia/Tokyo')).toEqual([
      { start: '2025-06-01T09:00:00+09:00', peakViewers: 2, peakSessions: 3 },
    ]);
  });
});
