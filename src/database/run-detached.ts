import { spawn } from 'node:child_process';

export interface RunOptions {
  uid?: number;
  gid?: number;
}

/** What `runDetached` rejects with: the tool's exit status or signal, and what it printed. */
export class ToolFailedError extends Error {
  constructor(
    command: string,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`${command} failed (${signal ?? `exit ${exitCode}`})${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
  }
}

/**
 * Runs a tool (`pg_ctl`, `initdb`, `id`, …) to completion in a process group of its own.
 *
 * A terminal's Ctrl-C, or a supervisor stopping a unit, signals the service's whole process
 * group, and repeats it while the service drains. A `pg_ctl stop` waiting in that group dies of
 * the next SIGINT and leaves the server half-stopped, so tools must not share the group.
 * `execFile` cannot do this: it does not pass `detached` on to `spawn`.
 */
export async function runDetached(file: string, args: string[], options: RunOptions = {}): Promise<{ stdout: string; stderr: string }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runOnce(file, args, options);
    } catch (err) {
      // A group signal sent while the child was being forked stays pending in it across
      // `setsid` and kills it before it executes the tool (libuv blocks signals over fork and
      // the switch of group). Once detached nothing of ours signals it, so a child that died of
      // one of these signals never ran: running it again is safe.
      const retry = err instanceof ToolFailedError && err.signal !== null && GROUP_SIGNALS.has(err.signal) && attempt < 5;
      if (!retry) throw err;
    }
  }
}

const GROUP_SIGNALS = new Set<NodeJS.Signals>(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']);

function runOnce(file: string, args: string[], options: RunOptions): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject); // ENOENT, EACCES: `code` is on the error
    child.once('close', (code, signal) => {
      if (code === 0) resolve({ stdout, stderr });
      else reject(new ToolFailedError([file, ...args].join(' '), code, signal, stdout, stderr));
    });
  });
}
