import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { resolve } from 'node:path';
import { ReportingService } from '../../src/reporting/reporting.service.js';
import { WatchHoursCron } from '../../src/reporting/watch-hours.cron.js';
import { createTestApp, movieHeartbeat, episodeHeartbeat, type TestApp } from '../utils/create-app.js';
import { ensureBuilt } from '../utils/child-server.js';
import { parseCsv } from '../utils/csv.js';
import { catalogEntry } from '../factories/catalog.factory.js';

const run = promisify(execFile);

/** A closed UTC day `n` days before the test clock's today. */
const dayBefore = (t: TestApp, n: number) => new Date(t.clock.now() - n * 86_400_000).toISOString().slice(0, 10);

describe('watch-hour reports', () => {
  let t: TestApp;
  let admin: { Authorization: string };
  const users = ['rep-a', 'rep-b', 'rep-c'];

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.get(WatchHoursCron).startUpCatchUp; // nothing to do yet, and it must not run into the data below
    admin = { Authorization: `Bearer ${await t.token('ops', { admin: true })}` };
    await catalogEntry(t, { mediaType: 'movie', mediaId: 550, title: 'Fight Club, "the" film' });
    // three users watch over the last three days (occurredAt), one of them finishes the movie
    for (const [u, user] of users.entries()) {
      const token = await t.token(user);
      const heartbeats = [];
      for (let d = 3; d >= 1; d--) {
        const base = Date.parse(`${dayBefore(t, d)}T12:00:00Z`); // noon: never crosses midnight
        const session = randomUUID();
        const at = (s: number) => new Date(base + s * 1000).toISOString();
        heartbeats.push(
          movieHeartbeat({ sessionId: session, playedSeconds: 0, currentTime: 0, occurredAt: at(0) }),
          movieHeartbeat({ sessionId: session, playedSeconds: 600 + u * 60, currentTime: d === 1 && u === 0 ? 8300 : 700, occurredAt: at(600 + u * 60) }),
          episodeHeartbeat({ sessionId: randomUUID(), episodeNumber: d, playedSeconds: 30, occurredAt: at(900) }),
        );
      }
      await t.http().post('/v1/playtime/batch').set('Authorization', `Bearer ${token}`).send({ heartbeats }).expect(202);
    }
    await t.batcher.flush();
  });
  afterAll(() => t.close());

  const report = async (query: Record<string, string>) =>
    (await t.http().get('/v1/admin/reports/watch-hours').query(query).set(admin).expect(200)).body;

  it('agrees with the sum of the users’ own statistics, live and after the roll-up', async () => {
    const from = dayBefore(t, 4);
    const to = dayBefore(t, 0);
    const live = await report({ from, to, groupBy: 'day' });
    let statsTotal = 0;
    for (const user of users) {
      const res = await t.http().get('/v1/stats/me').query({ from, to }).set('Authorization', `Bearer ${await t.token(user)}`).expect(200);
      statsTotal += res.body.totalSeconds;
    }
    const reportTotal = live.rows.reduce((s: number, r: { watchSeconds: number }) => s + r.watchSeconds, 0);
    expect(reportTotal).toBeCloseTo(statsTotal, 6);
    expect(reportTotal).toBe(3 * (600 + 660 + 720) + 3 * 3 * 30);
    expect(live.rows).toHaveLength(5);
    expect(live.rows.map((r: { viewers: number }) => r.viewers).filter((v: number) => v > 0)).toEqual([3, 3, 3]);

    await t.app.get(ReportingService).catchUp();
    const closed = await report({ from, to, groupBy: 'day' });
    expect(closed).toEqual(live);
    for (const groupBy of ['media', 'mediaType']) {
      expect(await report({ from, to, groupBy })).toEqual(await report({ from, to, groupBy }));
    }
    const byMedia = await report({ from, to, groupBy: 'media' });
    expect(byMedia.rows[0]).toMatchObject({ mediaType: 'movie', mediaId: 550, title: 'Fight Club, "the" film', viewers: 9, completions: 1 });
    expect(byMedia.rows[1]).toMatchObject({ mediaType: 'tv', mediaId: 1399, watchSeconds: 270, completions: 0 });
    const byType = await report({ from, to, groupBy: 'mediaType' });
    expect(byType.rows.map((r: { mediaType: string }) => r.mediaType)).toEqual(['movie', 'tv']);
  });

  it('gives the same rows when a day is rolled up twice, and one set when two instances roll it up at once', async () => {
    const day = dayBefore(t, 2);
    const rows = async () => (await t.db.query(`SELECT * FROM report_titles WHERE day = $1 ORDER BY media_type, media_id`, [day])).rows;
    await t.http().post('/v1/admin/reports/rollup').query({ date: day }).set(admin).expect(200, { date: day, rolledUp: true });
    const first = await rows();
    expect(first.length).toBe(2);
    await t.http().post('/v1/admin/reports/rollup').query({ date: day }).set(admin).expect(200);
    expect(await rows()).toEqual(first);

    const other = await createTestApp({}, { databaseUrl: t.databaseUrl });
    try {
      await other.app.get(WatchHoursCron).startUpCatchUp; // it must not race the catch-ups below
      await t.db.query(`DELETE FROM report_runs`);
      const [a, b] = await Promise.all([t.app.get(ReportingService).catchUp(), other.app.get(ReportingService).catchUp()]);
      expect([...a, ...b].sort()).toEqual([dayBefore(t, 3), dayBefore(t, 2), dayBefore(t, 1)]);
      expect(a.filter((d) => b.includes(d))).toEqual([]);
      expect(await rows()).toEqual(first);
      const runs = await t.db.query(`SELECT count(*)::int AS n FROM report_runs WHERE period = $1`, [day]);
      expect(runs.rows[0].n).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('catches up every day missed while no instance ran (injected clock)', async () => {
    const other = await createTestApp({}, { databaseUrl: t.databaseUrl });
    try {
      const reporting = other.app.get(ReportingService);
      // The start-up catch-up of `other` runs on the real date: let it end before the outage is staged.
      await other.app.get(WatchHoursCron).startUpCatchUp;
      await t.db.query(`DELETE FROM report_runs`);
      other.clock.set(t.clock.now() - 3 * 86_400_000); // "three days ago": nothing closed yet
      expect(await reporting.catchUp()).toEqual([]);
      other.clock.set(t.clock.now()); // back after the outage
      expect(await reporting.catchUp()).toEqual([dayBefore(t, 3), dayBefore(t, 2), dayBefore(t, 1)]);
      expect(await reporting.catchUp()).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('redoes a closed day when late offline heartbeats add to it', async () => {
    // Its own database: the late heartbeats must not change what the other tests of this file
    // count, whatever order they run in.
    const own = await createTestApp();
    try {
      await own.app.get(WatchHoursCron).startUpCatchUp;
      const ownAdmin = { Authorization: `Bearer ${await own.token('ops', { admin: true })}` };
      const day = dayBefore(own, 2);
      const base = Date.parse(`${day}T12:00:00Z`);
      const watch = async (user: string, mediaId: number, seconds: number) => {
        const sessionId = randomUUID();
        await own.http().post('/v1/playtime/batch').set('Authorization', `Bearer ${await own.token(user)}`).send({
          heartbeats: [
            movieHeartbeat({ sessionId, mediaId, playedSeconds: 0, occurredAt: new Date(base).toISOString() }),
            movieHeartbeat({ sessionId, mediaId, playedSeconds: seconds, occurredAt: new Date(base + seconds * 1000).toISOString() }),
          ],
        }).expect(202);
        await own.batcher.flush();
      };
      const daySeconds = async () =>
        (await own.http().get('/v1/admin/reports/watch-hours').query({ from: day, to: day }).set(ownAdmin).expect(200)).body.rows[0].watchSeconds;

      await watch('rep-early', 550, 300);
      expect(await own.app.get(ReportingService).catchUp()).toContain(day);
      expect(await daySeconds()).toBe(300);
      await watch('rep-late', 551, 100);
      expect(await daySeconds()).toBe(400);
      expect(await own.app.get(ReportingService).catchUp()).toEqual([day]);
      expect(await daySeconds()).toBe(400);
    } finally {
      await own.close();
    }
  });

  it('answers CSV that parses back to the JSON numbers', async () => {
    const from = dayBefore(t, 4);
    const to = dayBefore(t, 0);
    for (const groupBy of ['day', 'media', 'mediaType']) {
      const json = await report({ from, to, groupBy });
      const res = await t.http().get('/v1/admin/reports/watch-hours').query({ from, to, groupBy, format: 'csv' }).set(admin).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      const parsed = parseCsv(res.text);
      expect(parsed).toHaveLength(json.rows.length);
      json.rows.forEach((row: Record<string, unknown>, i: number) => {
        for (const [k, v] of Object.entries(row)) expect(parsed[i][k]).toBe(v === null ? '' : String(v));
      });
    }
  });

  it('is for admins only, and validates its parameters', async () => {
    const user = { Authorization: `Bearer ${await t.token('rep-a')}` };
    await t.http().get('/v1/admin/reports/watch-hours').set(user).expect(403);
    await t.http().post(`/v1/admin/reports/rollup?date=${dayBefore(t, 1)}`).set(user).expect(403);
    await t.http().get('/v1/admin/reports/watch-hours').expect(401);
    for (const [query, field] of [
      ['from=2025-02-10&to=2025-02-01', 'from'],
      ['groupBy=week', 'groupBy'],
      ['format=xml', 'format'],
      ['from=2025-02-30', 'from'],
      ['from=2020-01-01&to=2025-01-01', 'to'],
      ['from=0000-01-01', 'from'],
      ['to=2020-02-30', 'to'],
      ['from=1969-12-31&to=1970-01-02', 'from'],
    ]) {
      const res = await t.http().get(`/v1/admin/reports/watch-hours?${query}`).set(admin).expect(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    // Any day up to today (UTC) is accepted; a future day and dates that do not exist are not.
    const today = dayBefore(t, 0);
    await t.http().post(`/v1/admin/reports/rollup?date=${today}`).set(admin).expect(200, { date: today, rolledUp: true });
    for (const date of [dayBefore(t, -1), '0000-01-01', '2020-02-30', '10000-01-01']) {
      const res = await t.http().post(`/v1/admin/reports/rollup?date=${date}`).set(admin).expect(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['date']);
    }
  });

  it('prints the same report from a shell (npm run report), and exits non-zero on bad arguments', async () => {
    ensureBuilt();
    const from = dayBefore(t, 4);
    const to = dayBefore(t, 0);
    const env = { PATH: process.env.PATH ?? '', DATABASE_URL: t.databaseUrl };
    const cli = resolve('dist/src/cli/report.js');
    const { stdout } = await run(process.execPath, [cli, '--from', from, '--to', to, '--groupBy', 'media', '--format', 'csv'], { env });
    const res = await t.http().get('/v1/admin/reports/watch-hours').query({ from, to, groupBy: 'media', format: 'csv' }).set(admin).expect(200);
    expect(stdout).toBe(res.text);
    const json = JSON.parse((await run(process.execPath, [cli, '--from', from, '--to', to], { env })).stdout);
    expect(json).toEqual(await report({ from, to }));
    await expect(run(process.execPath, [cli, '--groupBy', 'week'], { env })).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--groupBy') });
    await expect(run(process.execPath, [cli, '--bogus'], { env })).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('usage') });
  }, 120_000);
});
