import { fork, spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, readdirSync } from 'node:fs';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** p-th percentile (0–100) of an ascending array; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(values: Float64Array | number[]): LatencySummary {
  const a = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of a) sum += v;
  return {
    count: a.length,
    p50: percentile(a, 50),
    p99: percentile(a, 99),
    max: a.length ? a[a.length - 1] : NaN,
    mean: a.length ? sum / a.length : NaN,
  };
}

/** Resident set size of a process in bytes (Linux), or NaN. */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Samples a process's RSS until stopped; returns the peak seen. */
export function rssSampler(pid: number, everyMs = 250): { stop: () => number } {
  let peak = rssBytes(pid);
  const t = setInterval(() => {
    const v = rssBytes(pid);
    if (v > peak || Number.isNaN(peak)) peak = v;
  }, everyMs);
  return {
    stop: () => {
      clearInterval(t);
      const v = rssBytes(pid);
      return Math.max(peak, Number.isNaN(v) ? 0 : v);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Child processes: every child is registered so that the orchestrator can kill all of them on
// any failure, signal or exit. Children are started with detached=false and killed by pid.

const children = new Set<ChildProcess>();

export function trackChild(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** SIGKILL every child still running (last resort on failure). */
export function killAllChildren(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      try {
        c.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

export function waitExit(child: ChildProcess, timeoutMs: number): Promise<{ code: number | null; signal: string | null; timedOut: boolean }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode, timedOut: false });
  }
  return new Promise((res) => {
    const t = setTimeout(() => res({ code: null, signal: null, timedOut: true }), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(t);
      res({ code, signal, timedOut: false });
    });
  });
}

/** Sends SIGTERM, waits up to `graceMs`, then SIGKILL. Resolves with the exit code (null if killed). */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<{ code: number | null; killed: boolean }> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, killed: false };
  child.kill('SIGTERM');
  const r = await waitExit(child, graceMs);
  if (!r.timedOut) return { code: r.code, killed: false };
  child.kill('SIGKILL');
  await waitExit(child, 5000);
  return { code: null, killed: true };
}

/** Spawns a node script with output going to a log file (no pipe for the parent to drain). */
export function spawnNode(
  script: string,
  args: string[],
  opts: { env: Record<string, string>; logFile: string; nodeArgs?: string[]; ipc?: boolean; cwd?: string },
): ChildProcess {
  const fd = openSync(opts.logFile, 'a');
  try {
    const stdio: ('ignore' | number | 'ipc')[] = ['ignore', fd, fd];
    const child = opts.ipc
      ? fork(script, args, { env: opts.env, execArgv: opts.nodeArgs ?? [], stdio: [...stdio, 'ipc'], cwd: opts.cwd })
      : spawn(process.execPath, [...(opts.nodeArgs ?? []), script, ...args], { env: opts.env, stdio, cwd: opts.cwd });
    return trackChild(child);
  } finally {
    closeSync(fd);
  }
}

export function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------
// IPC: request/response over a forked child's channel.

export interface IpcRequest {
  id: number;
  type: string;
  payload?: unknown;
}
export interface IpcResponse {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export class IpcClient {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(private readonly child: ChildProcess) {
    child.on('message', (m: IpcResponse) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.ok) w.resolve(m.result);
      else w.reject(new Error(m.error ?? 'child failed'));
    });
    child.once('exit', (code, signal) => {
      for (const w of this.waiting.values()) w.reject(new Error(`child exited (code ${code}, signal ${signal})`));
      this.waiting.clear();
    });
  }

  call<T>(type: string, payload: unknown, timeoutMs: number): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`child did not answer "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (v) => {
          clearTimeout(t);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
      this.child.send({ id, type, payload } satisfies IpcRequest);
    });
  }
}

/** In a forked child: answers requests with the handler; exits when the parent goes away. */
export function serveIpc(handler: (type: string, payload: unknown) => Promise<unknown>): void {
  if (!process.send) throw new Error('this script must be started by bench/run.js (no IPC channel)');
  process.on('disconnect', () => process.exit(0));
  process.on('message', (m: IpcRequest) => {
    handler(m.type, m.payload).then(
      (result) => process.send!({ id: m.id, ok: true, result } satisfies IpcResponse),
      (err: Error) => process.send!({ id: m.id, ok: false, error: err.stack ?? String(err) } satisfies IpcResponse),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// CPU time (Linux /proc), to see who used the two cores during a step.

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU time (user + system) of one process, ms; NaN when gone. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return NaN;
  }
}

/** CPU time (user + system) of every process, ms, with its command name. */
export function allProcessesCpu(): Map<number, { comm: string; ms: number }> {
  const out = new Map<number, { comm: string; ms: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(name), { comm, ms: (Number(f[11]) + Number(f[12])) * TICK_MS });
    } catch {
      // exited
    }
  }
  return out;
}

/**
 * CPU used between two snapshots, per process: processes that started meanwhile count from zero;
 * processes that exited meanwhile are lost (their last interval cannot be known).
 */
export function cpuDelta(a: Map<number, { comm: string; ms: number }>, b: Map<number, { comm: string; ms: number }>): Map<number, { comm: string; ms: number }> {
  const out = new Map<number, { comm: string; ms: number }>();
  for (const [pid, v] of b) {
    const before = a.get(pid);
    // Kernel threads change their name with their work queue: match on the pid alone.
    const ms = before ? v.ms - before.ms : v.ms;
    if (ms > 0) out.set(pid, { comm: v.comm, ms });
  }
  return out;
}

/** Busy, stolen (by other virtual machines) and total CPU time of the whole machine, ms. */
export function machineCpuMs(): { busy: number; steal: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = v[3] + v[4];
  const steal = v[7] ?? 0;
  return { busy: (total - idle - steal) * TICK_MS, steal: steal * TICK_MS, total: total * TICK_MS };
}

/** A process and its descendants (a cluster primary and its workers), from /proc. */
export function processTree(root: number): Set<number> {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited
    }
  }
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (!tree.has(pid) && tree.has(ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return tree;
}

/** CPU time (user + system) of a process and its live descendants, ms. */
export function treeCpuMs(root: number): number {
  let ms = 0;
  for (const pid of processTree(root)) {
    const v = cpuMs(pid);
    if (!Number.isNaN(v)) ms += v;
  }
  return ms;
}
