import { IMPORT_NOTES, importTable } from './import-measure.js';
import type { BenchResults, ModeResult, StepResult, StorageResult } from './results.js';

const int = (n: number | null | undefined) => (n === null || n === undefined || Number.isNaN(n) ? 'n/a' : Math.round(n).toLocaleString('en-US'));
const ms = (n: number | null | undefined) => (n === null || n === undefined || Number.isNaN(n) ? 'n/a' : n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
const ratio = (n: number | null | undefined) =>
  n === null || n === undefined || !Number.isFinite(n) ? 'n/a' : n === 0 ? '0' : n < 0.01 ? n.toPrecision(2) : n.toFixed(2);

function lat(s: StepResult | undefined): string {
  return s ? `${ms(s.latency.p50)} / ${ms(s.latency.p99)} / ${ms(s.latency.max)}` : 'n/a';
}

function keyStep(m: ModeResult | undefined): StepResult | undefined {
  return m?.steps.find((s) => s.key);
}

function satStep(m: ModeResult | undefined): StepResult | undefined {
  return m?.steps.find((s) => s.rate === 0);
}

function rejected(s: StepResult): string {
  const other = Object.entries(s.statuses)
    .filter(([code]) => code !== '202')
    .map(([code, n]) => `${code === '0' ? 'no answer' : code === '-1' ? 'not sent' : code}: ${n.toLocaleString('en-US')}`);
  return other.length ? other.join(', ') : '–';
}

/** The headline table and the others, as Markdown (also printed to the console). */
export function renderMarkdown(r: BenchResults): string {
  const b = r.modes.batched;
  const w = r.modes['write-through'];
  const bk = keyStep(b);
  const wk = keyStep(w);
  const bs = satStep(b);
  const ws = satStep(w);
  const div = (x: number | null | undefined, y: number | null | undefined) => (x != null && y != null && y !== 0 ? x / y : null);
  const out: string[] = [];
  out.push(`Run: ${r.config}, ${r.startedAt}, ${Math.round(r.durationSec)} s. Machine: ${r.machine.cpus} cores (${r.machine.cpuModel}), ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, PostgreSQL ${r.machine.postgres} (${r.machine.postgresSource}), ${r.machine.os}.`);
  out.push('');
  const keyRate = bk?.rate ?? wk?.rate ?? 0;
  out.push(`| At ${int(keyRate)} heartbeats/s offered (${int(bk?.active ?? wk?.active)} viewers) | batched (defaults) | write-through | batched ÷ write-through |`);
  out.push('|---|---:|---:|---:|');
  out.push(`| accepted heartbeats/s | ${int(bk?.acceptedPerSec)} | ${int(wk?.acceptedPerSec)} | |`);
  out.push(`| latency p50 / p99 / max (ms) | ${lat(bk)} | ${lat(wk)} | |`);
  out.push(`| SQL statements/min (service counter) | ${int(bk?.perMinute.statementsService)} | ${int(wk?.perMinute.statementsService)} | **${ratio(r.ratios.statements)}** |`);
  out.push(`| SQL statements/min (pg_stat_statements) | ${int(bk?.perMinute.statementsPg)} | ${int(wk?.perMinute.statementsPg)} | ${ratio(r.ratios.statementsPg)} |`);
  const perHb = (s: StepResult | undefined) => (s && s.deltas.service.heartbeatsAccepted ? (s.deltas.service.statements / s.deltas.service.heartbeatsAccepted).toPrecision(2) : 'n/a');
  out.push(`| SQL statements per accepted heartbeat | ${perHb(bk)} | ${perHb(wk)} | ${ratio(r.ratios.statementsPerHeartbeat)} |`);
  out.push(`| transactions/min (pg_stat_database) | ${int(bk?.perMinute.xactsPg)} | ${int(wk?.perMinute.xactsPg)} | ${ratio(div(bk?.perMinute.xactsPg, wk?.perMinute.xactsPg))} |`);
  out.push(`| rows written/min (service counter) | ${int(bk?.perMinute.rowsService)} | ${int(wk?.perMinute.rowsService)} | ${ratio(div(bk?.perMinute.rowsService, wk?.perMinute.rowsService))} |`);
  out.push(`| rows written/min (pg_stat_database, inserted + updated) | ${int(bk?.perMinute.rowsPg)} | ${int(wk?.perMinute.rowsPg)} | ${ratio(div(bk?.perMinute.rowsPg, wk?.perMinute.rowsPg))} |`);
  out.push(`| **saturation**: accepted heartbeats/s (${bs?.connections ?? ws?.connections ?? '?'} connections) | ${int(bs?.acceptedPerSec)} | ${int(ws?.acceptedPerSec)} | **${ratio(r.ratios.saturation)}** |`);
  out.push(`| saturation: latency p50 / p99 / max (ms) | ${lat(bs)} | ${lat(ws)} | |`);
  out.push(`| service peak RSS (MB) | ${int(b?.peakRssMB)} | ${int(w?.peakRssMB)} | |`);
  const cpu = (s: StepResult | undefined) => (s ? `${s.cpu.service} / ${s.cpu.postgres} / ${s.cpu.loadgen}` : 'n/a');
  out.push(`| CPU at saturation, % of one core: service / PostgreSQL / load generator | ${cpu(bs)} | ${cpu(ws)} | |`);
  out.push('');
  out.push('| Reference ceilings (same run) | |');
  out.push('|---|---:|');
  if (r.bare) {
    out.push(`| bare Fastify route, same JSON → 202 (${r.bare.connections} connections): heartbeats/s, p50 / p99 ms | ${int(r.bare.acceptedPerSec)}, ${ms(r.bare.latency.p50)} / ${ms(r.bare.latency.p99)} |`);
    const ac = r.bare.autocannon;
    if (ac) out.push(`| the same bare Fastify under autocannon (one fixed body, as the prototypes measured it): requests/s, p50 / p99 ms | ${int(ac.requestsPerSec)}, ${ms(ac.p50)} / ${ms(ac.p99)} |`);
  }
  if (r.nest) out.push(`| Nest on Fastify, the same route, no guards (${r.nest.connections} connections): heartbeats/s, p50 / p99 ms | ${int(r.nest.acceptedPerSec)}, ${ms(r.nest.latency.p50)} / ${ms(r.nest.latency.p99)} |`);
  const ft = bk?.flushTimings;
  if (ft) out.push(`| service flushes during the ${int(keyRate)}/s step: rows/s while flushing (${ft.flushes} flushes, ${int(ft.rows)} rows, ${int(ft.ms)} ms) | ${int(ft.rowsPerSec)} |`);
  if (r.raw) out.push(`| raw: the same flush SQL on the same rows from a script (${r.raw.timedBatches} batches, ${int(r.raw.rows)} rows, ${int(r.raw.ms)} ms): rows/s | ${int(r.raw.rowsPerSec)} |`);
  const si = satStep(r.singleIp ?? undefined);
  if (si) out.push(`| batched at saturation with every request from one IP (no X-Forwarded-For, PLAYTIME_IP_RATE_LIMIT raised): heartbeats/s, p50 / p99 ms | ${int(si.acceptedPerSec)}, ${ms(si.latency.p50)} / ${ms(si.latency.p99)} |`);
  out.push('');
  out.push(...cpuTable(r));
  if (r.config === 'smoke') out.push('Smoke run (CI): far too small for the targets below, which are shown but not enforced; accuracy is.\n');
  out.push('| Target | measured | target | |');
  out.push('|---|---:|---:|---|');
  for (const t of r.targets) {
    const v = t.name.startsWith('accuracy') ? int(t.value) : ratio(t.value);
    const verdict = t.pass ? 'PASS' : r.config === 'smoke' && !t.name.startsWith('accuracy') ? 'fail (not enforced)' : '**FAIL**';
    out.push(`| ${t.name} | ${v} | ${t.op === '==' ? '=' : t.op === '<=' ? '≤' : '≥'} ${t.threshold} | ${verdict}${t.note ? ` (${t.note})` : ''} |`);
  }
  out.push('');
  out.push('Every step, offered load → accepted/s, latency p50 / p99 / max (ms), answers other than 202:');
  out.push('');
  out.push('| step | batched: accepted/s | p50 / p99 / max | other answers | flushes: rows/s while flushing, slowest (ms) | write-through: accepted/s | p50 / p99 / max | other answers |');
  out.push('|---|---:|---:|---|---:|---:|---:|---|');
  const names = [...new Set([...(b?.steps ?? []), ...(w?.steps ?? [])].map((s) => s.name))];
  for (const n of names) {
    const x = b?.steps.find((s) => s.name === n);
    const y = w?.steps.find((s) => s.name === n);
    const f = x?.flushTimings;
    const fl = f ? `${int(f.rowsPerSec)}, ${int(f.slowestMs)}` : '–';
    out.push(`| ${n} | ${int(x?.acceptedPerSec)} | ${lat(x)} | ${x ? rejected(x) : ''} | ${fl} | ${int(y?.acceptedPerSec)} | ${lat(y)} | ${y ? rejected(y) : ''} |`);
  }
  if (r.reads) {
    out.push('');
    out.push(`Reads on ${int(r.reads.seed.history)} history rows and ${int(r.reads.seed.buckets)} hourly buckets of ${int(r.reads.seed.users)} users (closed loop, autocannon):`);
    out.push('');
    out.push('| route | requests/s | p50 (ms) | p99 (ms) | max (ms) | non-2xx | CPU µs per request: service / PostgreSQL | items per answer |');
    out.push('|---|---:|---:|---:|---:|---:|---:|---:|');
    const items = (q: { itemsPerAnswer?: number }) => (q.itemsPerAnswer === undefined ? '' : q.itemsPerAnswer.toFixed(1));
    for (const q of r.reads.routes) {
      const c = r.reads.cpuUs?.[q.route];
      out.push(`| GET ${q.path} | ${int(q.requestsPerSec)} | ${ms(q.p50)} | ${ms(q.p99)} | ${ms(q.max)} | ${int(q.non2xx + q.errors)} | ${c ? `${int(c.service)} / ${int(c.postgres)}` : 'n/a'} | ${items(q)} |`);
    }
    const two = r.reads.twoWorkers;
    if (two) out.push(`| GET ${two.path}, WEB_CONCURRENCY=2 | ${int(two.requestsPerSec)} | ${ms(two.p50)} | ${ms(two.p99)} | ${ms(two.max)} | ${int(two.non2xx + two.errors)} | | ${items(two)} |`);
    const base = r.reads.baseline;
    if (base) out.push(`| baseline: GET ${base.path}, ${base.from} | ${int(base.requestsPerSec)} | ${ms(base.p50)} | ${ms(base.p99)} | ${ms(base.max)} | ${int(base.non2xx + base.errors)} | | ${items(base)} |`);
  }
  if (r.storage) out.push('', ...storageTable(r.storage));
  if (r.import?.length) out.push('', 'History import (SPEC §9), on fresh databases:', '', ...importTable(r.import), '', ...IMPORT_NOTES.map((n) => `- ${n}`));
  out.push('');
  out.push('Accuracy (after the final flush, every stored item against the simulation):');
  out.push('');
  out.push('| mode | items | sessions | completions | finished | clamped sessions | retried requests | two-device sessions | differences |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  const checked = [b, w, r.singleIp ?? undefined, r.twoWorkers ?? undefined];
  for (const m of checked) {
    if (!m?.verify) continue;
    const v = m.verify;
    const st = v.stats as { retries?: number; secondDevice?: number };
    out.push(`| ${m.mode} | ${int(v.expectedItems)} | ${int(v.truth.sessions)} | ${int(v.truth.completions)} | ${int(v.truth.finished)} | ${int(v.truth.clamped)} | ${int(st.retries)} | ${int(st.secondDevice)} | ${v.differences === 0 ? '0' : `**${int(v.differences)}**`} |`);
  }
  for (const m of checked) {
    if (m?.verify?.examples.length) {
      out.push('');
      out.push(`Differences (${m.mode}), first ${m.verify.examples.length}:`);
      out.push('');
      for (const e of m.verify.examples) out.push(`- ${e}`);
    }
  }
  if (r.notes.length) {
    out.push('');
    for (const n of r.notes) out.push(`- ${n}`);
  }
  if (r.errors.length) {
    out.push('');
    out.push('Errors:');
    for (const e of r.errors) out.push(`- ${e}`);
  }
  return out.join('\n') + '\n';
}

/** Bytes on disk per hour watched, per table, after the batched run. */
function storageTable(st: StorageResult): string[] {
  const kb = (b: number) => `${(b / 1024).toLocaleString('en', { maximumFractionDigits: 1 })} kB`;
  const total = st.tables.reduce((a, t) => a + t.bytes, 0);
  return [
    `Disk used after the batched run's final flush (heap, indexes and TOAST), per hour watched: ${st.viewerHours.toLocaleString('en-US', { maximumFractionDigits: 1 })} hours watched by ${int(st.viewers)} viewers in ${int(st.sessions)} sessions:`,
    '',
    '| table | rows | on disk | per viewer-hour |',
    '|---|---:|---:|---:|',
    ...st.tables.filter((t) => t.rows > 0 || t.bytes > 16_384).map((t) => `| \`${t.table}\` | ${int(t.rows)} | ${kb(t.bytes)} | ${kb(t.bytesPerViewerHour)} |`),
    `| all tables | | ${kb(total)} | ${kb(st.viewerHours > 0 ? total / st.viewerHours : 0)} |`,
  ];
}

/**
 * CPU time per accepted request (/proc utime + stime of the server's processes over the step):
 * at the key step's offered load (below saturation, the headline) and at saturation; then the
 * scaling from one worker to two, with who used the cores.
 */
function cpuTable(r: BenchResults): string[] {
  const out: string[] = [];
  const b = r.modes.batched;
  const w = r.modes['write-through'];
  const bk = keyStep(b);
  const rate = bk?.rate ?? keyStep(w)?.rate ?? 0;
  const us = (n: number | null | undefined) => (n == null ? 'n/a' : `${int(n)} µs`);
  const row = (what: string, paced: { us: number | null | undefined; pct: number | undefined; per: number | undefined }, sat: { us: number | null | undefined; pct: number | undefined; per: number | undefined }) =>
    `| ${what} | ${us(paced.us)} | ${paced.pct ?? 'n/a'} % at ${int(paced.per)}/s | ${us(sat.us)} | ${sat.pct ?? 'n/a'} % at ${int(sat.per)}/s |`;
  out.push(`| CPU per accepted request (server processes, /proc) | at ${int(rate)}/s offered | server CPU, % of a core | at saturation | server CPU, % of a core |`);
  out.push('|---|---:|---:|---:|---:|');
  for (const [name, ref] of [['bare Fastify (no Nest)', r.bare], ['Nest on Fastify, same route, no guards', r.nest]] as const) {
    if (!ref) continue;
    out.push(
      row(
        name,
        { us: ref.paced?.cpuUsPerAccepted, pct: ref.paced?.cpu.server, per: ref.paced?.acceptedPerSec },
        { us: ref.cpuUsPerAccepted, pct: ref.cpu.server, per: ref.acceptedPerSec },
      ),
    );
  }
  for (const m of [b, w, r.singleIp ?? undefined, r.twoWorkers ?? undefined]) {
    if (!m) continue;
    const k = keyStep(m);
    const sat = satStep(m);
    out.push(
      row(
        m.mode === 'batched' ? 'the service, batched' : m.mode === 'two-workers' ? 'the service, batched, WEB_CONCURRENCY=2 (both workers)' : `the service, ${m.mode}`,
        { us: k?.cpuUs?.servicePerAccepted, pct: k?.cpu.service, per: k?.acceptedPerSec },
        { us: sat?.cpuUs?.servicePerAccepted, pct: sat?.cpu.service, per: sat?.acceptedPerSec },
      ),
    );
  }
  const nestUs = r.nest?.paced?.cpuUsPerAccepted;
  const bareUs = r.bare?.paced?.cpuUsPerAccepted;
  const svcUs = bk?.cpuUs?.servicePerAccepted;
  if (bareUs != null && svcUs != null) {
    out.push('');
    out.push(
      `At ${int(rate)}/s: **bare ÷ service CPU per heartbeat = ${ratio(r.ratios.cpu)}**` +
        (nestUs != null ? `; Nest itself adds ${int(nestUs - bareUs)} µs to the bare route, the service ${int(svcUs - nestUs)} µs more (auth, validation, throttling, logging, metrics, buffering, flushes)` : '') +
        '.',
    );
  }
  const pgRow = bk?.cpuUs?.postgresPerRow;
  if (pgRow != null && bk) {
    const rowsPerHb = bk.deltas.service.heartbeatsAccepted ? bk.deltas.service.rowsWritten / bk.deltas.service.heartbeatsAccepted : null;
    out.push('');
    out.push(
      `PostgreSQL during the batched ${int(rate)}/s step: ${int(pgRow)} µs of CPU per row the flushes wrote (${int(bk.deltas.service.rowsWritten)} rows, ` +
        `${rowsPerHb == null ? 'n/a' : rowsPerHb.toFixed(2)} rows per accepted heartbeat; sessions, history items and hourly buckets), ${bk.cpu.postgres} % of a core.`,
    );
  }
  const one = satStep(b);
  const two = satStep(r.twoWorkers ?? undefined);
  if (one && two) {
    out.push('');
    out.push('| saturation, batched | accepted/s | p50 / p99 (ms) | CPU, % of a core: service / PostgreSQL / load generator / other | machine busy, % of all cores |');
    out.push('|---|---:|---:|---:|---:|');
    for (const [name, st] of [['one worker (WEB_CONCURRENCY=1)', one], ['two workers (WEB_CONCURRENCY=2)', two]] as const) {
      out.push(`| ${name} | ${int(st.acceptedPerSec)} | ${ms(st.latency.p50)} / ${ms(st.latency.p99)} | ${st.cpu.service} / ${st.cpu.postgres} / ${st.cpu.loadgen} / ${st.cpu.other} | ${Math.round(st.cpu.machine / r.machine.cpus)} |`);
    }
    out.push('');
    out.push(
      `Two workers ÷ one: **${ratio(r.ratios.twoWorkers)}**. On ${r.machine.cpus} cores the load generator and PostgreSQL share the cores with the workers: ` +
        `when the machine is busy (last column near 100 %), the split above says who took the CPU, and the ratio measures the machine, not the service.`,
    );
    const ceiling = twoWorkerCeiling(one.cpu.machine / r.machine.cpus);
    if (ceiling !== null) {
      out.push('');
      out.push(
        `What the cores leave room for: with one worker every process together (service, PostgreSQL, load generator, the rest) kept ` +
          `${Math.round(one.cpu.machine / r.machine.cpus)} % of all cores busy, so at one worker's CPU per heartbeat (all processes) the cores run out at ` +
          `**${ceiling.toFixed(2)}×** one worker's rate, whatever the number of workers; more than that only comes from a cheaper heartbeat.`,
      );
    }
  }
  out.push('');
  return out;
}

/**
 * The most any number of workers can reach over one worker when the CPU each accepted heartbeat
 * costs (all processes together) stays what it was with one worker: 100 ÷ the machine's busy
 * share. Null when the share is unknown.
 */
export function twoWorkerCeiling(busyPercentOfAllCores: number): number | null {
  return busyPercentOfAllCores > 0 ? 100 / busyPercentOfAllCores : null;
}

// ---------------------------------------------------------------------------------------------

/** p99 latency against offered load, both modes, log–log, plain SVG. */
export function renderChart(r: BenchResults): string {
  const W = 760;
  const H = 440;
  const m = { l: 70, r: 170, t: 46, b: 60 };
  const series = (['batched', 'write-through'] as const)
    .map((mode) => ({ mode, steps: (r.modes[mode]?.steps ?? []).filter((s) => s.latency.count > 0) }))
    .filter((s) => s.steps.length);
  const all = series.flatMap((s) => s.steps);
  const xOf = (s: StepResult) => (s.rate > 0 ? s.rate : s.acceptedPerSec);
  const xs = all.map(xOf).filter((v) => v > 0);
  const ys = all.map((s) => s.latency.p99).filter((v) => v > 0);
  if (!xs.length || !ys.length) return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><text x="20" y="40">no data</text></svg>\n`;
  const x0 = Math.log10(Math.min(...xs) / 1.3);
  const x1 = Math.log10(Math.max(...xs) * 1.3);
  const y0 = Math.floor(Math.log10(Math.min(...ys)));
  const y1 = Math.ceil(Math.log10(Math.max(...ys)));
  const px = (v: number) => m.l + ((Math.log10(v) - x0) / (x1 - x0)) * (W - m.l - m.r);
  const py = (v: number) => H - m.b - ((Math.log10(v) - y0) / Math.max(1, y1 - y0)) * (H - m.t - m.b);
  const colors: Record<string, string> = { batched: '#1f77b4', 'write-through': '#d62728' };
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  o.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  o.push(`<text x="${m.l}" y="20" font-size="15" font-weight="bold">p99 latency against offered load (POST /v1/playtime)</text>`);
  o.push(`<text x="${m.l}" y="34" font-size="11" fill="#555">open loop; past a mode's capacity the queue, and so p99, grows for as long as the step lasts</text>`);
  for (let e = y0; e <= y1; e++) {
    const v = 10 ** e;
    const y = py(v);
    o.push(`<line x1="${m.l}" y1="${y}" x2="${W - m.r}" y2="${y}" stroke="#ddd"/>`);
    o.push(`<text x="${m.l - 8}" y="${y + 4}" text-anchor="end">${v >= 1000 ? `${v / 1000} s` : `${v} ms`}</text>`);
  }
  const ticks = [...new Set(all.filter((s) => s.rate > 0).map((s) => s.rate))].sort((a, b) => a - b);
  for (const t of ticks) {
    const x = px(t);
    o.push(`<line x1="${x}" y1="${m.t}" x2="${x}" y2="${H - m.b}" stroke="#eee"/>`);
    o.push(`<text x="${x}" y="${H - m.b + 16}" text-anchor="middle">${t.toLocaleString('en-US')}</text>`);
  }
  o.push(`<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="#333"/>`);
  o.push(`<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="#333"/>`);
  o.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 18}" text-anchor="middle">offered heartbeats/s (log); ◆ = saturation (closed loop), placed at the rate it reached</text>`);
  o.push(`<text transform="translate(18 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">p99 latency (log)</text>`);
  series.forEach((s, i) => {
    const c = colors[s.mode];
    const paced = s.steps.filter((st) => st.rate > 0).sort((a, b) => a.rate - b.rate);
    if (paced.length > 1) o.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${paced.map((st) => `${px(st.rate).toFixed(1)},${py(st.latency.p99).toFixed(1)}`).join(' ')}"/>`);
    for (const st of paced) o.push(`<circle cx="${px(st.rate).toFixed(1)}" cy="${py(st.latency.p99).toFixed(1)}" r="4" fill="${c}"><title>${s.mode} ${st.name}: p99 ${ms(st.latency.p99)} ms, ${int(st.acceptedPerSec)} accepted/s</title></circle>`);
    for (const st of s.steps.filter((x) => x.rate === 0)) {
      const x = px(xOf(st));
      const y = py(st.latency.p99);
      o.push(`<path d="M ${x} ${y - 7} L ${x + 7} ${y} L ${x} ${y + 7} L ${x - 7} ${y} Z" fill="${c}"><title>${s.mode} saturation: ${int(st.acceptedPerSec)}/s, p99 ${ms(st.latency.p99)} ms</title></path>`);
      o.push(`<text x="${x + 11}" y="${y + 4}" fill="${c}">${int(st.acceptedPerSec)}/s</text>`);
    }
    const ly = m.t + 10 + i * 22;
    o.push(`<line x1="${W - m.r + 16}" y1="${ly}" x2="${W - m.r + 40}" y2="${ly}" stroke="${c}" stroke-width="2"/>`);
    o.push(`<circle cx="${W - m.r + 28}" cy="${ly}" r="4" fill="${c}"/>`);
    o.push(`<text x="${W - m.r + 46}" y="${ly + 4}">${s.mode === 'batched' ? 'batched (defaults)' : 'write-through'}</text>`);
  });
  o.push(`<text x="${W - m.r + 16}" y="${m.t + 64}" fill="#555">${r.machine.cpus} cores, Node ${r.machine.node}</text>`);
  o.push(`<text x="${W - m.r + 16}" y="${m.t + 80}" fill="#555">PostgreSQL ${r.machine.postgres}</text>`);
  o.push(`<text x="${W - m.r + 16}" y="${m.t + 96}" fill="#555">${r.startedAt.slice(0, 10)}</text>`);
  o.push('</svg>');
  return o.join('\n') + '\n';
}
