/**
 * `npm run bench:profile`: the built service under load with `--cpu-prof` and `--trace-gc`, then
 * a summary: self time by function and by package, garbage-collection share, bytes freed by the
 * collector per request (≈ bytes allocated), and CPU µs per accepted request.
 *
 * Options: --hot (one viewer from one address, both limits raised: the hot-key case; otherwise
 * many viewers behind a proxy, as in the benchmark), --read=continue-watching|resume|stats (a read
 * route instead, on the benchmark's 1M-row read data: seeded first, ~1 min, unless
 * --database-url=<url> names a database seeded by `npm run bench -- --only=read --keep-data`; --sample=<n>: how many of its users the
 * requests pick from, 20,000 as in the benchmark), --duration=<s> (15), --connections=<n> (32),
 * --workers=<n> (WEB_CONCURRENCY, 1; the profile is then one per process), --log-level=<level>
 * (warn), --top=<n> (25), --alloc (also every allocation, garbage included, sampled by
 * bench/lib/alloc-sampler.ts: bytes by function, by package and by the project's own code that
 * caused them). Writes .data/bench-artifacts/profiles/<name>.cpuprofile (and <pid>.heapprofile)
 * and summary.md.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { ensureDatabase } from '../src/database/ensure-database.js';
import { migrateDatabase } from '../src/database/run-migrations.js';
import { signToken } from '../src/auth/sign-token.js';
import {
  renderAllocSummary, renderProfileSummary, summarizeAllocations, summarizeProfile, summarizeTraceGc, type CpuProfile, type HeapProfile,
} from './lib/cpuprofile.js';
import { IpcClient, killAllChildren, spawnNode, stopChild, tail, treeCpuMs, waitExit } from './lib/util.js';
import { freePort } from '../test/utils/child-server.js';
import type { PhaseResult } from './loadgen.js';
import type { ReadResult, ReadRun } from './read-load.js';
import { FULL } from './lib/config.js';
import { seedReadData } from './lib/read-seed.js';
import pg from 'pg';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'main.js');
const OUT = join(ROOT, '.data', 'bench-artifacts', 'profiles');

const args = process.argv.slice(2);
const option = (name: string, dflt: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const hot = args.includes('--hot');
const durationMs = Number(option('duration', '15')) * 1000;
const connections = Number(option('connections', '32'));
const workers = option('workers', '1');
const logLevel = option('log-level', 'warn');
const top = Number(option('top', '25'));
const alloc = args.includes('--alloc');
const readRoute = args.find((a) => a.startsWith('--read='))?.slice(7) as ReadRun['route'] | undefined;
const databaseUrl = args.find((a) => a.startsWith('--database-url='))?.slice(15);
const readSample = Number(option('sample', String(FULL.read.sample)));
const VIEWERS = 20_000;

const log = (line: string) => console.log(`[profile ${new Date().toISOString().slice(11, 19)}] ${line}`);

async function main(): Promise<void> {
  const tmp = await mkdtemp(join(os.tmpdir(), 'playtime-profile-'));
  const dataDir = join(ROOT, '.data', 'bench-profile');
  await rm(dataDir, { recursive: true, force: true });
  await rm(OUT, { recursive: true, force: true });
  await mkdir(OUT, { recursive: true });
  const pgServer = databaseUrl ? null : new EmbeddedPostgres(dataDir, await freePort());
  await pgServer?.start();
  try {
    const url = databaseUrl ?? pgServer!.url('playtime');
    await ensureDatabase(url);
    await migrateDatabase(url);
    if (readRoute && !databaseUrl) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      const seeded = await seedReadData(c, FULL.read.users, FULL.read.perUser, FULL.read.movies).finally(() => c.end());
      log(`seeded ${seeded.history} history rows in ${seeded.ms} ms`);
    }
    const secret = randomBytes(36).toString('base64url');
    const port = await freePort();
    const logFile = join(tmp, 'service.log');
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: url,
      JWT_SECRET: secret,
      LOG_LEVEL: logLevel,
      DEMO_ENABLED: 'false',
      TRUST_PROXY: '1',
      WEB_CONCURRENCY: workers,
      PLAYTIME_DATA_DIR: join(tmp, 'data'),
      ...(hot ? { PLAYTIME_RATE_LIMIT: '1000000000', PLAYTIME_IP_RATE_LIMIT: '1000000000' } : {}),
    };
    const nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${OUT}`, '--trace-gc'];
    if (alloc) {
      nodeArgs.push('--import', join(HERE, 'lib', 'alloc-sampler.js'));
      env.ALLOC_PROFILE_DIR = OUT;
    }
    const spawnedAt = performance.now();
    const svc = spawnNode(MAIN, [], { env, logFile, nodeArgs, cwd: tmp });
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      if (svc.exitCode !== null) throw new Error(`service exited:\n${tail(logFile)}`);
      if (await fetch(`${base}/health/ready`).then((r) => r.ok, () => false)) break;
      if (i > 900) throw new Error(`service not ready:\n${tail(logFile)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const loadName = readRoute
      ? `GET ${readRoute} as random ones of ${readSample.toLocaleString('en-US')} seeded users (autocannon)`
      : hot
        ? 'one viewer from one address, both limits raised (autocannon, one fixed body)'
        : `${VIEWERS.toLocaleString('en-US')} viewers behind a proxy (each with its own X-Forwarded-For), closed loop`;
    log(`service up (pid ${svc.pid}, WEB_CONCURRENCY=${workers}, LOG_LEVEL=${logLevel}); load: ${loadName}, ${connections} connections, ${durationMs / 1000} s`);

    let accepted: number;
    let perSec: number;
    let cpu0: number;
    let cpu1: number;
    // The measured load, as offsets from the service's start (its profile and GC clock start there).
    let from = 0;
    let to = 0;
    const lgLog = join(tmp, 'loadgen.log');
    if (readRoute) {
      const rl = spawnNode(join(HERE, 'read-load.js'), [], { env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' }, logFile: lgLog, ipc: true, cwd: tmp });
      const ipc = new IpcClient(rl);
      await ipc.call('init', { base, secret, users: FULL.read.users, sample: readSample, movies: FULL.read.movies }, 120_000);
      await ipc.call('run', { route: readRoute, durationMs: 3000, connections }, 60_000);
      cpu0 = treeCpuMs(svc.pid!);
      from = performance.now() - spawnedAt;
      const r = await ipc.call<ReadResult>('run', { route: readRoute, durationMs, connections }, durationMs + 60_000);
      cpu1 = treeCpuMs(svc.pid!);
      to = performance.now() - spawnedAt;
      accepted = r.requests - r.non2xx - r.errors;
      perSec = accepted / (durationMs / 1000);
      log(`${readRoute}: ${Math.round(r.requestsPerSec)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, non-2xx ${r.non2xx}`);
      await ipc.call('exit', null, 5000).catch(() => undefined);
    } else if (hot) {
      const ac = spawnNode(join(HERE, 'read-load.js'), [], { env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' }, logFile: lgLog, ipc: true, cwd: tmp });
      const ipc = new IpcClient(ac);
      const body = JSON.stringify({ sessionId: '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f', mediaType: 'movie', mediaId: 27205, currentTime: 600, totalDuration: 8880, playedSeconds: 10, event: 'progress' });
      const authorization = `Bearer ${await signToken(secret, 'hot-viewer')}`;
      // Warm-up, then the measured run.
      await ipc.call('post', { base, body, durationMs: 3000, connections, headers: { authorization } }, 60_000);
      cpu0 = treeCpuMs(svc.pid!);
      from = performance.now() - spawnedAt;
      const r = await ipc.call<ReadResult>('post', { base, body, durationMs, connections, headers: { authorization } }, durationMs + 60_000);
      cpu1 = treeCpuMs(svc.pid!);
      to = performance.now() - spawnedAt;
      accepted = r.statuses['202'] ?? 0;
      perSec = accepted / (durationMs / 1000);
      if (r.non2xx) log(`answers: ${JSON.stringify(r.statuses)}`);
      await ipc.call('exit', null, 5000).catch(() => undefined);
    } else {
      const lg = spawnNode(join(HERE, 'loadgen.js'), [], { env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' }, logFile: lgLog, ipc: true, cwd: tmp });
      const ipc = new IpcClient(lg);
      await ipc.call('init', { host: '127.0.0.1', port, secret, viewers: VIEWERS, seed: 20251124, clockStart: Date.now() - 2 * 3600_000, forwardedFor: true }, 300_000);
      await ipc.call<PhaseResult>('phase', { name: 'warm-up', rate: 0, durationMs: 3000, active: VIEWERS, connections, minGapMs: 2500 }, 60_000);
      cpu0 = treeCpuMs(svc.pid!);
      from = performance.now() - spawnedAt;
      const r = await ipc.call<PhaseResult>('phase', { name: 'profile', rate: 0, durationMs, active: VIEWERS, connections, minGapMs: 2500 }, durationMs + 60_000);
      cpu1 = treeCpuMs(svc.pid!);
      to = performance.now() - spawnedAt;
      accepted = r.accepted;
      perSec = r.acceptedPerSec;
      await ipc.call('exit', null, 5000).catch(() => undefined);
    }
    const cpuUs = accepted > 0 ? ((cpu1 - cpu0) * 1000) / accepted : NaN;
    log(`${Math.round(perSec)} accepted/s; service CPU ${Math.round((100 * (cpu1 - cpu0)) / durationMs)} % of a core, ${cpuUs.toFixed(0)} µs per accepted request`);

    const stop = await stopChild(svc, 120_000);
    if (stop.code !== 0) throw new Error(`service exit code ${stop.code}:\n${tail(logFile)}`);
    await waitExit(svc, 1000);

    const files = (await readdir(OUT)).filter((f) => f.endsWith('.cpuprofile'));
    // A worker of a cluster starts later than its primary: its figures are not windowed.
    const window = workers === '1' ? { fromMs: from, toMs: to } : undefined;
    const gc = summarizeTraceGc(await readFile(logFile, 'utf8'), window);
    const sections: string[] = [
      `# CPU profile (\`npm run bench:profile${args.length ? ` -- ${args.join(' ')}` : ''}\`), ${new Date().toISOString()}`,
      '',
      `Load: ${loadName}, ${connections} connections, ${durationMs / 1000} s after a 3 s warm-up; WEB_CONCURRENCY=${workers}, LOG_LEVEL=${logLevel}, NODE_ENV=production.`,
      '',
      `- accepted: ${Math.round(perSec).toLocaleString('en-US')}/s; service CPU ${cpuUs.toFixed(0)} µs per accepted request (/proc, every process of the service)`,
      `- garbage collector (--trace-gc, ${window ? 'the measured run' : 'whole run incl. start-up'}): ${gc.scavenges} scavenges, ${gc.markCompacts} mark-compacts, ${gc.pauseMs.toFixed(0)} ms of pauses, ${gc.freedMB.toFixed(0)} MB freed ≈ ${accepted > 0 ? ((gc.freedMB * 1024) / accepted).toFixed(1) : 'n/a'} KB allocated per accepted request`,
      '',
    ];
    for (const f of files) {
      const p = JSON.parse(await readFile(join(OUT, f), 'utf8')) as CpuProfile;
      const s = summarizeProfile(p, top, window);
      // The primary of a cluster does next to nothing: show the workers only.
      if (files.length > 1 && s.busyMs < 0.05 * s.totalMs) continue;
      sections.push(`## ${f}`, '', renderProfileSummary(s), '');
    }
    for (const f of (await readdir(OUT)).filter((name) => name.endsWith('.heapprofile'))) {
      const s = summarizeAllocations(JSON.parse(await readFile(join(OUT, f), 'utf8')) as HeapProfile, top);
      if (files.length > 1 && s.totalBytes < 64 * 1048576) continue;
      sections.push(`## ${f}`, '', renderAllocSummary(s, accepted), '');
    }
    const md = sections.join('\n');
    await writeFile(join(OUT, 'summary.md'), md);
    console.log('\n' + md);
    log(`profiles and summary.md in ${OUT} (open a .cpuprofile in Chrome DevTools → Performance)`);
  } finally {
    killAllChildren();
    await pgServer?.stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    killAllChildren();
    process.exit(1);
  },
);
