/**
 * The raw reference for the flush: THE SAME flush SQL (exported from PlaytimeRepository) on the
 * same rows, run straight from a script over one `pg` connection, with no service around it.
 *
 * Input: the heartbeats the batched service accepted (recorded by the load generator, in order of
 * receipt). They are coalesced by the service's own `foldHeartbeat` (one PendingItem per item) and
 * cut into batches by the service's rules: PLAYTIME_BATCH_SIZE items, or PLAYTIME_FLUSH_INTERVAL_MS
 * of receipt time. The heartbeats before the measured step bring the database to the state the
 * service's had (untimed); the measured step's batches are timed from sorting the batch to COMMIT,
 * as the service's `lastFlushMs` is.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { foldHeartbeat, type PendingItem } from '../src/playtime/pending-item.js';
import type { Heartbeat } from '../src/playtime/heartbeat.js';
import { flushStatements } from '../src/playtime/playtime.repository.js';
import { serveIpc } from './lib/util.js';

export interface RawRequest {
  databaseUrl: string;
  file: string;
  batchSize: number;
  intervalMs: number;
  finishedPercent: number;
}

export interface RawResult {
  heartbeats: number;
  prefixBatches: number;
  timedBatches: number;
  items: number;
  rows: number;
  ms: number;
  rowsPerSec: number;
  batchRows: number[];
  batchMs: number[];
}

interface Line {
  r: number;
  t: 0 | 1;
  u: string;
  b: string;
}

function toHeartbeat(body: string): Heartbeat {
  const h = JSON.parse(body) as Omit<Heartbeat, 'occurredAt'> & { occurredAt?: string };
  return {
    ...h,
    seasonNumber: h.seasonNumber ?? null,
    episodeNumber: h.episodeNumber ?? null,
    event: h.event ?? 'progress',
    occurredAt: h.occurredAt ? new Date(h.occurredAt) : undefined,
  };
}

async function flush(client: pg.Client, items: PendingItem[], finishedPercent: number): Promise<{ rows: number; ms: number }> {
  const started = performance.now();
  const plan = flushStatements(items, { finishedPercent, minPlaySeconds: 60, maxStreamsPerUser: 4 });
  await client.query('BEGIN');
  try {
    let rows: { sessions: number; items: number; buckets: number }[] = [];
    for (const [sql, params] of plan) rows = (await client.query<{ sessions: number; items: number; buckets: number }>(sql, params)).rows;
    await client.query('COMMIT');
    const c = rows[0];
    return { rows: c.sessions + c.items + c.buckets, ms: performance.now() - started };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function run(req: RawRequest): Promise<RawResult> {
  // Same connection settings as the service's pool (JIT off for these statements).
  const client = new pg.Client({ connectionString: req.databaseUrl, options: '-c jit=off', application_name: 'playtime-bench-raw' });
  await client.connect();
  const result: RawResult = { heartbeats: 0, prefixBatches: 0, timedBatches: 0, items: 0, rows: 0, ms: 0, rowsPerSec: 0, batchRows: [], batchMs: [] };
  try {
    let pending = new Map<string, PendingItem>();
    let windowStart = -Infinity;
    let windowTimed = false;
    const cut = async () => {
      if (pending.size === 0) return;
      const items = [...pending.values()];
      pending = new Map();
      const f = await flush(client, items, req.finishedPercent);
      if (windowTimed) {
        result.timedBatches++;
        result.items += items.length;
        result.rows += f.rows;
        result.ms += f.ms;
        result.batchRows.push(f.rows);
        result.batchMs.push(Math.round(f.ms * 10) / 10);
      } else {
        result.prefixBatches++;
      }
    };
    const lines = createInterface({ input: createReadStream(req.file), crlfDelay: Infinity });
    for await (const raw of lines) {
      if (!raw) continue;
      const line = JSON.parse(raw) as Line;
      const timed = line.t === 1;
      // A batch never mixes the untimed prefix with the measured step.
      if (line.r >= windowStart + req.intervalMs || timed !== windowTimed) {
        await cut();
        windowStart = line.r;
        windowTimed = timed;
      }
      foldHeartbeat(pending, line.u, toHeartbeat(line.b), line.r);
      result.heartbeats++;
      if (pending.size >= req.batchSize) {
        await cut();
        windowStart = line.r;
      }
    }
    await cut();
  } finally {
    await client.end();
  }
  result.rowsPerSec = result.ms > 0 ? result.rows / (result.ms / 1000) : 0;
  return result;
}

serveIpc(async (type, payload) => {
  if (type === 'run') return run(payload as RawRequest);
  if (type === 'exit') {
    setImmediate(() => process.exit(0));
    return null;
  }
  throw new Error(`unknown request ${type}`);
});
