import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { signToken } from '../../src/auth/sign-token.js';
import { TEST_SECRET, movieHeartbeat } from '../utils/create-app.js';
import { createTestDatabase } from '../utils/test-database.js';
import { ensureBuilt, freePort, startChild } from '../utils/child-server.js';

/** The built service as a separate process: SIGTERM drains, flushes, stops, exits 0. */
describe('shutdown of the built server', () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it('on SIGTERM stores every accepted heartbeat and exits 0 (DATABASE_URL)', async () => {
    const db = await createTestDatabase();
    const server = await startChild({ DATABASE_URL: db.url, JWT_SECRET: TEST_SECRET, PLAYTIME_FLUSH_INTERVAL_MS: '3600000' });
    try {
      const users = 20;
      for (let u = 0; u < users; u++) {
        const token = await signToken(TEST_SECRET, `sigterm-${u}`);
        const res = await fetch(`${server.base}/v1/playtime`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(movieHeartbeat({ playedSeconds: 40 + u, currentTime: 500 + u })),
        });
        expect(res.status).toBe(202);
      }
      server.child.kill('SIGTERM');
      expect(await server.exit).toBe(0);
      expect(server.output()).toContain('final flush done');
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const { rows } = await client.query(`SELECT user_id, total_played_s, current_time_s FROM watch_history ORDER BY user_id`);
      await client.end();
      expect(rows).toHaveLength(users);
      for (const r of rows) {
        const u = Number(r.user_id.split('-')[1]);
        expect(r).toMatchObject({ total_played_s: 40 + u, current_time_s: 500 + u });
      }
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
      await db.drop();
    }
  });

  it('without DATABASE_URL: starts an embedded PostgreSQL, prints a curl that answers 202, stops it on SIGTERM', async () => {
    mkdirSync(resolve('.data'), { recursive: true });
    const dataDir = mkdtempSync(resolve('.data/embedded-e2e-'));
    const pgPort = await freePort();
    const server = await startChild({ PLAYTIME_DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), PLAYTIME_FLUSH_INTERVAL_MS: '3600000' });
    try {
      const out = server.output();
      expect(out).toContain(`${server.base.replace('127.0.0.1', 'localhost')}/docs`);
      const curl = out.split('\n').find((l) => l.startsWith('curl -i -X POST'));
      expect(curl).toBeDefined();
      const local = curl!.replace(/http:\/\/localhost:\d+/, server.base);
      const response = execFileSync('bash', ['-c', `${local} -s -o /dev/null -w '%{http_code}'`]).toString();
      expect(response).toBe('202');
      // the printed read shows what the printed text says it will (the clamp explained beside it)
      const read = out.split('\n').find((l) => l.startsWith("curl -s '"));
      expect(read).toBeDefined();
      const item = JSON.parse(execFileSync('bash', ['-c', read!.replace(/http:\/\/localhost:\d+/, server.base)]).toString()) as Record<string, unknown>;
      expect(item).toMatchObject({ mediaId: 27205, resumeAt: 600, totalPlayedSeconds: 30 });
      expect(out).toContain(`resumeAt ${item.resumeAt} and totalPlayedSeconds ${item.totalPlayedSeconds}`);
      expect(out).toContain('clamped to 2 × (seconds since the session');
      // a token from `npm run token` works too (same dev secret under the data directory)
      const token = execFileSync(process.execPath, [resolve('dist/src/cli/token.js'), 'cli-user'], {
        env: { PATH: process.env.PATH ?? '', PLAYTIME_DATA_DIR: dataDir },
      }).toString().trim();
      const res = await fetch(`${server.base}/v1/playtime`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(movieHeartbeat({ sessionId: randomUUID(), mediaId: 7, playedSeconds: 5 })),
      });
      expect(res.status).toBe(202);

      server.child.kill('SIGTERM');
      expect(await server.exit).toBe(0);
      expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);

      // the data survived: start the same cluster again and look
      const again = new EmbeddedPostgres(dataDir, pgPort);
      await again.start();
      const client = new pg.Client({ connectionString: again.url('playtime') });
      await client.connect();
      const { rows } = await client.query(`SELECT user_id, media_id FROM watch_history ORDER BY user_id`);
      await client.end();
      await again.stop();
      expect(rows).toEqual([
        { user_id: 'cli-user', media_id: 7 },
        { user_id: 'demo-user', media_id: 27205 },
      ]);
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
