import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { ensureBuilt } from '../utils/child-server.js';
import { SessionSpans1765000900000 } from '../../migrations/1765000900000-SessionSpans.js';
import { ReportingService } from '../../src/reporting/reporting.service.js';
import { WatchHoursCron } from '../../src/reporting/watch-hours.cron.js';
import { createTestApp, type TestApp } from '../utils/create-app.js';
import { parseCsv } from '../utils/csv.js';
import { watchedSession } from '../factories/watch.factory.js';
import { foldHeartbeat, type PendingItem } from '../../src/playtime/pending-item.js';
import { PlaytimeRepository } from '../../src/playtime/playtime.repository.js';
import { hb } from '../utils/heartbeat.js';

/** A UTC day `n` days before the test clock's today. */
const dayBefore = (t: TestApp, n: number) => new Date(t.clock.now() - n * 86_400_000).toISOString().slice(0, 10);

type Row = { platform: string; watchSeconds: number; watchHours: number; viewers: number; completions: number };

/**
 * groupBy=platform on sessions stored by the service's own flush: time by the hour it was played
 * in, so the platform rows add up to the day rows over the same window, live, after the roll-up,
 * and after a user deletes everything (closed days keep their totals).
 */
describe('watch hours per platform', () => {
  let t: TestApp;
  let admin: { Authorization: string };
  let from: string;
  let to: string;

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.get(WatchHoursCron).startUpCatchUp; // nothing to do yet, and it must not run into the data below
    admin = { Authorization: `Bearer ${await t.token('ops', { admin: true })}` };
    from = dayBefore(t, 3);
    to = dayBefore(t, 0);
    const d1 = dayBefore(t, 3);
    const d2 = dayBefore(t, 2);
    const today = dayBefore(t, 0);
    const web = { platform: 'web', name: 'Chrome' };
    await watchedSession(t, { userId: 'pf-1', at: `${d1}T12:00:00Z`, seconds: 1000, device: web });
    await watchedSession(t, { userId: 'pf-1', at: `${d2}T09:00:00Z`, seconds: 400, mediaId: 2, device: { platform: '=1+1' } });
    // Across midnight: 500 s played by 23:59, 1,500 by 00:10; each day gets what was played in its hours.
    const items = new Map<string, PendingItem>();
    const first = hb({ mediaId: 6, playedSeconds: 0, occurredAt: new Date(`${d1}T23:50:00Z`), device: { platform: 'ios' } });
    for (const [playedSeconds, occurredAt] of [[0, `${d1}T23:50:00Z`], [500, `${d1}T23:59:00Z`], [1500, `${d2}T00:10:00Z`]] as const) {
      foldHeartbeat(items, 'pf-2', { ...first, playedSeconds, occurredAt: new Date(occurredAt) }, t.clock.now());
    }
    await t.app.get(PlaytimeRepository).applyBatch([...items.values()]);
    await watchedSession(t, { userId: 'pf-3', at: `${d2}T12:00:00Z`, seconds: 300 });
    await watchedSession(t, { userId: 'pf-3', at: `${d2}T14:00:00Z`, seconds: 200, mediaId: 3, device: { name: 'no platform' } });
    // Finished: a completion on web.
    await watchedSession(t, { userId: 'pf-4', at: `${d2}T20:00:00Z`, seconds: 900, mediaId: 4, currentTime: 990, totalDuration: 1000, device: web });
    await watchedSession(t, { userId: 'pf-4', at: `${today}T00:00:00Z`, seconds: 120, mediaId: 5, device: web });
  });
  afterAll(() => t?.close());

  const report = async (query: Record<string, string>) =>
    (await t.http().get('/v1/admin/reports/watch-hours').query(query).set(admin).expect(200)).body;
  const total = (rows: { watchSeconds: number }[]) => rows.reduce((s, r) => s + r.watchSeconds, 0);

  async function expectPlatformRows() {
    const byPlatform = await report({ from, to, groupBy: 'platform' });
    expect(byPlatform).toMatchObject({ from, to, groupBy: 'platform' });
    const rows: Row[] = byPlatform.rows;
    expect(rows.map((r) => [r.platform, r.watchSeconds, r.viewers, r.completions])).toEqual([
      ['web', 2020, 3, 1], // pf-1 on d1, pf-4 on d2 and today: viewer-days
      ['ios', 1500, 2, 0], // one viewer on two days
      ['unknown', 500, 1, 0], // no device, and a device without a platform
      ['=1+1', 400, 1, 0],
    ]);
    expect(rows[0].watchHours).toBeCloseTo(2020 / 3600, 3);
    const byDay = await report({ from, to, groupBy: 'day' });
    expect(total(rows)).toBeCloseTo(total(byDay.rows), 6);
    expect(total(rows)).toBe(4420);
    const completions = (rs: { completions: number }[]) => rs.reduce((s, r) => s + r.completions, 0);
    expect(completions(rows)).toBe(completions(byDay.rows));
    return byPlatform;
  }

  it('adds up to the same total as groupBy=day, live', async () => {
    await expectPlatformRows();
    // The midnight session's time is split between its two days, in both groupings.
    const first = await report({ from, to: from, groupBy: 'platform' });
    const firstDay = await report({ from, to: from, groupBy: 'day' });
    expect(total(first.rows)).toBeCloseTo(total(firstDay.rows), 6);
    expect(first.rows.map((r: Row) => [r.platform, r.watchSeconds])).toEqual([['web', 1000], ['ios', 500]]);
  });

  it('gives the same rows once the days are rolled up, and keeps them after a user deletes everything', async () => {
    const live = await expectPlatformRows();
    await t.app.get(ReportingService).catchUp();
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM report_platforms WHERE day = $1`, [dayBefore(t, 2)]);
    expect(rows[0].n).toBe(4);
    expect(await report({ from, to, groupBy: 'platform' })).toEqual(live);
    // The migration fills the days rolled up before it from the sessions: the same rows.
    const runner = t.app.get(DataSource).createQueryRunner();
    try {
      await new SessionSpans1765000900000().down(runner);
      await new SessionSpans1765000900000().up(runner);
    } finally {
      await runner.release();
    }
    expect((await t.db.query(`SELECT count(*)::int AS n FROM report_platforms`)).rows[0].n).toBeGreaterThan(0);
    expect(await report({ from, to, groupBy: 'platform' })).toEqual(live);

    await t.http().delete('/v1/history').set('Authorization', `Bearer ${await t.token('pf-2')}`).expect(204);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM watch_sessions WHERE user_id = 'pf-2'`)).rows[0].n).toBe(0);
    const after = await report({ from, to, groupBy: 'platform' });
    const byDay = await report({ from, to, groupBy: 'day' });
    expect(total(after.rows)).toBeCloseTo(total(byDay.rows), 6);
    expect(after).toEqual(live);
  });

  it('answers CSV with the platform defused when it starts like a formula', async () => {
    const res = await t.http().get('/v1/admin/reports/watch-hours').query({ from, to, groupBy: 'platform', format: 'csv' }).set(admin).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.text.split('\r\n')[0]).toBe('platform,watchSeconds,watchHours,viewers,completions');
    const csv = parseCsv(res.text);
    expect(csv.map((r) => r.platform)).toEqual(['web', 'ios', 'unknown', "'=1+1"]);
    expect(csv[0]).toMatchObject({ watchSeconds: '2020', viewers: '3', completions: '1' });
  });

  it('prints the same CSV from a shell (npm run report -- --groupBy platform)', async () => {
    ensureBuilt();
    const env = { PATH: process.env.PATH ?? '', DATABASE_URL: t.databaseUrl };
    const cli = resolve('dist/src/cli/report.js');
    const { stdout } = await promisify(execFile)(process.execPath, [cli, '--from', from, '--to', to, '--groupBy', 'platform', '--format', 'csv'], { env });
    const res = await t.http().get('/v1/admin/reports/watch-hours').query({ from, to, groupBy: 'platform', format: 'csv' }).set(admin).expect(200);
    expect(stdout).toBe(res.text);
    expect(stdout.split('\r\n')[0]).toBe('platform,watchSeconds,watchHours,viewers,completions');
  }, 120_000);
});
