import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { Redis } from 'ioredis';
import { freePort } from '../utils/child-server.js';

/** Debian's `redis-server` (installed by `.ci/run`), or the one named by REDIS_SERVER_BIN. */
const REDIS_SERVER_BIN = process.env.REDIS_SERVER_BIN ?? 'redis-server';

export interface RedisServer {
  port: number;
  url: string;
  /** A short-lived client for assertions on the keys. */
  client: () => Redis;
  /**
   * Resolves when Redis expires `key` (a keyspace notification, not a guess at its TTL), or at once
   * when it is already gone. Call it once the key exists.
   */
  expiry: (key: string) => Promise<void>;
  /** `kill -9`: the server vanishes without closing anything cleanly. */
  kill: () => Promise<void>;
  /** SIGSTOP: the server keeps its connections open but answers nothing (a hung Redis). */
  pause: () => void;
  /** SIGCONT after `pause`. */
  resume: () => void;
  /** Starts a fresh, empty server on the same port (after `kill`). */
  restart: () => Promise<void>;
  stop: () => Promise<void>;
}

/**
 * A real Redis on 127.0.0.1 and a free port, with no persistence, for one test file. Fails (it
 * does not skip) when `redis-server` is not installed.
 */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const clients: Redis[] = [];

  const launch = async () => {
    const proc = spawn(REDIS_SERVER_BIN, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        proc.stdout!.off('data', onData);
        proc.off('exit', onExit);
        proc.off('error', onError);
        if (err) reject(err);
        else resolve();
      };
      const onData = () => {
        if (out.includes('Ready to accept connections')) done();
      };
      const onExit = (code: number | null) => done(new Error(`redis-server exited (${code}):\n${out}`));
      const onError = (err: Error) => done(new Error(`cannot start ${REDIS_SERVER_BIN} (install Debian's redis-server package): ${err.message}`));
      const timer = setTimeout(() => done(new Error(`redis-server not ready in 10 s:\n${out}`)), 10_000);
      proc.stdout!.on('data', onData);
      proc.once('exit', onExit);
      proc.once('error', onError);
    });
  };

  const kill = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  };

  const client = () => {
    const c = new Redis({ host: '127.0.0.1', port, lazyConnect: false, maxRetriesPerRequest: 1 });
    clients.push(c);
    return c;
  };

  const expiry = async (key: string) => {
    const probe = client();
    await probe.config('SET', 'notify-keyspace-events', 'Ex');
    const subscriber = client();
    const expired = new Promise<void>((resolve) => subscriber.on('message', (_channel, expiredKey) => expiredKey === key && resolve()));
    await subscriber.subscribe('__keyevent@0__:expired');
    // Subscribed first, checked second: an expiry in between is seen by one or the other.
    if ((await probe.exists(key)) === 0) return;
    await expired;
  };

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    client,
    expiry,
    kill,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    restart: async () => {
      await kill();
      await launch();
    },
    stop: async () => {
      for (const c of clients) c.disconnect();
      child?.kill('SIGCONT');
      await kill();
    },
  };
}

/** The value of one Prometheus sample in a scrape, 0 when the series is absent. */
export function metricValue(scrape: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of scrape.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',').filter(Boolean);
    if (wanted.every((w) => have.includes(w))) return Number(m[3]);
  }
  return 0;
}
