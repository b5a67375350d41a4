/**
 * The load generator, a process of its own (started by bench/run.ts over IPC): simulated viewers
 * (test/utils/audience.ts) sending heartbeats through the raw-socket driver (lib/http-driver.ts), then the
 * accuracy check against PostgreSQL.
 */
import { createWriteStream } from 'node:fs';
import pg from 'pg';
import { signToken } from '../src/auth/sign-token.js';
import { drive, type Outgoing, type Source } from './lib/http-driver.js';
import { serveIpc, sleep, summarize, type LatencySummary } from './lib/util.js';
import { Simulation, itemKey, type Heartbeat } from '../test/utils/audience.js';

export interface InitRequest {
  host: string;
  port: number;
  secret: string;
  viewers: number;
  seed: number;
  /** Epoch ms where simulated clocks start (two hours in the past). */
  clockStart: number;
  /** Each viewer sends X-Forwarded-For with an address of its own. */
  forwardedFor: boolean;
}

export interface PhaseRequest {
  name: string;
  /** Heartbeats per second offered (paced); 0: closed loop (saturation). */
  rate: number;
  durationMs: number;
  /** Viewers taking part: the first `active` ones. */
  active: number;
  connections: number;
  /** No viewer sends twice within this many ms (the per-user throttle). */
  minGapMs: number;
  /**
   * Record accepted heartbeats for the raw upsert reference: 'prefix' ones bring its database to
   * the same state, 'timed' ones are what it times.
   */
  record?: 'prefix' | 'timed';
  /** Poll the admin counters during the phase to time every flush (batched mode). */
  pollFlushes?: boolean;
}

export interface PhaseResult {
  name: string;
  rate: number;
  durationMs: number;
  active: number;
  connections: number;
  sent: number;
  statuses: Record<string, number>;
  accepted: number;
  acceptedPerSec: number;
  latency: LatencySummary;
  skipped: number;
  maxQueue: number;
  flushes: { rows: number; ms: number }[];
  missedFlushes: number;
  lateFlushes: number;
}

export interface VerifyResult {
  expectedItems: number;
  storedItems: number;
  differences: number;
  missing: number;
  unexpected: number;
  examples: string[];
  truth: { items: number; sessions: number; completions: number; finished: number; clamped: number };
  stats: Simulation['stats'];
}

let sim: Simulation | null = null;
let init: InitRequest | null = null;
let adminToken = '';
let recorded: string[] = [];

class ViewerSource implements Source {
  private ptr = 0;
  constructor(
    private readonly s: Simulation,
    private readonly active: number,
    private readonly minGapMs: number,
  ) {}

  next(): Outgoing | null {
    const now = performance.now();
    const viewers = this.s.viewers;
    for (let tries = 0; tries < 64; tries++) {
      const v = viewers[this.ptr];
      this.ptr = this.ptr + 1 === this.active ? 0 : this.ptr + 1;
      if (now - v.lastSentAt < this.minGapMs) continue;
      const hb = this.s.heartbeatFor(v);
      if (!hb) continue;
      v.lastSentAt = now;
      const s = this.s;
      return { data: requestOf(hb), done: (status) => s.onResult(hb, status, Date.now()) };
    }
    return null;
  }
}

async function ingestCounters(): Promise<{ flushes: number; rowsWritten: number; lastFlushMs: number; statements: number }> {
  const res = await fetch(`http://${init!.host}:${init!.port}/v1/admin/ingest`, { headers: { authorization: `Bearer ${adminToken}` } });
  if (!res.ok) throw new Error(`GET /v1/admin/ingest: ${res.status}`);
  return (await res.json()) as { flushes: number; rowsWritten: number; lastFlushMs: number; statements: number };
}

async function runPhase(p: PhaseRequest): Promise<PhaseResult> {
  const s = sim!;
  if (p.active > s.viewers.length) throw new Error(`phase ${p.name} needs ${p.active} viewers, ${s.viewers.length} signed`);
  const timed = p.record === 'timed' ? 1 : 0;
  s.recorder = p.record ? (hb, at) => recorded.push(JSON.stringify({ r: at, t: timed, u: hb.userId, b: hb.body })) : null;
  const flushes: PhaseResult['flushes'] = [];
  let missedFlushes = 0;
  let lateFlushes = 0;
  let polling = false;
  let poller: NodeJS.Timeout | null = null;
  if (p.pollFlushes) {
    let last = await ingestCounters();
    poller = setInterval(() => {
      if (polling) return;
      polling = true;
      const askedAt = performance.now();
      ingestCounters()
        .then((c) => {
          const n = c.flushes - last.flushes;
          // An answer that took longer than a flush could have started and ended in: the
          // flush seen may not be the one timed; count it apart.
          if (n === 1 && performance.now() - askedAt < 150) flushes.push({ rows: c.rowsWritten - last.rowsWritten, ms: c.lastFlushMs });
          else if (n === 1) lateFlushes++;
          else if (n > 1) missedFlushes += n;
          last = c;
        })
        .catch(() => undefined)
        .finally(() => (polling = false));
    }, 100);
  }
  const r = await drive(new ViewerSource(s, p.active, p.minGapMs), {
    host: init!.host,
    port: init!.port,
    connections: p.connections,
    durationMs: p.durationMs,
    rate: p.rate,
    timeoutMs: 60_000,
    drainMs: 60_000,
  });
  if (poller) clearInterval(poller);
  while (polling) await sleep(10);
  s.recorder = null;
  const accepted = r.statuses['202'] ?? 0;
  return {
    name: p.name,
    rate: p.rate,
    durationMs: p.durationMs,
    active: p.active,
    connections: p.connections,
    sent: r.sent,
    statuses: r.statuses,
    accepted,
    acceptedPerSec: r.okInWindow / (p.durationMs / 1000),
    latency: summarize(r.latencies),
    skipped: r.skipped,
    maxQueue: r.maxQueue,
    flushes,
    missedFlushes,
    lateFlushes,
  };
}

/**
 * Heartbeats without an answer (connection lost, timed out) may or may not have been stored:
 * send them again until the service answers. They are idempotent, so a second copy is harmless.
 */
async function resolveUnknown(deadlineMs: number): Promise<{ resent: number; left: number }> {
  const s = sim!;
  const deadline = Date.now() + deadlineMs;
  let resent = 0;
  for (const hb of [...s.unknown]) {
    for (;;) {
      if (Date.now() > deadline) return { resent, left: s.unknown.size };
      const res = await fetch(`http://${init!.host}:${init!.port}/v1/playtime`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokenOf(hb)}`, 'content-type': 'application/json' },
        body: hb.body,
      }).catch(() => null);
      if (!res) {
        await sleep(200);
        continue;
      }
      await res.arrayBuffer();
      if (res.status === 429 || res.status === 503) {
        await sleep(1000 * Math.min(10, Number(res.headers.get('retry-after') ?? '1') || 1));
        continue;
      }
      resent++;
      s.onResult(hb, res.status, Date.now());
      s.unknown.delete(hb);
      break;
    }
  }
  return { resent, left: s.unknown.size };
}

const tokens: string[] = [];
function tokenOf(hb: Heartbeat): string {
  return tokens[hb.viewer];
}

/** Each viewer's request head, up to the Content-Length value (the driver writes raw HTTP/1.1). */
const heads: string[] = [];
function requestOf(hb: Heartbeat): string {
  return `${heads[hb.viewer]}${hb.body.length}\r\n\r\n${hb.body}`;
}

/**
 * With `forwardedFor`, each viewer's requests carry `X-Forwarded-For` with an address of its own,
 * as they do behind a load balancer (the service then runs with TRUST_PROXY=1).
 */
function requestHead(n: number, host: string, token: string, forwardedFor: boolean): string {
  const xff = forwardedFor ? `X-Forwarded-For: 10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}\r\n` : '';
  return `POST /v1/playtime HTTP/1.1\r\nHost: ${host}\r\n${xff}Authorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: `;
}

/** Every stored history row compared with the simulation's ground truth. */
async function verify(databaseUrl: string): Promise<VerifyResult> {
  const s = sim!;
  const expected = s.expected();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const examples: string[] = [];
  let differences = 0;
  let missing = 0;
  let unexpected = 0;
  let stored: number;
  try {
    const { rows } = await client.query<{
      user_id: string;
      media_type: string;
      media_id: number;
      season_number: number | null;
      episode_number: number | null;
      total_played_s: number;
      current_time_s: number;
      finished: boolean;
      completed_count: number;
    }>(`SELECT user_id, media_type, media_id, season_number, episode_number, total_played_s, current_time_s, finished, completed_count
        FROM watch_history`);
    stored = rows.length;
    const seen = new Set<string>();
    const note = (line: string) => {
      differences++;
      if (examples.length < 25) examples.push(line);
    };
    for (const r of rows) {
      const key = itemKey(r.user_id, { mediaType: r.media_type, mediaId: r.media_id, season: r.season_number, episode: r.episode_number });
      seen.add(key);
      const e = expected.get(key);
      if (!e) {
        unexpected++;
        note(`${key}: stored but never accepted (total ${r.total_played_s})`);
        continue;
      }
      const bad: string[] = [];
      if (Math.abs(r.total_played_s - e.total) > 1e-6) bad.push(`total ${r.total_played_s} ≠ ${e.total}`);
      if (Math.abs(r.current_time_s - e.currentTime) > 1e-6) bad.push(`position ${r.current_time_s} ≠ ${e.currentTime}`);
      if (r.finished !== e.finished) bad.push(`finished ${r.finished} ≠ ${e.finished}`);
      if (r.completed_count !== e.completedCount) bad.push(`completedCount ${r.completed_count} ≠ ${e.completedCount}`);
      if (bad.length) note(`${key}: ${bad.join(', ')}`);
    }
    for (const key of expected.keys()) {
      if (!seen.has(key)) {
        missing++;
        note(`${key}: accepted but not stored`);
      }
    }
  } finally {
    await client.end();
  }
  return {
    expectedItems: expected.size,
    storedItems: stored,
    differences,
    missing,
    unexpected,
    examples,
    truth: s.truthSize(),
    stats: s.stats,
  };
}

async function writeRecord(file: string): Promise<number> {
  const out = createWriteStream(file);
  for (const line of recorded) {
    if (!out.write(line + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())));
  const n = recorded.length;
  recorded = [];
  return n;
}

serveIpc(async (type, payload) => {
  switch (type) {
    case 'init': {
      init = payload as InitRequest;
      const started = performance.now();
      tokens.length = 0;
      for (let i = 0; i < init.viewers; i += 1000) {
        const n = Math.min(1000, init.viewers - i);
        tokens.push(...(await Promise.all(Array.from({ length: n }, (_, k) => signToken(init!.secret, `viewer-${i + k}`)))));
      }
      adminToken = await signToken(init.secret, 'bench-ops', { admin: true });
      const host = `${init.host}:${init.port}`;
      heads.length = 0;
      heads.push(...tokens.map((token, i) => requestHead(i + 1, host, token, init!.forwardedFor)));
      sim = new Simulation(init.seed, tokens.map((_, i) => `viewer-${i}`), init.clockStart);
      return { viewers: tokens.length, signMs: Math.round(performance.now() - started) };
    }
    case 'phase':
      return runPhase(payload as PhaseRequest);
    case 'resolveUnknown':
      return resolveUnknown((payload as { deadlineMs: number }).deadlineMs);
    case 'verify':
      return verify((payload as { databaseUrl: string }).databaseUrl);
    case 'writeRecord':
      return writeRecord((payload as { file: string }).file);
    case 'exit':
      setImmediate(() => process.exit(0));
      return null;
    default:
      throw new Error(`unknown request ${type}`);
  }
});
