import pg from 'pg';
import { DataSource } from 'typeorm';
import { LOCK_IDS } from '../../src/watch/lock-ids.js';
import { createTestApp, type TestApp } from '../utils/create-app.js';
import type { TcpProxy } from '../utils/tcp-proxy.js';
import { createProxiedTestApp } from '../utils/proxied-app.js';
import { hb } from '../utils/heartbeat.js';
import { waitForLockWaits } from '../utils/lock-waits.js';


/** Holds the user's advisory lock exclusively, as a history delete does, until `release()`. */
async function holdUserLock(url: string, userId: string): Promise<{ release: () => Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('BEGIN');
  await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_IDS.user, userId]);
  return {
    release: async () => {
      await client.query('COMMIT');
      await client.end();
    },
  };
}

describe('database timeouts', () => {
  it('sets statement, lock and idle-in-transaction timeouts on the service’s connections', async () => {
    const t = await createTestApp({ DB_STATEMENT_TIMEOUT_MS: '12345', DB_LOCK_TIMEOUT_MS: '2345', DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '34567' });
    try {
      const ds = t.app.get(DataSource);
      const show = async (name: string) => ((await ds.query(`SHOW ${name}`)) as Record<string, string>[])[0][name];
      expect(await show('statement_timeout')).toBe('12345ms');
      expect(await show('lock_timeout')).toBe('2345ms');
      expect(await show('idle_in_transaction_session_timeout')).toBe('34567ms');
    } finally {
      await t.close();
    }
  });

  it('a flush stuck behind a lock fails with lock_timeout and keeps its items for the next flush', async () => {
    const t = await createTestApp({ DB_LOCK_TIMEOUT_MS: '200' });
    try {
      const lock = await holdUserLock(t.databaseUrl, 'locked-user');
      await t.batcher.accept('locked-user', [hb({ playedSeconds: 12 })]);
      await expect(t.batcher.flush()).rejects.toThrow('flush failed');
      expect(t.batcher.pendingCount).toBe(1);
      expect(t.batcher.counts().flushFailures).toBeGreaterThan(0);
      await lock.release();
      await t.batcher.flush();
      const { rows } = await t.db.query(`SELECT total_played_s FROM watch_history WHERE user_id = 'locked-user'`);
      expect(rows).toEqual([{ total_played_s: 12 }]);
    } finally {
      await t.close();
    }
  });

  it('ends the shutdown flush at SHUTDOWN_FLUSH_TIMEOUT_MS even while the awaited flush hangs', async () => {
    // No server-side timeouts: only the shutdown deadline can end the wait.
    const t = await createTestApp({ DB_LOCK_TIMEOUT_MS: '0', DB_STATEMENT_TIMEOUT_MS: '0', SHUTDOWN_FLUSH_TIMEOUT_MS: '300' });
    t.clock.manualTimers();
    const lock = await holdUserLock(t.databaseUrl, 'hung-user');
    try {
      await t.batcher.accept('hung-user', [hb({ playedSeconds: 15 })]);
      let returned = false;
      const shutdown = t.batcher.beforeApplicationShutdown().then(() => (returned = true));
      await waitForLockWaits(t, 1).done; // the final flush now hangs on the user's lock
      await t.clock.elapse(299);
      expect(returned).toBe(false);
      await t.clock.elapse(1);
      await shutdown;
      // Returned while the flush still waits for the lock: the item is neither stored nor lost.
      expect(t.batcher.flushInProgress).toBe(true);
      expect(t.batcher.pendingCount).toBe(1);
      const { rows } = await t.db.query(`SELECT 1 FROM watch_history WHERE user_id = 'hung-user'`);
      expect(rows).toEqual([]);
    } finally {
      await lock.release();
      await t.batcher.flush();
      await t.close();
    }
  });

  describe('back-off', () => {
    let t: TestApp;
    let proxy: TcpProxy;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ t, proxy, close } = await createProxiedTestApp({ PLAYTIME_BATCH_SIZE: '5' }));
      // The back-off ends only when the test moves the clock, however slow the machine.
      t.clock.manualTimers();
    });
    afterAll(() => close());

    it('accept() does not start a flush of a full batch while backing off', async () => {
      await t.batcher.accept('bo-user', [hb({ mediaId: 1 })]);
      await proxy.refuse();
      await expect(t.batcher.flush()).rejects.toThrow('flush failed');
      expect(t.batcher.backingOff).toBe(true);
      const failures = t.batcher.counts().flushFailures;
      for (let i = 2; i <= 7; i++) {
        await t.batcher.accept('bo-user', [hb({ mediaId: i })]);
        expect(t.batcher.flushInProgress).toBe(false);
      }
      expect(t.batcher.counts().flushFailures).toBe(failures);
      expect(t.batcher.pendingCount).toBe(7);
      // A read that must store the caller's items first says when to come back, not 500.
      const token = await t.token('bo-user');
      const stats = await t.http().get('/v1/stats/me').set('Authorization', `Bearer ${token}`);
      expect(stats.status).toBe(503);
      expect(Number(stats.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(t.batcher.pendingCount).toBe(7);
      await proxy.accept();
      await t.batcher.flush();
      expect(t.batcher.pendingCount).toBe(0);
    });
  });
});
