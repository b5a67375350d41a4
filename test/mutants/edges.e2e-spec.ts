import { randomUUID } from 'node:crypto';
import { createTestApp, episodeHeartbeat, movieHeartbeat, type TestApp } from '../utils/create-app.js';
import { expectFieldError } from '../utils/field-error.js';
import { waitForLockWaits } from '../utils/lock-waits.js';
import { closeAll, twoInstances } from '../utils/two-instances.js';

/**
 * Edges of the watch model and the ingest buffer that a plausible slip would break with every
 * other test green (see mutation/sql-mutants.json), checked through HTTP: a heartbeat received
 * while its item's flush runs stays its user's, a movie and a show sharing an id keep their own
 * titles, a report may span exactly MAX_WINDOW_DAYS, and a delete erases what was received at
 * its very instant.
 */

const auth = async (t: TestApp, user: string, admin = false) => ({ Authorization: `Bearer ${await t.token(user, { admin })}` });

describe('one instance', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it('a heartbeat received while its item is being flushed is still its user’s once that flush commits', async () => {
    const user = `ed-flight-${randomUUID()}`;
    const h = await auth(t, user);
    const sessionId = randomUUID();
    await t.http().post('/v1/playtime').set(h).send(movieHeartbeat({ sessionId, mediaId: 301, playedSeconds: 0 })).expect(202);

    // Hold the interval's flush at its first write; it succeeds once released.
    const blocker = await t.db.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE watch_sessions IN EXCLUSIVE MODE');
      const flushing = t.batcher.tick();
      await waitForLockWaits(t, 1).done;
      t.clock.advance(60_000);
      await t.http().post('/v1/playtime').set(h).send(movieHeartbeat({ sessionId, mediaId: 301, playedSeconds: 60 })).expect(202);
      await blocker.query('ROLLBACK');
      await flushing;
    } finally {
      // Closed, not returned to the pool: a failure above must not leave the lock held.
      blocker.release(true);
    }
    expect((await t.db.query(`SELECT total_played_s FROM watch_history WHERE user_id = $1`, [user])).rows).toEqual([{ total_played_s: 0 }]);

    // The second heartbeat waits for the next flush: reads show it, statistics store it first.
    expect((await t.http().get('/v1/history/movie/301').set(h).expect(200)).body.totalPlayedSeconds).toBe(60);
    const stats = await t.http().get('/v1/stats/me').set(h).expect(200);
    expect(stats.body.totalSeconds).toBe(60);
    expect((await t.db.query(`SELECT total_played_s FROM watch_history WHERE user_id = $1`, [user])).rows).toEqual([{ total_played_s: 60 }]);
  });

  it('a movie and a show with the same id each keep their own title', async () => {
    const user = `ed-title-${randomUUID()}`;
    const h = await auth(t, user);
    await t.http().post('/v1/playtime').set(h).send(movieHeartbeat({ mediaId: 917_001, title: 'The Film' })).expect(202);
    await t.batcher.flush();
    t.clock.advance(60_000);
    await t.http().post('/v1/playtime').set(h).send(episodeHeartbeat({ mediaId: 917_001, title: 'The Series' })).expect(202);
    await t.batcher.flush();
    const list = await t.http().get('/v1/history').set(h).expect(200);
    const titles = list.body.items.map((i: { mediaType: string; title: string }) => [i.mediaType, i.title]);
    expect(titles).toEqual([['tv', 'The Series'], ['movie', 'The Film']]);
  });

  it('a report may span exactly MAX_WINDOW_DAYS (a leap year), not one day more', async () => {
    const admin = await auth(t, 'ed-ops', true);
    await t.http().get('/v1/admin/reports/watch-hours').query({ from: '2024-01-01', to: '2024-12-31' }).set(admin).expect(200);
    const longer = await t.http().get('/v1/admin/reports/watch-hours').query({ from: '2024-01-01', to: '2025-01-01' }).set(admin);
    expect(expectFieldError(longer, 'to').message).toContain('366');
  });
});

describe('a delete and a heartbeat at the same instant', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    [a, b] = await twoInstances({ TOMBSTONE_PRUNE_INTERVAL_MS: '0' });
  });
  afterAll(() => closeAll(b, a));

  it('the delete erases a heartbeat another instance received at its very instant, before and after the flush', async () => {
    const user = `ed-instant-${randomUUID()}`;
    // Later than either instance's start, so B's reported mark is before the delete: it leaves a tombstone.
    const at = Math.max(a.clock.now(), b.clock.now()) + 1000;
    b.clock.set(at);
    await b.http().post('/v1/playtime').set(await auth(b, user)).send(movieHeartbeat({ mediaId: 302, playedSeconds: 30 })).expect(202);
    a.clock.set(at);
    await a.http().delete('/v1/history/movie/302').set(await auth(a, user)).expect(404);
    expect((await a.db.query(`SELECT count(*)::int AS n FROM history_tombstones WHERE user_id = $1`, [user])).rows[0].n).toBe(1);

    await b.http().get('/v1/history/movie/302').set(await auth(b, user)).expect(404);
    await b.batcher.flush();
    await a.http().get('/v1/history/movie/302').set(await auth(a, user)).expect(404);
    expect((await a.db.query(`SELECT count(*)::int AS n FROM watch_history WHERE user_id = $1`, [user])).rows[0].n).toBe(0);
  });
});
