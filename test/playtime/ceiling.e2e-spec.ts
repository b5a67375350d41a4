import type { Heartbeat } from '../../src/playtime/heartbeat.js';
import pg from 'pg';
import type { TestApp } from '../utils/create-app.js';
import { waitForLockWaits } from '../utils/lock-waits.js';
import { hb as heartbeat } from '../utils/heartbeat.js';
import { closeAll, twoInstances } from '../utils/two-instances.js';

const hb = (over: Partial<Heartbeat> = {}): Heartbeat => heartbeat({ currentTime: 60, totalDuration: 8000, playedSeconds: 60, ...over });

/** 60 brand-new sessions of one item, each credited the 60 s first-heartbeat allowance: 3600 s wanted. */
const sixtySessions = (mediaId: number) => Array.from({ length: 60 }, () => hb({ mediaId }));

/**
 * SPEC §4, per-user ceiling: a user's credited time within one UTC hour never exceeds
 * MAX_STREAMS_PER_USER × 3600 s, however many sessions they open. Here MAX_STREAMS_PER_USER=1.
 */
describe('per-user ceiling', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    [a, b] = await twoInstances({ MAX_STREAMS_PER_USER: '1' });
  });
  afterAll(() => closeAll(b, a));

  async function totals(user: string) {
    const { rows } = await a.db.query(
      `SELECT (SELECT COALESCE(sum(seconds), 0) FROM watch_buckets WHERE user_id = $1)::float8 AS buckets,
              (SELECT COALESCE(sum(total_played_s), 0) FROM watch_history WHERE user_id = $1)::float8 AS history,
              (SELECT COALESCE(sum(sh.credited_s), 0) FROM watch_session_hours sh JOIN watch_sessions ws ON ws.id = sh.session_id
                WHERE ws.user_id = $1)::float8 AS hours`,
      [user],
    );
    return rows[0] as { buckets: number; history: number; hours: number };
  }

  it('clamps 100 new sessions in one request to the hour\'s ceiling; totals, buckets, statistics and reports agree', async () => {
    const user = 'ceiling-1';
    const token = await a.token(user);
    const heartbeats = [...sixtySessions(1), ...sixtySessions(2).slice(0, 40)].map((h) => ({ ...h, occurredAt: new Date(a.clock.now() - 7_200_000).toISOString() }));
    await a.http().post('/v1/playtime/batch').set('Authorization', `Bearer ${token}`).send({ heartbeats }).expect(202);
    // before the flush, this instance's reads already show what the flush will store
    const listed = await a.http().get('/v1/history').set('Authorization', `Bearer ${token}`).expect(200);
    const shown = listed.body.items.reduce((s: number, i: { totalPlayedSeconds: number }) => s + i.totalPlayedSeconds, 0);
    expect(shown).toBe(3600);
    await a.batcher.flush();
    expect(await totals(user)).toEqual({ buckets: 3600, history: 3600, hours: 3600 });
    const day = new Date(a.clock.now() - 7_200_000).toISOString().slice(0, 10);
    const stats = await a.http().get(`/v1/stats/me?from=${day}&to=${day}`).set('Authorization', `Bearer ${token}`).expect(200);
    expect(stats.body.totalSeconds).toBe(3600);
    const admin = await a.token('ops', { admin: true });
    // By media: the other test of this file may have watched other items on the same day.
    const report = await a.http().get(`/v1/admin/reports/watch-hours?from=${day}&to=${day}&groupBy=media`).set('Authorization', `Bearer ${admin}`).expect(200);
    const mine = report.body.rows.filter((r: { mediaId: number }) => r.mediaId === 1 || r.mediaId === 2);
    expect(mine.reduce((sum: number, r: { watchSeconds: number }) => sum + r.watchSeconds, 0)).toBe(3600);

    // the same request again changes nothing; the next hour has its own room
    await a.http().post('/v1/playtime/batch').set('Authorization', `Bearer ${token}`).send({ heartbeats }).expect(202);
    await a.batcher.flush();
    expect(await totals(user)).toEqual({ buckets: 3600, history: 3600, hours: 3600 });
    await a.batcher.accept(user, sixtySessions(3).map((h) => ({ ...h, occurredAt: new Date(a.clock.now() - 3_600_000) })));
    await a.batcher.flush();
    expect(await totals(user)).toEqual({ buckets: 7200, history: 7200, hours: 7200 });
  });

  it('holds across two instances flushing the same user at once', async () => {
    const user = 'ceiling-2';
    // an item already stored (nothing credited yet), so that A's flush can be held at its history row
    await a.batcher.accept(user, [hb({ mediaId: 10, playedSeconds: 0 })]);
    await a.batcher.flush();
    await a.batcher.accept(user, sixtySessions(10));
    await b.batcher.accept(user, sixtySessions(11));

    const holder = new pg.Client({ connectionString: a.databaseUrl });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM watch_history WHERE user_id = $1 FOR UPDATE`, [user]);
    const flushA = a.batcher.flush(); // reads the hour's room, then waits at the history row
    await waitForLockWaits(a, 1).done;
    const flushB = b.batcher.flush().then(() => 'flushed' as const);
    const waiting = waitForLockWaits(a, 2);
    const first = await Promise.race([flushB, waiting.done.then(() => 'waiting' as const)]);
    waiting.stop();
    await holder.query('COMMIT');
    await holder.end();
    await Promise.all([flushA, flushB]);

    expect(first).toBe('waiting'); // B waited for A's flush of the same user
    expect(await totals(user)).toEqual({ buckets: 3600, history: 3600, hours: 3600 });
  });
});
