import { createTestApp, type TestApp } from '../utils/create-app.js';
import { watchedSession } from '../factories/watch.factory.js';

/** `byHourOfDay` and `byWeekday` of GET /v1/stats/me (SPEC §5): local to `tz`, from the hourly buckets. */
describe('GET /v1/stats/me by hour of day and weekday', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  async function userWithBuckets(id: string, buckets: [hour: string, seconds: number][]) {
    for (const [hour, seconds] of buckets) await watchedSession(t, { userId: id, mediaId: 9100550, at: hour, seconds });
    const token = await t.token(id);
    return async (query: Record<string, string>) =>
      (await t.http().get('/v1/stats/me').query(query).set('Authorization', `Bearer ${token}`).expect(200)).body as {
        totalSeconds: number;
        byHourOfDay: number[];
        byWeekday: number[];
      };
  }

  /** 24 zeros with the given hours set. */
  const hours = (set: Record<number, number>) => Array.from({ length: 24 }, (_, h) => set[h] ?? 0);

  it('shifts hours and weekdays into the zone asked for, Monday first', async () => {
    // 2025-06-01 is a Sunday.
    const stats = await userWithBuckets('hw-shift', [
      ['2025-06-01T20:00:00Z', 100], // Sunday 20:00 UTC = Monday 05:00 in Tokyo
      ['2025-06-02T10:00:00Z', 200], // Monday 10:00 UTC = Monday 19:00 in Tokyo
      ['2025-06-03T14:00:00Z', 400], // Tuesday 14:00 UTC = Tuesday 23:00 in Tokyo
      ['2025-06-03T15:00:00Z', 800], // Tuesday 15:00 UTC = Wednesday 00:00 in Tokyo
    ]);

    const utc = await stats({ from: '2025-06-01', to: '2025-06-03' });
    expect(utc.byHourOfDay).toEqual(hours({ 20: 100, 10: 200, 14: 400, 15: 800 }));
    expect(utc.byWeekday).toEqual([200, 1200, 0, 0, 0, 0, 100]);

    const tokyo = await stats({ from: '2025-06-02', to: '2025-06-04', tz: 'Asia/Tokyo' });
    expect(tokyo.totalSeconds).toBe(1500);
    expect(tokyo.byHourOfDay).toEqual(hours({ 5: 100, 19: 200, 23: 400, 0: 800 }));
    expect(tokyo.byWeekday).toEqual([300, 400, 800, 0, 0, 0, 0]);

    // West of Greenwich the first bucket is still Sunday, 16:00 (EDT, UTC−4 in June).
    const newYork = await stats({ from: '2025-06-01', to: '2025-06-03', tz: 'America/New_York' });
    expect(newYork.byHourOfDay).toEqual(hours({ 16: 100, 6: 200, 10: 400, 11: 800 }));
    expect(newYork.byWeekday).toEqual([200, 1200, 0, 0, 0, 0, 100]);
  });

  it('counts a UTC hour towards the local hour it starts in, in a half-hour zone, and only inside the window', async () => {
    const stats = await userWithBuckets('hw-kolkata', [
      ['2025-06-02T10:00:00Z', 60], // 15:30 in Kolkata (UTC+5:30): hour 15, Monday
      ['2025-06-07T18:00:00Z', 30], // Saturday 23:30 in Kolkata: hour 23, Saturday
      ['2025-06-07T19:00:00Z', 999], // Sunday 00:30 in Kolkata: the day after the window
    ]);
    const body = await stats({ from: '2025-06-02', to: '2025-06-07', tz: 'Asia/Kolkata' });
    expect(body.byHourOfDay).toEqual(hours({ 15: 60, 23: 30 }));
    expect(body.byWeekday).toEqual([60, 0, 0, 0, 0, 30, 0]);
    expect(body.byHourOfDay.reduce((a, b) => a + b, 0)).toBe(body.totalSeconds);
  });

  it('is documented: 24 and 7 numbers', async () => {
    const res = await t.http().get('/docs-json').expect(200);
    const props = res.body.components.schemas.UserStats.properties;
    expect(props.byHourOfDay).toMatchObject({ type: 'array', minItems: 24, maxItems: 24 });
    expect(props.byWeekday).toMatchObject({ type: 'array', minItems: 7, maxItems: 7 });
    expect(props.byWeekday.description).toMatch(/Monday first/);
  });
});
