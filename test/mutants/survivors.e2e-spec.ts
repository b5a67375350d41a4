import { randomUUID } from 'node:crypto';
import { createTestApp, movieHeartbeat, type TestApp } from '../utils/create-app.js';
import { waitForLockWaits } from '../utils/lock-waits.js';
import { closeAll, twoInstances } from '../utils/two-instances.js';

/**
 * Three rules that once broke without any test noticing (see mutation/sql-mutants.json), checked
 * through HTTP: delete wins by receipt time, not event time; resumeAt at exactly
 * MIN_RESUME_PERCENT; a failed flush keeps the heartbeats that arrived while it ran.
 */

const auth = async (t: TestApp, user: string) => ({ Authorization: `Bearer ${await t.token(user)}` });

describe('delete wins by receipt time, not event time', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    [a, b] = await twoInstances({ TOMBSTONE_PRUNE_INTERVAL_MS: '0' });
  });
  afterAll(() => closeAll(b, a));

  it('an offline batch received after the delete starts a new history, though its events are older than the delete', async () => {
    const user = `sv-delete-${randomUUID()}`;
    b.clock.set(a.clock.now());
    const before = b.clock.now();
    // B holds something received before the delete, so the delete on A leaves a tombstone.
    await b.http().post('/v1/playtime').set(await auth(b, user)).send(movieHeartbeat({ mediaId: 81, playedSeconds: 0 })).expect(202);
    a.clock.set(before + 5000);
    await a.http().delete('/v1/history/movie/81').set(await auth(a, user)).expect(404);
    expect((await a.db.query(`SELECT count(*)::int AS n FROM history_tombstones WHERE user_id = $1`, [user])).rows[0].n).toBe(1);

    // Played offline 10 and 5 minutes before the delete, received 5 s after it.
    b.clock.set(a.clock.now() + 5000);
    const sessionId = randomUUID();
    const offline = [
      movieHeartbeat({ sessionId, mediaId: 81, playedSeconds: 0, currentTime: 100, occurredAt: new Date(before - 600_000).toISOString() }),
      movieHeartbeat({ sessionId, mediaId: 81, playedSeconds: 300, currentTime: 400, occurredAt: new Date(before - 300_000).toISOString() }),
    ];
    await b.http().post('/v1/playtime/batch').set(await auth(b, user)).send({ heartbeats: offline }).expect(202);

    const unflushed = await b.http().get('/v1/history/movie/81').set(await auth(b, user)).expect(200);
    expect(unflushed.body.totalPlayedSeconds).toBe(300);
    await b.batcher.flush();
    const stored = await a.http().get('/v1/history/movie/81').set(await auth(a, user)).expect(200);
    expect(stored.body.totalPlayedSeconds).toBe(300);
    const stats = await a.http().get(`/v1/stats/me?from=${new Date(before - 86_400_000).toISOString().slice(0, 10)}`).set(await auth(a, user)).expect(200);
    expect(stats.body.totalSeconds).toBe(300);
  });
});

describe('single instance', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it('resumes at exactly MIN_RESUME_PERCENT, and not below it', async () => {
    const user = `sv-resume-${randomUUID()}`;
    const h = await auth(t, user);
    expect(t.config.MIN_RESUME_PERCENT).toBe(5);
    // 50 of 1000 is 5 %; 44 of 1000 rounds to 4 %.
    await t.http().post('/v1/playtime').set(h).send(movieHeartbeat({ mediaId: 82, currentTime: 50, totalDuration: 1000 })).expect(202);
    await t.http().post('/v1/playtime').set(h).send(movieHeartbeat({ mediaId: 83, currentTime: 44, totalDuration: 1000 })).expect(202);
    const at = await t.http().get('/v1/history/movie/82').set(h).expect(200);
    expect([at.body.progress, at.body.resumeAt]).toEqual([5, 50]);
    const below = await t.http().get('/v1/history/movie/83').set(h).expect(200);
    expect([below.body.progress, below.body.resumeAt]).toEqual([4, 0]);
    await t.batcher.flush();
    const cw = await t.http().get('/v1/history/continue-watching').set(h).expect(200);
    expect(cw.body.items.map((i: { mediaId: number; resumeAt: number }) => [i.mediaId, i.resumeAt])).toEqual([[82, 50]]);
  });

  it('a failed flush puts its items back merged with the heartbeats received while it ran', async () => {
    const user = `sv-putback-${randomUUID()}`;
    const h = await auth(t, user);
    const sessionId = randomUUID();
    await t.http().post('/v1/playtime').set(h).send(movieHeartbeat({ sessionId, mediaId: 84, playedSeconds: 0 })).expect(202);

    // Hold the flush at its first write, then make it fail.
    const blocker = await t.db.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE watch_sessions IN EXCLUSIVE MODE');
      const failures = t.batcher.counts().flushFailures;
      const flushing = t.batcher.flush();
      flushing.catch(() => undefined);
      await waitForLockWaits(t, 1).done;

      // Received while the flush runs: the same session goes on, and a second one starts.
      t.clock.advance(60_000);
      await t.http().post('/v1/playtime').set(h).send(movieHeartbeat({ sessionId, mediaId: 84, playedSeconds: 60 })).expect(202);
      await t.http().post('/v1/playtime').set(h).send(movieHeartbeat({ mediaId: 84, playedSeconds: 20 })).expect(202);

      await blocker.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'playtime' AND wait_event_type = 'Lock'`,
      );
      await expect(flushing).rejects.toThrow();
      expect(t.batcher.counts().flushFailures).toBe(failures + 1);
      await blocker.query('ROLLBACK');
    } finally {
      blocker.release();
    }

    // Session one: max 60 over a 60 s span; session two: 20 (a first heartbeat gets up to 60 s).
    expect((await t.http().get('/v1/history/movie/84').set(h).expect(200)).body.totalPlayedSeconds).toBe(80);
    await t.batcher.flush();
    const { rows } = await t.db.query(`SELECT total_played_s FROM watch_history WHERE user_id = $1`, [user]);
    expect(rows).toEqual([{ total_played_s: 80 }]);
  });
});
