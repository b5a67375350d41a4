import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './child-server.js';

/** A data directory the `postgres` OS user can enter (tests may run as root; mkdtemp gives 0700). */
export function openDataDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  chmodSync(dir, 0o755);
  return join(dir, 'data');
}

export interface NpmStart {
  child: ChildProcess;
  /** The process group npm leads: what a terminal's Ctrl-C or `kill -- -PGID` signals. */
  pgid: number;
  base: string;
  output: () => string;
  /** Resolves once the output has a line matching `pattern` (rejects if the process exits first). */
  waitFor: (pattern: RegExp) => Promise<string>;
  /** Resolves once the output has `count` lines matching `pattern`. */
  waitForCount: (pattern: RegExp, count: number) => Promise<void>;
  /** npm's exit: its code, or the signal that ended it. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Signals the whole process group; a group that is already gone is not an error. */
  signalGroup: (signal: NodeJS.Signals) => void;
}

/**
 * Runs the service the way the README does, `npm start`, in a process group of its own (as a
 * terminal job or a supervisor's unit would be), with exactly the environment given plus PATH
 * and HOME. Resolves once it logs that it listens.
 */
export async function npmStart(env: Record<string, string>): Promise<NpmStart> {
  const port = await freePort();
  const child = spawn('npm', ['start'], {
    detached: true,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: { pattern: RegExp; count: number; resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      const lines = out.split('\n').filter((l) => w.pattern.test(l));
      if (lines.length >= w.count) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(lines[0]);
      }
    }
  };
  child.stdout!.on('data', (d) => ((out += d), check()));
  child.stderr!.on('data', (d) => ((out += d), check()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => {
      // Let the pipes drain before anyone reads the output.
      setImmediate(() => {
        for (const w of waiters.splice(0)) w.reject(new Error(`npm exited (${code ?? signal}) before ${w.pattern}:\n${out}`));
        r({ code, signal });
      });
    }),
  );
  const waitFor = (pattern: RegExp, count = 1) =>
    new Promise<string>((resolve, reject) => {
      waiters.push({ pattern, count, resolve, reject });
      check();
    });
  const waitForCount = async (pattern: RegExp, count: number) => void (await waitFor(pattern, count));
  const pgid = child.pid!;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pgid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  };
  const server = { child, pgid, base: `http://127.0.0.1:${port}`, output: () => out, waitFor, waitForCount, exit, signalGroup };
  try {
    await waitFor(/Playtime listening on/);
  } catch (err) {
    signalGroup('SIGKILL');
    throw err;
  }
  return server;
}
