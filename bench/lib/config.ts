/** What one bench run does: the full run (`npm run bench`) and the CI smoke (`npm run bench:smoke`). */

export interface Step {
  name: string;
  /** Heartbeats per second offered; 0: closed loop (saturation). */
  rate: number;
  durationMs: number;
  /** The step whose statements and rows per minute are compared (1,000 heartbeats/s). */
  key?: boolean;
  /**
   * Warm-up: not reported. Every mode runs one at saturation before the measured saturation step,
   * so each compares at steady state: verified tokens cached (a player keeps its token for an
   * hour and beats every 10 s), code optimised. The single-IP and two-worker runs have no paced
   * steps before their saturation; without it they measured mostly first requests per viewer.
   */
  warmup?: boolean;
}

export interface BenchConfig {
  name: 'full' | 'smoke';
  /** Simulated viewers with a token; the saturation steps draw on all of them. */
  viewers: number;
  /** Each viewer beats every 10 s in the paced steps: `rate × 10` viewers take part. */
  heartbeatEverySec: number;
  steps: Step[];
  /** The per-user throttle is 30/min: no viewer sends twice within this (24/min at most). */
  minGapMs: number;
  pacedConnections: number;
  saturationConnections: number;
  bareDurationMs: number;
  /** The references (bare Fastify, Nest) at the key step's offered load, for CPU per request. */
  refPacedMs: number;
  read: { users: number; perUser: number; movies: number; sample: number; durationMs: number; connections: number };
  /** The import section: documents per size, and how many users they belong to. */
  import: { sizes: number[]; users: number };
  /** Targets are checked (exit status) only in the full run; accuracy always. */
  enforceTargets: boolean;
  seed: number;
}

export const FULL: BenchConfig = {
  name: 'full',
  viewers: 50_000,
  heartbeatEverySec: 10,
  steps: [
    { name: 'warm-up', rate: 200, durationMs: 5_000, warmup: true },
    { name: '250/s', rate: 250, durationMs: 10_000 },
    { name: '500/s', rate: 500, durationMs: 10_000 },
    { name: '1000/s', rate: 1000, durationMs: 30_000, key: true },
    { name: '2000/s', rate: 2000, durationMs: 10_000 },
    { name: '4000/s', rate: 4000, durationMs: 10_000 },
    { name: 'saturation warm-up', rate: 0, durationMs: 20_000, warmup: true },
    { name: 'saturation', rate: 0, durationMs: 15_000 },
  ],
  minGapMs: 2_500,
  pacedConnections: 256,
  saturationConnections: 64,
  bareDurationMs: 15_000,
  refPacedMs: 10_000,
  read: { users: 100_000, perUser: 10, movies: 5, sample: 20_000, durationMs: 10_000, connections: 32 },
  import: { sizes: [100_000, 1_000_000], users: 100_000 },
  enforceTargets: true,
  seed: 20251124,
};

export const SMOKE: BenchConfig = {
  name: 'smoke',
  viewers: 2_000,
  heartbeatEverySec: 10,
  steps: [
    { name: '10/s', rate: 10, durationMs: 2_000 },
    { name: '20/s', rate: 20, durationMs: 3_000, key: true },
    { name: 'saturation warm-up', rate: 0, durationMs: 1_000, warmup: true },
    { name: 'saturation', rate: 0, durationMs: 2_000 },
  ],
  minGapMs: 2_500,
  pacedConnections: 16,
  saturationConnections: 16,
  bareDurationMs: 2_000,
  refPacedMs: 2_000,
  read: { users: 1_000, perUser: 10, movies: 5, sample: 200, durationMs: 1_000, connections: 8 },
  import: { sizes: [2_000], users: 500 },
  enforceTargets: false,
  seed: 20251124,
};

/** The targets of the benchmark issues ("Cost per heartbeat" for the CPU, IP, read and worker ones). */
export const TARGETS = {
  statementsRatioMax: 0.001,
  saturationRatioMin: 3,
  bareRatioMin: 0.3,
  flushRatioMin: 0.8,
  cpuRatioMin: 0.3,
  singleIpRatioMin: 0.9,
  continueWatchingRatioMin: 2,
  twoWorkersRatioMin: 1.5,
  importRatioMin: 0.3,
};
