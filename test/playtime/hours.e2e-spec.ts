import { randomUUID } from 'node:crypto';
import { createTestApp, movieHeartbeat, type TestApp } from '../utils/create-app.js';

/**
 * SPEC §5: time is attributed to the hour it was played in. An offline batch (occurredAt) that
 * covers three hours across local midnight must split between the two local days.
 */
describe('watch time by the hour', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  const zone = 'America/New_York'; // UTC−5 in winter
  /** A local evening a few days back: 22:00 New York = 03:00 UTC the next day. */
  function localEvening(): { day: string; next: string; start: number } {
    const d = new Date(t.clock.now() - 5 * 86_400_000);
    const day = d.toISOString().slice(0, 10);
    const start = Date.parse(`${day}T22:00:00-05:00`);
    const next = new Date(Date.parse(`${day}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    return { day, next, start };
  }

  async function post(user: string, heartbeats: Record<string, unknown>[]) {
    await t.http().post('/v1/playtime/batch').set('Authorization', `Bearer ${await t.token(user)}`).send({ heartbeats }).expect(202);
  }
  async function daily(user: string, from: string, to: string) {
    const res = await t.http().get(`/v1/stats/me?from=${from}&to=${to}&tz=${encodeURIComponent(zone)}`)
      .set('Authorization', `Bearer ${await t.token(user)}`).expect(200);
    return res.body as { totalSeconds: number; daily: { date: string; seconds: number }[] };
  }

  /** 22:00 to 01:00 local, one heartbeat every 2 minutes (91), played = elapsed. */
  function threeHours(start: number, sessionId = randomUUID()) {
    const beats = [];
    for (let s = 0; s <= 3 * 3600; s += 120) {
      beats.push(movieHeartbeat({ sessionId, mediaId: 900, playedSeconds: s, currentTime: s, totalDuration: 20_000, occurredAt: new Date(start + s * 1000).toISOString() }));
    }
    return beats;
  }

  it('an offline batch over three hours across local midnight is split by the hour it was played in', async () => {
    const user = 'hours-1';
    const { day, next, start } = localEvening();
    await post(user, threeHours(start));
    const stats = await daily(user, day, next);
    expect(stats.daily).toEqual([{ date: day, seconds: 7200 }, { date: next, seconds: 3600 }]);
    expect(stats.totalSeconds).toBe(10_800);
    const buckets = await t.db.query(`SELECT hour, seconds FROM watch_buckets WHERE user_id = $1 ORDER BY hour`, [user]);
    expect(buckets.rows.map((r) => [r.hour.getTime() - start, r.seconds])).toEqual([[0, 3600], [3_600_000, 3600], [7_200_000, 3600]]);
    const item = await t.http().get('/v1/history/movie/900').set('Authorization', `Bearer ${await t.token(user)}`).expect(200);
    expect(item.body.totalPlayedSeconds).toBe(10_800);
  });

  it('the same batch again, split over flushes and in any order, changes nothing', async () => {
    const user = 'hours-2';
    const { day, next, start } = localEvening();
    const beats = threeHours(start);
    const reversed = [...beats].reverse();
    await post(user, reversed.slice(0, 40));
    await t.batcher.flush();
    await post(user, reversed.slice(40, 91));
    await t.batcher.flush();
    await post(user, beats.slice(0, 91));
    await t.batcher.flush();
    expect((await daily(user, day, next)).daily).toEqual([{ date: day, seconds: 7200 }, { date: next, seconds: 3600 }]);
    const { rows } = await t.db.query(
      `SELECT sum(sh.credited_s)::float8 AS hours, (SELECT sum(credited_s) FROM watch_sessions WHERE user_id = $1)::float8 AS sessions,
              (SELECT sum(seconds) FROM watch_buckets WHERE user_id = $1)::float8 AS buckets
       FROM watch_session_hours sh JOIN watch_sessions ws ON ws.id = sh.session_id WHERE ws.user_id = $1`,
      [user],
    );
    expect(rows[0]).toEqual({ hours: 10_800, sessions: 10_800, buckets: 10_800 });
  });

  it('the plausibility clamp still holds per session: what it cuts comes off the latest hours', async () => {
    const user = 'hours-3';
    const { day, next, start } = localEvening();
    const sessionId = randomUUID();
    // two heartbeats 90 minutes apart claiming 5 hours: credited 2 × 5400 + 60 = 10,860 s
    await post(user, [
      movieHeartbeat({ sessionId, mediaId: 901, playedSeconds: 0, occurredAt: new Date(start + 3600_000).toISOString() }),
      movieHeartbeat({ sessionId, mediaId: 901, playedSeconds: 18_000, occurredAt: new Date(start + 3600_000 + 5_400_000).toISOString() }),
    ]);
    const stats = await daily(user, day, next);
    expect(stats.totalSeconds).toBe(10_860);
    // nothing was seen played in the 23:00 hour (only playedSeconds 0): all of it in the hour of the claim
    expect(stats.daily).toEqual([{ date: day, seconds: 0 }, { date: next, seconds: 10_860 }]);
  });
});
