/**
 * Summaries of a V8 `.cpuprofile` (written by `node --cpu-prof`) and of `--trace-gc` output:
 * self time per function and per package, the share of garbage collection and idle time, and the
 * bytes the collector freed (≈ bytes allocated, in a steady state).
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Time not idle: what the process spent working. */
  busyMs: number;
  idleShare: number;
  /** Of the busy time. */
  gcShare: number;
  functions: SelfTime[];
  packages: SelfTime[];
}

const SPECIAL = new Set(['(idle)', '(garbage collector)', '(program)', '(root)']);

/** Where a frame comes from: a package under node_modules, node's own code, or this project. */
export function packageOf(url: string): string {
  if (!url) return '(native)';
  if (url.startsWith('node:')) return 'node (core)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 14).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? `playtime ${url.slice(dist + 6).split('/').slice(0, 2).join('/')}` : url;
}

function shortUrl(url: string): string {
  if (!url) return '';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + 14);
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + 6) : url.replace(/^file:\/\//, '');
}

/**
 * `window`: only the samples taken between these offsets from the start of the profile (ms), e.g.
 * the measured load without start-up and shutdown.
 */
export function summarizeProfile(p: CpuProfile, top = 25, window?: { fromMs: number; toMs: number }): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  // timeDeltas[i] is the time between sample i-1 and sample i: attribute it to sample i.
  let t = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const d = (p.timeDeltas[i] ?? 0) / 1000;
    t += d;
    if (window && (t < window.fromMs || t > window.toMs)) continue;
    self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + d);
  }
  let totalMs = 0;
  let idleMs = 0;
  let gcMs = 0;
  const fns = new Map<string, SelfTime>();
  const pkgs = new Map<string, SelfTime>();
  for (const [id, ms] of self) {
    const n = byId.get(id)!;
    const f = n.callFrame;
    totalMs += ms;
    if (f.functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    if (f.functionName === '(garbage collector)') gcMs += ms;
    const name = f.functionName || '(anonymous)';
    const where = SPECIAL.has(f.functionName) ? '' : `${shortUrl(f.url)}:${f.lineNumber + 1}`;
    const key = `${name} ${where}`;
    const e = fns.get(key) ?? { name, where, ms: 0, share: 0 };
    e.ms += ms;
    fns.set(key, e);
    const pkg = SPECIAL.has(f.functionName) ? f.functionName : packageOf(f.url);
    const pe = pkgs.get(pkg) ?? { name: pkg, where: '', ms: 0, share: 0 };
    pe.ms += ms;
    pkgs.set(pkg, pe);
  }
  const busyMs = totalMs - idleMs;
  const rank = (m: Map<string, SelfTime>) =>
    [...m.values()]
      .map((e) => ({ ...e, share: busyMs > 0 ? e.ms / busyMs : 0 }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top);
  return {
    totalMs,
    busyMs,
    idleShare: totalMs > 0 ? idleMs / totalMs : 0,
    gcShare: busyMs > 0 ? gcMs / busyMs : 0,
    functions: rank(fns),
    packages: rank(pkgs),
  };
}

export interface GcSummary {
  scavenges: number;
  markCompacts: number;
  /** Sum of (heap before − heap after) over every collection, MB. */
  freedMB: number;
  /** Pause time reported by the collector, ms. */
  pauseMs: number;
}

/**
 * Sums `--trace-gc` lines ("[pid:0x…]  1234 ms: Scavenge 12.3 (15.0) -> 11.1 (16.0) MB, 0.5 / 0.0 ms …"),
 * those between `window` offsets (ms since the isolate started) only when given.
 */
export function summarizeTraceGc(log: string, window?: { fromMs: number; toMs: number }): GcSummary {
  const out: GcSummary = { scavenges: 0, markCompacts: 0, freedMB: 0, pauseMs: 0 };
  const re = /\s(\d+) ms: (Scavenge|Mark-Compact|Mark-sweep|Minor Mark-Compact)[^\d]*?([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB, (?:pooled: [\d.]+ MB, )?([\d.]+)/g;
  for (const match of log.matchAll(re)) {
    const at = Number(match[1]);
    if (window && (at < window.fromMs || at > window.toMs)) continue;
    const m = match.slice(1);
    if (m[1] === 'Scavenge' || m[1] === 'Minor Mark-Compact') out.scavenges++;
    else out.markCompacts++;
    out.freedMB += Math.max(0, Number(m[2]) - Number(m[3]));
    out.pauseMs += Number(m[4]);
  }
  return out;
}

export function renderProfileSummary(s: ProfileSummary): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const lines = [
    `Sampled ${(s.totalMs / 1000).toFixed(1)} s, busy ${(s.busyMs / 1000).toFixed(1)} s (idle ${pct(s.idleShare)}); garbage collection ${pct(s.gcShare)} of busy time.`,
    '',
    '| self time, by function | where | ms | % of busy |',
    '|---|---|---:|---:|',
    ...s.functions.map((f) => `| ${f.name} | ${f.where} | ${f.ms.toFixed(0)} | ${pct(f.share)} |`),
    '',
    '| self time, by package | ms | % of busy |',
    '|---|---:|---:|',
    ...s.packages.map((f) => `| ${f.name} | ${f.ms.toFixed(0)} | ${pct(f.share)} |`),
  ];
  return lines.join('\n');
}

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}
/** What `HeapProfiler.stopSampling` returns (see bench/lib/alloc-sampler.ts). */
export interface HeapProfile {
  head: HeapNode;
}

export interface AllocSummary {
  /** Bytes the samples stand for (V8 scales each sample to the allocations it represents). */
  totalBytes: number;
  functions: { name: string; where: string; bytes: number }[];
  packages: { name: string; bytes: number }[];
  /** Each allocation charged to the innermost frame of this project's own code on its stack. */
  ownCallers: { name: string; where: string; bytes: number }[];
}

/** Allocated bytes by function, by package and by the project's own code that caused them. */
export function summarizeAllocations(p: HeapProfile, top = 25): AllocSummary {
  const fns = new Map<string, { name: string; where: string; bytes: number }>();
  const pkgs = new Map<string, { name: string; bytes: number }>();
  const own = new Map<string, { name: string; where: string; bytes: number }>();
  let totalBytes = 0;
  const add = <T extends { bytes: number }>(m: Map<string, T>, key: string, make: () => T, bytes: number) => {
    const e = m.get(key) ?? make();
    e.bytes += bytes;
    m.set(key, e);
  };
  const walk = (n: HeapNode, ownFrame: HeapNode | null) => {
    const f = n.callFrame;
    const isOwn = packageOf(f.url).startsWith('playtime ');
    const caller = isOwn ? n : ownFrame;
    if (n.selfSize > 0) {
      totalBytes += n.selfSize;
      const name = f.functionName || '(anonymous)';
      const where = f.url ? `${shortUrl(f.url)}:${f.lineNumber + 1}` : '';
      add(fns, `${name} ${where}`, () => ({ name, where, bytes: 0 }), n.selfSize);
      add(pkgs, packageOf(f.url), () => ({ name: packageOf(f.url), bytes: 0 }), n.selfSize);
      const cf = caller?.callFrame;
      const cname = cf ? cf.functionName || '(anonymous)' : '(no frame of this project on the stack)';
      const cwhere = cf ? `${shortUrl(cf.url)}:${cf.lineNumber + 1}` : '';
      add(own, `${cname} ${cwhere}`, () => ({ name: cname, where: cwhere, bytes: 0 }), n.selfSize);
    }
    for (const c of n.children) walk(c, caller);
  };
  walk(p.head, null);
  const rank = <T extends { bytes: number }>(m: Map<string, T>) => [...m.values()].sort((a, b) => b.bytes - a.bytes).slice(0, top);
  return { totalBytes, functions: rank(fns), packages: rank(pkgs), ownCallers: rank(own) };
}

export function renderAllocSummary(s: AllocSummary, requests: number): string {
  const kb = (b: number) => (requests > 0 ? (b / 1024 / requests).toFixed(2) : 'n/a');
  const pct = (b: number) => `${((100 * b) / s.totalBytes).toFixed(1)} %`;
  return [
    `Allocated ≈ ${(s.totalBytes / 1048576).toFixed(0)} MB over the whole run (start-up and warm-up included), ${kb(s.totalBytes)} KB per accepted request of the measured run.`,
    '',
    '| allocated, by function | where | KB per request | share |',
    '|---|---|---:|---:|',
    ...s.functions.map((f) => `| ${f.name} | ${f.where} | ${kb(f.bytes)} | ${pct(f.bytes)} |`),
    '',
    '| allocated, by package | KB per request | share |',
    '|---|---:|---:|',
    ...s.packages.map((f) => `| ${f.name} | ${kb(f.bytes)} | ${pct(f.bytes)} |`),
    '',
    '| allocated, by the innermost frame of this project on the stack | where | KB per request | share |',
    '|---|---|---:|---:|',
    ...s.ownCallers.map((f) => `| ${f.name} | ${f.where} | ${kb(f.bytes)} | ${pct(f.bytes)} |`),
  ].join('\n');
}
