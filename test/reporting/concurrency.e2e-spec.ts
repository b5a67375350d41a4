import { createTestApp, type TestApp } from '../utils/create-app.js';
import { parseCsv } from '../utils/csv.js';
import { expectFieldError } from '../utils/field-error.js';
import { sessionRow } from '../factories/session-row.factory.js';

/**
 * Peak concurrency on sessions whose spans are set by hand (UTC, 2025-03-10 unless said):
 *
 *   a: A1 10:05–10:40, A2 10:20–11:10   one user, two overlapping sessions
 *   b: B1 10:50–10:55
 *   c: C1 14:00–14:30, C2 14:10–14:20   one user, two sessions only (viewers 1, sessions 2)
 *   d: D  15:50–17:10                   across two hour boundaries, no event in 16:00–17:00
 *   e: E  20:00–20:30, f: F 20:30–21:00 one ends when the other starts: both play at 20:30
 *   g: G  03-09 23:00 – 03-10 00:30     began before the window
 *   h: H  18:00–18:40                   across Kolkata's midnight (18:30 UTC)
 *   k: K1 22:00–22:10, K2 22:10–22:20   one user, one session right after the other: one viewer
 *
 * The peaks below are worked out from these spans, not read back from the service.
 */
describe('GET /v1/admin/reports/concurrency', () => {
  let t: TestApp;
  let admin: { Authorization: string };
  const at = (hhmm: string, day = '2025-03-10') => `${day}T${hhmm}:00Z`;

  beforeAll(async () => {
    t = await createTestApp();
    admin = { Authorization: `Bearer ${await t.token('ops', { admin: true })}` };
    const spans: [string, string, string, string?, string?][] = [
      ['a', '10:05', '10:40'], ['a', '10:20', '11:10'], ['b', '10:50', '10:55'],
      ['c', '14:00', '14:30'], ['c', '14:10', '14:20'], ['d', '15:50', '17:10'],
      ['e', '20:00', '20:30'], ['f', '20:30', '21:00'], ['g', '23:00', '00:30', '2025-03-09', '2025-03-10'],
      ['h', '18:00', '18:40'], ['k', '22:00', '22:10'], ['k', '22:10', '22:20'],
    ];
    for (const [userId, first, last, firstDay, lastDay] of spans) {
      await sessionRow(t, { userId: `cc-${userId}`, first: at(first, firstDay), last: at(last, lastDay) });
    }
    // A session the flush has just created and not filled in yet: an empty span, in no interval.
    await t.db.query(
      `INSERT INTO watch_sessions (user_id, session_id, media_type, media_id, first_at, last_at)
       VALUES ('cc-empty', gen_random_uuid(), 'movie', 1, 'infinity', '-infinity')`,
    );
    // Outside the window on both sides.
    await sessionRow(t, { userId: 'cc-x', first: at('09:00', '2025-03-08'), last: at('09:30', '2025-03-08') });
    await sessionRow(t, { userId: 'cc-x', first: at('09:00', '2025-03-12'), last: at('09:30', '2025-03-12') });
  });
  afterAll(() => t?.close());

  const get = (query: Record<string, string>) => t.http().get('/v1/admin/reports/concurrency').query(query).set(admin);
  type Row = { start: string; peakViewers: number; peakSessions: number };
  const peaks = (rows: Row[]) => Object.fromEntries(rows.filter((r) => r.peakSessions > 0).map((r) => [r.start, [r.peakViewers, r.peakSessions]]));

  it('gives the peak viewers and sessions of every UTC hour, zeros included', async () => {
    const res = await get({ from: '2025-03-10', to: '2025-03-10', interval: '1h' }).expect(200);
    expect(res.body).toMatchObject({ from: '2025-03-10', to: '2025-03-10', interval: '1h', tz: 'UTC' });
    const rows: Row[] = res.body.rows;
    expect(rows).toHaveLength(24);
    expect(rows.map((r) => r.start)).toEqual(Array.from({ length: 24 }, (_, h) => `2025-03-10T${String(h).padStart(2, '0')}:00:00+00:00`));
    const h = (hour: number) => `2025-03-10T${String(hour).padStart(2, '0')}:00:00+00:00`;
    expect(peaks(rows)).toEqual({
      [h(0)]: [1, 1], // g, from the day before
      [h(10)]: [2, 2], // a's two sessions (one viewer), then a and b
      [h(11)]: [1, 1], // A2 carried across 11:00
      [h(14)]: [1, 2], // c's two sessions: one viewer
      [h(15)]: [1, 1],
      [h(16)]: [1, 1], // d plays through the hour with no event in it
      [h(17)]: [1, 1],
      [h(18)]: [1, 1],
      [h(20)]: [2, 2], // e and f both play at 20:30
      [h(21)]: [1, 1], // f ends at 21:00: it plays at that instant
      [h(22)]: [1, 2], // k's sessions touch at 22:10: two sessions, one viewer
    });
  });

  it('counts both ends of a span, at 5-minute resolution', async () => {
    const res = await get({ from: '2025-03-10', to: '2025-03-10', interval: '5m' }).expect(200);
    const rows: Row[] = res.body.rows;
    expect(rows).toHaveLength(288);
    const slot = (hhmm: string) => rows.find((r) => r.start === `2025-03-10T${hhmm}:00+00:00`)!;
    const expected: [string, number, number][] = [
      ['10:00', 0, 0], // A1 starts at 10:05, the next interval
      ['10:05', 1, 1], ['10:20', 1, 2], ['10:35', 1, 2],
      ['10:40', 1, 2], // A1 ends at 10:40, so at 10:40 both of a's sessions play
      ['10:45', 1, 1], ['10:50', 2, 2],
      ['10:55', 2, 2], // B1 ends at 10:55
      ['11:05', 1, 1],
      ['11:10', 1, 1], // A2 ends at 11:10: it plays at that instant
      ['11:15', 0, 0], ['16:30', 1, 1], ['20:25', 1, 1], ['20:30', 2, 2], ['20:35', 1, 1],
    ];
    for (const [hhmm, viewers, sessions] of expected) {
      expect({ hhmm, viewers: slot(hhmm).peakViewers, sessions: slot(hhmm).peakSessions }).toEqual({ hhmm, viewers, sessions });
    }
  });

  it('follows local hours and days in a zone half an hour off UTC (Asia/Kolkata, +05:30)', async () => {
    const hours = (await get({ from: '2025-03-10', to: '2025-03-10', interval: '1h', tz: 'Asia/Kolkata' }).expect(200)).body;
    expect(hours.tz).toBe(new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Kolkata' }).resolvedOptions().timeZone);
    expect(hours.rows).toHaveLength(24);
    // Local midnight of 03-10 is 03-09 18:30 UTC; each local hour starts at :30 UTC.
    expect(hours.rows[0].start).toBe('2025-03-10T00:00:00+05:30');
    const local = (hh: string) => `2025-03-10T${hh}:00:00+05:30`;
    expect(peaks(hours.rows)).toEqual({
      [local('04')]: [1, 1], // g: 23:00–00:30 UTC is 04:30–06:00 local
      [local('05')]: [1, 1],
      [local('06')]: [1, 1], // g ends at 06:00 local, and plays at that instant
      [local('15')]: [1, 2], // 09:30–10:30 UTC: A1 and A2 only
      [local('16')]: [2, 2], // 10:30–11:30 UTC: A1, A2, then B1
      [local('19')]: [1, 2], // 13:30–14:30 UTC: C1 and C2
      [local('20')]: [1, 1], // C1 ends at 14:30 UTC, the start of this hour
      [local('21')]: [1, 1], // 15:30–16:30 UTC: d
      [local('22')]: [1, 1], // 16:30–17:30 UTC: d
      [local('23')]: [1, 1], // 17:30–18:30 UTC: h, until local midnight
    });

    const days = (await get({ from: '2025-03-10', to: '2025-03-11', interval: '1d', tz: 'Asia/Kolkata' }).expect(200)).body;
    expect(days.rows.map((r: Row) => r.start)).toEqual(['2025-03-10T00:00:00+05:30', '2025-03-11T00:00:00+05:30']);
    // 03-10 local (03-09 18:30 – 03-10 18:30 UTC): at most two sessions, two viewers (10:50).
    // 03-11 local: h (to 18:40 UTC), then e and f together at 20:30 UTC.
    expect(days.rows.map((r: Row) => [r.peakViewers, r.peakSessions])).toEqual([[2, 2], [2, 2]]);
  });

  it('has 23 hours on the day clocks go forward (Europe/Paris, 2025-03-30)', async () => {
    const rows: Row[] = (await get({ from: '2025-03-30', to: '2025-03-30', interval: '1h', tz: 'Europe/Paris' }).expect(200)).body.rows;
    expect(rows).toHaveLength(23);
    expect(rows.slice(0, 4).map((r) => r.start)).toEqual([
      '2025-03-30T00:00:00+01:00', '2025-03-30T01:00:00+01:00', '2025-03-30T03:00:00+02:00', '2025-03-30T04:00:00+02:00',
    ]);
    expect(rows.every((r) => r.peakSessions === 0)).toBe(true);
  });

  it('answers CSV with the same rows', async () => {
    const json = (await get({ from: '2025-03-10', to: '2025-03-10', interval: '1h' }).expect(200)).body;
    const res = await get({ from: '2025-03-10', to: '2025-03-10', interval: '1h', format: 'csv' }).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.text.split('\r\n')[0]).toBe('start,peakViewers,peakSessions');
    const csv = parseCsv(res.text);
    expect(csv.map((r) => ({ start: r.start, peakViewers: Number(r.peakViewers), peakSessions: Number(r.peakSessions) }))).toEqual(json.rows);
  });

  it('refuses bad parameters with a 400 naming the field', async () => {
    expectFieldError(await get({ interval: '2h' }), 'interval');
    expectFieldError(await get({ tz: 'Mars/Olympus' }), 'tz');
    expectFieldError(await get({ tz: '+05:00' }), 'tz');
    expectFieldError(await get({ from: '2025-03-11', to: '2025-03-10' }), 'from');
    expectFieldError(await get({ from: '2025-02-30', to: '2025-03-10' }), 'from');
    expectFieldError(await get({ from: '2025-01-01', to: '2025-02-01', interval: '5m' }), 'to');
    expectFieldError(await get({ from: '2024-01-01', to: '2025-01-01', interval: '1h' }), 'to');
    expectFieldError(await get({ format: 'xml' }), 'format');
    // The longest windows allowed are answered.
    expect((await get({ from: '2025-01-01', to: '2025-01-31', interval: '5m' }).expect(200)).body.rows).toHaveLength(31 * 288);
    expect((await get({ from: '2025-01-01', to: '2025-12-31', interval: '1d' }).expect(200)).body.rows).toHaveLength(365);
  });

  it('is for admins only', async () => {
    await t.http().get('/v1/admin/reports/concurrency').set('Authorization', `Bearer ${await t.token('cc-a')}`).expect(403);
    await t.http().get('/v1/admin/reports/concurrency').expect(401);
  });
});
