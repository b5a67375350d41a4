import { DataSource, type QueryRunner } from 'typeorm';
import { createTestApp, movieHeartbeat, type TestApp } from '../utils/create-app.js';
import { newSession, send } from '../utils/playback.js';

/**
 * SPEC §4 "Read your own writes" when a flush commits in the middle of a read. The overlay reads
 * items, sessions and hours from the database and applies what is still unflushed on top. Read
 * on separate connections, a flush committing between those reads paired new session maxima with
 * an old item total, and the read showed less than was accepted (an outside client saw it under
 * load). Here the flush is made to commit exactly there: just before the read asks for sessions.
 */
describe('read-your-own-writes while a flush commits mid-read', () => {
  let t: TestApp;
  let restore: () => void;
  let flushBeforeSessionRead = false;

  beforeAll(async () => {
    t = await createTestApp();
    const ds = t.app.get(DataSource);
    const runner = ds.createQueryRunner();
    const proto = Object.getPrototypeOf(runner) as QueryRunner;
    await runner.release();
    const original = proto.query;
    proto.query = async function (this: QueryRunner, sql: string, params?: unknown[], ...rest: unknown[]) {
      if (flushBeforeSessionRead && sql.includes('FROM watch_sessions ws') && sql.includes('session_id = ANY')) {
        flushBeforeSessionRead = false;
        await t.batcher.flush();
      }
      return (original as (...a: unknown[]) => Promise<unknown>).call(this, sql, params, ...rest);
    } as QueryRunner['query'];
    restore = () => {
      proto.query = original;
    };
  });
  afterAll(async () => {
    restore();
    await t.close();
  });

  it('shows the accepted total though the flush commits between the read\'s queries', async () => {
    const token = await t.token('racer');
    const sessionId = newSession();
    await send(t, token, movieHeartbeat({ sessionId, mediaId: 9001, playedSeconds: 10 }));
    await t.batcher.flush();
    for (let step = 2; step <= 4; step++) {
      t.clock.advance(20_000);
      await send(t, token, movieHeartbeat({ sessionId, mediaId: 9001, playedSeconds: 10 * step }));
      flushBeforeSessionRead = true;
      const res = await t.http().get('/v1/history/movie/9001').set('Authorization', `Bearer ${token}`).expect(200);
      expect(flushBeforeSessionRead).toBe(false); // the flush did run inside the read
      expect(res.body.totalPlayedSeconds).toBe(10 * step);
    }
    const { rows } = await t.db.query(`SELECT total_played_s FROM watch_history WHERE user_id = 'racer'`);
    expect(rows).toEqual([{ total_played_s: 40 }]);
  });
});
