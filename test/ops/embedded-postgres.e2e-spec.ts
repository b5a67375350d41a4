import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { BUILT_MAIN } from '../utils/child-server.js';
import { openDataDir } from '../utils/npm-start.js';

/**
 * SPEC §2: several checkouts on one machine run their embedded databases side by side. The port
 * is picked free on first start and kept under the data directory; a server left by this data
 * directory is adopted; one of another data directory is never touched.
 */
describe('embedded PostgreSQL: ports and adoption', () => {
  const dirs: string[] = [];
  const servers: EmbeddedPostgres[] = [];
  const newDataDir = () => {
    const dir = openDataDir('playtime-embedded');
    dirs.push(dirname(dir));
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const track = (server: EmbeddedPostgres) => (servers.push(server), server);
  afterAll(async () => {
    for (const s of servers) await s.stop({ owner: true }).catch(() => undefined);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function selectOne(server: EmbeddedPostgres): Promise<number> {
    const client = new pg.Client({ connectionString: server.url() });
    await client.connect();
    try {
      return (await client.query<{ one: number }>('SELECT 1 AS one')).rows[0].one;
    } finally {
      await client.end();
    }
  }

  const keptPort = (dir: string) => Number(readFileSync(join(dir, 'pg-port'), 'utf8'));
  const postmasterPid = (dir: string) => Number(readFileSync(join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);

  it('two data directories started at once, both wanting the same kept port, get distinct ports and both work', async () => {
    const [a, b] = [newDataDir(), newDataDir()];
    // As after copying a checkout with its .data: both keep the same port.
    const probe = net.createServer();
    const wanted = await new Promise<number>((r) => probe.listen(0, '127.0.0.1', () => r((probe.address() as net.AddressInfo).port)));
    await new Promise((r) => probe.close(r));
    writeFileSync(join(a, 'pg-port'), `${wanted}\n`);
    writeFileSync(join(b, 'pg-port'), `${wanted}\n`);

    const [pa, pb] = [track(new EmbeddedPostgres(a)), track(new EmbeddedPostgres(b))];
    await Promise.all([pa.start(), pb.start()]);

    expect(pa.listenPort).not.toBe(pb.listenPort);
    expect([pa.listenPort, pb.listenPort]).toContain(wanted);
    expect(keptPort(a)).toBe(pa.listenPort);
    expect(keptPort(b)).toBe(pb.listenPort);
    expect(await selectOne(pa)).toBe(1);
    expect(await selectOne(pb)).toBe(1);
  }, 120_000);

  it('a later run adopts the server its data directory left running, on its port, and stops it', async () => {
    const dir = newDataDir();
    const earlier = track(new EmbeddedPostgres(dir));
    await earlier.start();
    const pid = postmasterPid(dir);
    // The run that started it is gone (a crash): its pid no longer exists.
    writeFileSync(join(dir, 'pg-owner.pid'), '2147483646\n');

    const lines: string[] = [];
    const later = track(new EmbeddedPostgres(dir, undefined, (l) => lines.push(l)));
    await later.start();
    expect(later.listenPort).toBe(earlier.listenPort);
    expect(postmasterPid(dir)).toBe(pid);
    expect(lines.join('\n')).toContain('adopted');
    expect(await selectOne(later)).toBe(1);

    await later.stop();
    expect(() => statSync(join(dir, 'pg', 'postmaster.pid'))).toThrow();
  }, 120_000);

  it('a server in use by another live process of the same checkout is adopted but left running', async () => {
    const dir = newDataDir();
    const first = track(new EmbeddedPostgres(dir));
    await first.start();
    const pid = postmasterPid(dir);
    // The owner is alive (here: the test runner's parent process).
    writeFileSync(join(dir, 'pg-owner.pid'), `${process.ppid}\n`);

    const cli = track(new EmbeddedPostgres(dir));
    await cli.start();
    await cli.stop();
    expect(postmasterPid(dir)).toBe(pid);
    expect(await selectOne(first)).toBe(1);
  }, 120_000);

  it("the kept port held by another checkout's server or a foreign listener: another port is picked, the other one is untouched", async () => {
    const [mine, theirs] = [newDataDir(), newDataDir()];
    const other = track(new EmbeddedPostgres(theirs));
    await other.start();
    const otherPid = postmasterPid(theirs);
    writeFileSync(join(mine, 'pg-port'), `${other.listenPort}\n`);

    const server = track(new EmbeddedPostgres(mine));
    await server.start();
    expect(server.listenPort).not.toBe(other.listenPort);
    expect(keptPort(mine)).toBe(server.listenPort);
    expect(postmasterPid(theirs)).toBe(otherPid);
    expect(await selectOne(other)).toBe(1);
    await server.stop();

    // Now a plain TCP listener on the port this data directory keeps.
    const foreign = net.createServer((s) => s.end('foreign\n'));
    await new Promise<void>((r) => foreign.listen(keptPort(mine), '127.0.0.1', () => r()));
    try {
      const taken = keptPort(mine);
      const again = track(new EmbeddedPostgres(mine));
      await again.start();
      expect(again.listenPort).not.toBe(taken);
      expect(keptPort(mine)).toBe(again.listenPort);
      expect(await selectOne(again)).toBe(1);
      expect(foreign.listening).toBe(true);
    } finally {
      await new Promise((r) => foreign.close(r));
    }
  }, 120_000);

  it('EMBEDDED_PG_PORT taken by another program: start-up stops with a message naming the variable', async () => {
    const foreign = net.createServer();
    const port = await new Promise<number>((r) => foreign.listen(0, '127.0.0.1', () => r((foreign.address() as net.AddressInfo).port)));
    try {
      const server = new EmbeddedPostgres(newDataDir(), port);
      await expect(server.start()).rejects.toThrow(`EMBEDDED_PG_PORT=${port}`);
    } finally {
      await new Promise((r) => foreign.close(r));
    }
  }, 120_000);
});

describe('embedded PostgreSQL as root in a directory the postgres user cannot enter', () => {
  it('the service stops at once, naming the directory and the ways out, never a bare EACCES', async () => {
    // Tests run as root (as CI does); mkdtemp makes a 0700 directory, like a fresh home.
    expect(process.getuid?.()).toBe(0);
    const closed = mkdtempSync(join(tmpdir(), 'playtime-closed-'));
    expect(statSync(closed).mode & 0o777).toBe(0o700);
    try {
      const child = spawn(process.execPath, [BUILT_MAIN], {
        env: { PATH: process.env.PATH ?? '', PLAYTIME_DATA_DIR: join(closed, 'data'), PORT: '0', HOST: '127.0.0.1' },
        stdio: ['ignore', 'pipe', 'pipe'],
        cwd: resolve('.'),
      });
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      child.stdout!.resume();
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      expect(code).not.toBe(0);
      expect(stderr).toContain(`cannot enter ${closed}`);
      expect(stderr).toContain('PLAYTIME_DATA_DIR');
      expect(stderr).toContain('DATABASE_URL');
      expect(stderr).toContain('move the checkout');
      expect(stderr).not.toMatch(/spawn .*EACCES/);
    } finally {
      rmSync(closed, { recursive: true, force: true });
    }
  }, 60_000);
});
