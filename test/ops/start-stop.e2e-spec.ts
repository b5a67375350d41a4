import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { EmbeddedPostgres, portIsFree } from '../../src/database/embedded-postgres.js';
import { signToken } from '../../src/auth/sign-token.js';
import { TEST_SECRET, movieHeartbeat } from '../utils/create-app.js';
import { npmStart, openDataDir, type NpmStart } from '../utils/npm-start.js';

/**
 * The service run as the README runs it (`npm start`, its own process group, embedded
 * PostgreSQL) and stopped the way a terminal's Ctrl-C or a supervisor stops it: signals to the
 * whole group, repeated while it drains. SPEC §4: nothing accepted is lost, the embedded
 * database is stopped, the exit status is 0.
 */
describe('npm start stopped by signals', () => {
  const dataDir = openDataDir('playtime-start-stop');
  const otherDir = openDataDir('playtime-start-stop-b');
  afterAll(() => {
    rmSync(dirname(dataDir), { recursive: true, force: true });
    rmSync(dirname(otherDir), { recursive: true, force: true });
  });

  const env = { PLAYTIME_DATA_DIR: dataDir, JWT_SECRET: TEST_SECRET, PLAYTIME_FLUSH_INTERVAL_MS: '3600000' };

  /** The embedded server's URL, from what the service keeps under its data directory. */
  function embeddedUrl(database = 'playtime'): string {
    const password = readFileSync(join(dataDir, 'pg-password'), 'utf8').trim();
    const port = readFileSync(join(dataDir, 'pg-port'), 'utf8').trim();
    return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  }

  async function postHeartbeats(server: NpmStart, prefix: string, users: number): Promise<void> {
    for (let u = 0; u < users; u++) {
      const token = await signToken(TEST_SECRET, `${prefix}-${u}`);
      const res = await fetch(`${server.base}/v1/playtime`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(movieHeartbeat({ playedSeconds: 10 + u, currentTime: 300 + u })),
      });
      expect(res.status).toBe(202);
    }
  }

  /**
   * Holds the flush back (an exclusive lock on watch_history) so that later signals surely
   * arrive while the service drains; `release` lets it go and disconnects.
   */
  async function holdFlushes(): Promise<{ release: () => Promise<void> }> {
    const client = new pg.Client({ connectionString: embeddedUrl() });
    client.on('error', () => undefined); // the server may stop under it when a test fails
    await client.connect();
    await client.query('BEGIN');
    await client.query('LOCK TABLE watch_history IN EXCLUSIVE MODE');
    return {
      release: async () => {
        await client.query('COMMIT');
        await client.end();
      },
    };
  }

  /** Starts the kept embedded server again (the service stopped it) and reads what was stored. */
  async function storedRows(prefix: string): Promise<{ user_id: string; total_played_s: number; current_time_s: number }[]> {
    const again = new EmbeddedPostgres(dataDir);
    await again.start();
    try {
      const client = new pg.Client({ connectionString: again.url('playtime') });
      await client.connect();
      try {
        const { rows } = await client.query(
          `SELECT user_id, total_played_s, current_time_s FROM watch_history WHERE user_id LIKE $1 ORDER BY user_id`,
          [`${prefix}-%`],
        );
        return rows;
      } finally {
        await client.end();
      }
    } finally {
      await again.stop();
    }
  }

  function expectAllStored(rows: { user_id: string; total_played_s: number; current_time_s: number }[], users: number): void {
    expect(rows).toHaveLength(users);
    for (const r of rows) {
      const u = Number(r.user_id.split('-').pop());
      expect(r).toMatchObject({ total_played_s: 10 + u, current_time_s: 300 + u });
    }
  }

  /**
   * Sends a signal `times` more times while the service drains, each once the previous one was
   * seen: signals sent faster than the process handles them merge into one in the kernel.
   * Each group signal reaches the service directly, and may reach it again through npm.
   */
  async function repeatSignals(server: NpmStart, signal: NodeJS.Signals, times: number, send: () => void): Promise<void> {
    const ignored = new RegExp(`${signal} received while stopping: ignored`);
    for (let i = 0; i < times; i++) {
      const seen = server.output().split('\n').filter((l) => ignored.test(l)).length;
      send();
      await server.waitForCount(ignored, seen + 1);
    }
  }

  async function expectEmbeddedStopped(port: number): Promise<void> {
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
    expect(await portIsFree(port)).toBe(true);
  }

  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s to the process group, repeated while draining: writes get 503, every accepted heartbeat is stored, the embedded PostgreSQL stops, npm exits 0',
    async (signal) => {
      const server = await npmStart(env);
      try {
        const prefix = `${signal.toLowerCase()}-${randomUUID().slice(0, 8)}`;
        const users = 20;
        await postHeartbeats(server, prefix, users);
        const pgPort = Number(readFileSync(join(dataDir, 'pg-port'), 'utf8'));
        const hold = await holdFlushes();

        server.signalGroup(signal);
        await server.waitFor(new RegExp(`${signal} received: refusing writes`));
        // Draining: readiness and writes answer 503 while the final flush waits.
        for (;;) {
          const ready = await fetch(`${server.base}/health/ready`);
          const body = (await ready.json()) as { draining?: boolean };
          if (body.draining) {
            expect(ready.status).toBe(503);
            break;
          }
        }
        const refused = await fetch(`${server.base}/v1/playtime`, {
          method: 'POST',
          headers: { authorization: `Bearer ${await signToken(TEST_SECRET, `${prefix}-late`)}`, 'content-type': 'application/json' },
          body: JSON.stringify(movieHeartbeat()),
        });
        expect(refused.status).toBe(503);
        expect(refused.headers.get('retry-after')).toBeTruthy();

        await repeatSignals(server, signal, 3, () => server.signalGroup(signal));
        await hold.release();

        expect(await server.exit).toEqual({ code: 0, signal: null });
        expect(server.output()).toContain('final flush done, nothing pending');
        expect(server.output()).toContain('embedded PostgreSQL stopped');
        await expectEmbeddedStopped(pgPort);
        expectAllStored(await storedRows(prefix), users);
      } finally {
        server.signalGroup('SIGKILL');
      }
    },
    120_000,
  );

  it('SIGINT to the group again and again while the embedded PostgreSQL stops: it stops cleanly, npm exits 0', async () => {
    const server = await npmStart(env);
    try {
      const prefix = `storm-${randomUUID().slice(0, 8)}`;
      const users = 10;
      await postHeartbeats(server, prefix, users);
      const pgPort = Number(readFileSync(join(dataDir, 'pg-port'), 'utf8'));
      server.signalGroup('SIGINT');
      // From the end of the final flush on, the service is stopping its database (pg_ctl stop
      // waits for the server): keep signalling the group, as a user pressing Ctrl-C again and
      // again would, until that is done. Tools the service runs must not die of these signals.
      // (The storm stops there: a SIGINT that reaches npm after the service has exited ends npm
      // by that signal, which is npm's own behaviour, not the service's.)
      await server.waitFor(/final flush done/);
      let stopped = false;
      void server.waitFor(/embedded PostgreSQL stopped|could not stop the embedded PostgreSQL/).then(() => (stopped = true), () => (stopped = true));
      for (;;) {
        await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setImmediate(r)); // read what the service printed meanwhile
        if (stopped) break;
        server.signalGroup('SIGINT');
      }
      expect(server.output()).not.toContain('could not stop the embedded PostgreSQL');
      expect(server.output()).toContain('embedded PostgreSQL stopped');
      expect(await server.exit).toEqual({ code: 0, signal: null });
      await expectEmbeddedStopped(pgPort);
      expectAllStored(await storedRows(prefix), users);
    } finally {
      server.signalGroup('SIGKILL');
    }
  }, 120_000);

  it('SIGTERM to the service process alone, three times: everything stored, npm exits 0', async () => {
    const server = await npmStart(env);
    try {
      const prefix = `pid-${randomUUID().slice(0, 8)}`;
      const users = 15;
      await postHeartbeats(server, prefix, users);
      const pgPort = Number(readFileSync(join(dataDir, 'pg-port'), 'utf8'));
      // The service's pid, from its own log lines (npm execs it: npm's child, same group).
      const line = await server.waitFor(/"context":"Playtime".*listening/);
      const pid = (JSON.parse(line) as { pid: number }).pid;
      expect(pid).not.toBe(server.pgid);
      const hold = await holdFlushes();
      process.kill(pid, 'SIGTERM');
      await server.waitFor(/SIGTERM received: refusing writes/);
      await repeatSignals(server, 'SIGTERM', 2, () => process.kill(pid, 'SIGTERM'));
      await hold.release();
      expect(await server.exit).toEqual({ code: 0, signal: null });
      await expectEmbeddedStopped(pgPort);
      expectAllStored(await storedRows(prefix), users);
    } finally {
      server.signalGroup('SIGKILL');
    }
  }, 120_000);

  it('two instances sharing the embedded database, both stopped by SIGINT to their groups at once: nothing lost', async () => {
    const first = await npmStart(env);
    let second: NpmStart | null = null;
    try {
      const b = await npmStart({ DATABASE_URL: embeddedUrl(), PLAYTIME_DATA_DIR: otherDir, JWT_SECRET: TEST_SECRET, PLAYTIME_FLUSH_INTERVAL_MS: '3600000' });
      second = b;
      const prefix = `pair-${randomUUID().slice(0, 8)}`;
      await postHeartbeats(first, `${prefix}-a`, 30);
      await postHeartbeats(b, `${prefix}-b`, 30);
      const pgPort = Number(readFileSync(join(dataDir, 'pg-port'), 'utf8'));
      const hold = await holdFlushes();

      first.signalGroup('SIGINT');
      b.signalGroup('SIGINT');
      await first.waitFor(/SIGINT received: refusing writes/);
      await b.waitFor(/SIGINT received: refusing writes/);
      await repeatSignals(first, 'SIGINT', 1, () => first.signalGroup('SIGINT'));
      await repeatSignals(b, 'SIGINT', 1, () => b.signalGroup('SIGINT'));
      await hold.release();

      expect(await first.exit).toEqual({ code: 0, signal: null });
      expect(await b.exit).toEqual({ code: 0, signal: null });
      expect(b.output()).toContain('final flush done, nothing pending');
      await expectEmbeddedStopped(pgPort);
      expectAllStored(await storedRows(`${prefix}-a`), 30);
      expectAllStored(await storedRows(`${prefix}-b`), 30);
    } finally {
      first.signalGroup('SIGKILL');
      second?.signalGroup('SIGKILL');
    }
  }, 180_000);
});
