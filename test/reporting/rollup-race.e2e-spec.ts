import pg from 'pg';
import { randomUUID } from 'node:crypto';
import type { Heartbeat } from '../../src/playtime/heartbeat.js';
import { ReportingService } from '../../src/reporting/reporting.service.js';
import { WatchHoursCron } from '../../src/reporting/watch-hours.cron.js';
import { createTestApp, type TestApp } from '../utils/create-app.js';
import { waitForLockWaits } from '../utils/lock-waits.js';

/**
 * A roll-up and a flush that touch the same day, interleaved on purpose: one side is held open
 * half-way by a second connection that holds a row lock, the other side starts, and only then is
 * the first released. Whatever the order, the day must end up either stale (rolled up again later)
 * or rolled up with every second the flush stored.
 */
describe('roll-up racing a flush', () => {
  let t: TestApp;
  let reporting: ReportingService;

  beforeAll(async () => {
    t = await createTestApp();
    reporting = t.app.get(ReportingService);
    await t.app.get(WatchHoursCron).startUpCatchUp; // it would otherwise roll up the days staged below
  });
  afterAll(async () => {
    await t?.close();
  });

  const dayBefore = (n: number) => new Date(t.clock.now() - n * 86_400_000).toISOString().slice(0, 10);
  const hb = (day: string, sessionId: string, mediaId: number, playedSeconds: number, atSeconds: number): Heartbeat => ({
    sessionId, mediaType: 'movie', mediaId, seasonNumber: null, episodeNumber: null, currentTime: playedSeconds,
    totalDuration: 8400, playedSeconds, event: 'progress', title: 'Race', occurredAt: new Date(Date.parse(`${day}T12:00:00Z`) + atSeconds * 1000),
  });

  async function dayState(day: string): Promise<{ finished: boolean; reported: number | null; stored: number }> {
    const { rows } = await t.db.query(
      `SELECT (SELECT finished_at IS NOT NULL FROM report_runs WHERE job = 'watch-hours' AND period = $1::date) AS finished,
              (SELECT watch_seconds FROM report_days WHERE day = $1::date AND scope = 'all') AS reported,
              (SELECT COALESCE(sum(seconds), 0) FROM watch_buckets
                WHERE hour >= ($1::date)::timestamp AT TIME ZONE 'UTC' AND hour < ($1::date + 1)::timestamp AT TIME ZONE 'UTC') AS stored`,
      [day],
    );
    return { finished: rows[0].finished, reported: rows[0].reported, stored: Number(rows[0].stored) };
  }

  async function blocker(sql: string, params: unknown[]): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: t.databaseUrl });
    await c.connect();
    await c.query('BEGIN');
    await c.query(sql, params);
    return c;
  }

  it('a roll-up that starts while a flush is writing the day waits for it and counts its time', async () => {
    const day = dayBefore(1);
    const user = 'race-flush-first';
    const session = randomUUID();
    await t.batcher.accept(user, [hb(day, session, 11, 0, 0), hb(day, session, 11, 100, 120)]);
    await t.batcher.flush();
    await t.batcher.accept(user, [hb(day, session, 11, 200, 240)]);

    // The flush's last statement stops at the bucket row this connection holds: its snapshot is taken.
    const holder = await blocker(`SELECT 1 FROM watch_buckets WHERE user_id = $1 FOR UPDATE`, [user]);
    const flushing = t.batcher.flush();
    await waitForLockWaits(t, 1).done;

    const rolling = reporting.rollup(day).then(() => 'rolled up' as const);
    const waiting = waitForLockWaits(t, 2);
    const first = await Promise.race([rolling, waiting.done.then(() => 'waiting' as const)]);
    waiting.stop();
    await holder.query('COMMIT');
    await holder.end();
    await flushing;
    await rolling;

    expect(first).toBe('waiting');
    expect(await dayState(day)).toEqual({ finished: true, reported: 200, stored: 200 });
  });

  it('a flush that starts while a roll-up of its day is under way marks the day stale', async () => {
    const day = dayBefore(2);
    const user = 'race-rollup-first';
    const session = randomUUID();
    await t.batcher.accept(user, [hb(day, session, 12, 0, 0), hb(day, session, 12, 100, 120)]);
    await t.batcher.flush();
    await reporting.rollup(day);
    const before = await dayState(day);
    expect(before.finished).toBe(true);
    await t.batcher.accept(user, [hb(day, session, 12, 250, 240)]);

    // The roll-up takes its day lock, then stops at its claim row, held here.
    const holder = await blocker(`SELECT 1 FROM report_runs WHERE period = $1::date FOR UPDATE`, [day]);
    const rolling = reporting.rollup(day);
    await waitForLockWaits(t, 1).done;
    const flushing = t.batcher.flush();
    await waitForLockWaits(t, 2).done;
    await holder.query('COMMIT');
    await holder.end();
    await Promise.all([rolling, flushing]);

    const after = await dayState(day);
    expect(after.stored).toBe(before.stored + 150);
    // Either stale (catch-up redoes it) or complete; never finished with time missing.
    if (after.finished) expect(after.reported).toBe(after.stored);
    else {
      await reporting.catchUp();
      expect(await dayState(day)).toEqual({ finished: true, reported: after.stored, stored: after.stored });
    }
  });
});
