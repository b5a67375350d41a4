import type { ImportSizeResult } from './import-measure.js';
import type { LatencySummary } from './util.js';
import type { VerifyResult } from '../loadgen.js';
import type { RawResult } from '../raw-upsert.js';

/** Everything one run measured: written as bench/results/latest.json, rendered as latest.md. */

export interface Deltas {
  /** Wall time between the two snapshots (the step and its drain), ms. */
  elapsedMs: number;
  service: { heartbeatsAccepted: number; flushes: number; statements: number; rowsWritten: number; flushFailures: number };
  pg: { statements: number | null; xacts: number; tupInserted: number; tupUpdated: number; tupDeleted: number };
}

export interface StepResult {
  name: string;
  /** Offered heartbeats/s (0: closed loop, saturation). */
  rate: number;
  key: boolean;
  durationMs: number;
  active: number;
  connections: number;
  sent: number;
  statuses: Record<string, number>;
  acceptedPerSec: number;
  latency: LatencySummary;
  skipped: number;
  maxQueue: number;
  deltas: Deltas;
  perMinute: { statementsService: number; statementsPg: number | null; xactsPg: number; rowsService: number; rowsPg: number };
  peakRssMB: number;
  /** CPU used during the step, % of one core (the machine: of all its cores together). */
  cpu: { service: number; loadgen: number; postgres: number; other: number; otherTop: string; machine: number; steal: number };
  /**
   * CPU time per unit of work over the step (/proc utime + stime; the service with every worker):
   * service µs per accepted heartbeat, PostgreSQL µs per row the service wrote (null: none).
   */
  cpuUs?: { servicePerAccepted: number | null; postgresPerRow: number | null };
  /** Batched: every flush seen by polling the admin counters (rows, duration). */
  flushTimings?: { flushes: number; rows: number; ms: number; rowsPerSec: number; slowestMs: number; missed: number; late: number };
}

/** What the load generator's final check reports. */
export type VerifySummary = VerifyResult;

export interface ModeResult {
  mode: 'batched' | 'write-through' | 'single-ip' | 'two-workers';
  env: Record<string, string>;
  bootMs: number;
  signMs: number;
  steps: StepResult[];
  unknown: { resent: number; left: number };
  shutdown: { code: number | null; ms: number; killed: boolean };
  verify: VerifySummary | null;
  peakRssMB: number;
}

export interface ReadRouteResult {
  route: string;
  path: string;
  requestsPerSec: number;
  p50: number;
  p99: number;
  max: number;
  requests: number;
  non2xx: number;
  errors: number;
  statuses: Record<string, number>;
  /** Continue watching: items per answer, over a probe of the sampled users before the run. */
  itemsPerAnswer?: number;
}

/** A reference server (bare Fastify, or Nest with the same route) under the same load generator. */
export interface ReferenceResult {
  acceptedPerSec: number;
  latency: LatencySummary;
  statuses: Record<string, number>;
  connections: number;
  durationMs: number;
  cpu: { server: number; loadgen: number };
  /** Server CPU µs per accepted request at saturation. */
  cpuUsPerAccepted?: number | null;
  /** At the key step's offered load (open loop, below saturation): the CPU-per-request comparison. */
  paced?: { rate: number; acceptedPerSec: number; latency: LatencySummary; cpu: { server: number; loadgen: number }; cpuUsPerAccepted: number | null } | null;
  /** The same server under autocannon (one fixed body), as the prototypes measured it. */
  autocannon?: { requestsPerSec: number; p50: number; p99: number; non2xx: number };
}

export interface TargetResult {
  name: string;
  value: number | null;
  op: '<=' | '>=' | '==';
  threshold: number;
  pass: boolean;
  note?: string;
}

export interface BenchResults {
  version: 1;
  config: string;
  startedAt: string;
  durationSec: number;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGiB: number;
    node: string;
    os: string;
    postgres: string;
    postgresSource: string;
    postgresSettings: Record<string, string>;
    pgStatStatements: boolean;
  };
  notes: string[];
  modes: Partial<Record<'batched' | 'write-through', ModeResult>>;
  /** Batched at saturation with every request from one address and the per-IP limit raised. */
  singleIp: ModeResult | null;
  bare: ReferenceResult | null;
  /** NestJS on Fastify, the same route, no guards: what Nest itself costs. */
  nest?: ReferenceResult | null;
  /** Batched at saturation with WEB_CONCURRENCY=2 (one port, two worker processes). */
  twoWorkers?: ModeResult | null;
  raw: RawResult | null;
  reads: {
    seed: { users: number; history: number; buckets: number; ms: number; quietMs: number };
    routes: ReadRouteResult[];
    /** Continue watching before this work (bench/results/baseline.json): the reference of the ≥ 2× target. */
    baseline?: (ReadRouteResult & { from: string }) | null;
    /** Continue watching through WEB_CONCURRENCY=2 on the same data. */
    twoWorkers?: ReadRouteResult | null;
    /** CPU per request of each route over its run, µs: the service (all workers) and PostgreSQL. */
    cpuUs?: Record<string, { service: number | null; postgres: number | null }>;
  } | null;
  ratios: {
    statements: number | null;
    /** SQL statements per accepted heartbeat, batched ÷ write-through. */
    statementsPerHeartbeat: number | null;
    statementsPg: number | null;
    saturation: number | null;
    bare: number | null;
    flush: number | null;
    /** CPU µs per request at the key step's offered load: bare Fastify ÷ batched service. */
    cpu?: number | null;
    /** Single-IP saturation ÷ many-IP (batched) saturation. */
    singleIp?: number | null;
    /** Two workers ÷ one worker (batched) at saturation. */
    twoWorkers?: number | null;
    /** Continue watching requests/s ÷ the baseline's. */
    continueWatching?: number | null;
  };
  /** The history import (SPEC §9) against its ceilings, one row per size. */
  import?: ImportSizeResult[] | null;
  /** Bytes on disk per viewer-hour, after the batched run's final flush. */
  storage?: StorageResult | null;
  targets: TargetResult[];
  accuracyPass: boolean;
  errors: string[];
}

/** What each table holds after the batched run, per hour of watching it recorded. */
export interface StorageResult {
  /** Hours watched as stored: sum(total_played_s) of watch_history ÷ 3600. */
  viewerHours: number;
  viewers: number;
  sessions: number;
  tables: { table: string; rows: number; bytes: number; bytesPerViewerHour: number }[];
}
