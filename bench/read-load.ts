/**
 * The autocannon load generator, a process of its own: closed loop on the real read routes, each
 * request as a random one of the seeded users (per-user throttling applies to writes only); and
 * the bare Fastify reference once more, as the prototypes measured it.
 */
import autocannon from 'autocannon';
import { signToken } from '../src/auth/sign-token.js';
import { movieOf } from './lib/read-seed.js';
import { serveIpc } from './lib/util.js';
import type { ReadRouteResult } from './lib/results.js';
import { Rng } from '../test/utils/random.js';

export interface ReadInit {
  base: string;
  secret: string;
  users: number;
  sample: number;
  movies: number;
}

export interface ReadRun {
  route: 'continue-watching' | 'resume' | 'stats';
  durationMs: number;
  connections: number;
}

/** One route's figures: the shape the results file stores. */
export type ReadResult = ReadRouteResult;

let cfg: ReadInit | null = null;
const sample: { u: number; auth: string }[] = [];
const rng = new Rng(12345);

const PATHS: Record<ReadRun['route'], string> = {
  'continue-watching': '/v1/history/continue-watching',
  resume: '/v1/history/movie/:id',
  stats: '/v1/stats/me',
};

/**
 * Continue watching's items per answer for up to 50 sampled users, before the run: a route that
 * answers nothing is cheap, so a seed it no longer reads from would make the figures meaningless.
 */
async function itemsPerAnswer(): Promise<number> {
  const c = cfg!;
  const probe = sample.slice(0, 50);
  let items = 0;
  for (const who of probe) {
    const res = await fetch(`${c.base}${PATHS['continue-watching']}?limit=20`, { headers: { authorization: who.auth } });
    if (!res.ok) throw new Error(`continue watching answered ${res.status} during the probe`);
    items += ((await res.json()) as { items: unknown[] }).items.length;
  }
  return items / probe.length;
}

async function run(r: ReadRun): Promise<ReadResult> {
  const c = cfg!;
  const perAnswer = r.route === 'continue-watching' ? await itemsPerAnswer() : undefined;
  if (perAnswer === 0) throw new Error('continue watching answered no items for the sampled users: the seed does not give it anything to read');
  const res = await autocannon({
    url: c.base,
    connections: r.connections,
    duration: r.durationMs / 1000,
    timeout: 30,
    requests: [
      {
        method: 'GET',
        setupRequest: (req) => {
          const who = sample[Math.floor(rng.next() * sample.length)];
          const path =
            r.route === 'resume'
              ? `/v1/history/movie/${movieOf(who.u, Math.floor(rng.next() * c.movies))}`
              : PATHS[r.route];
          return { ...req, path, headers: { authorization: who.auth } };
        },
      },
    ],
  });
  const statuses: Record<string, number> = {};
  for (const [code, v] of Object.entries(res.statusCodeStats ?? {})) statuses[code] = v.count;
  return {
    route: r.route,
    path: PATHS[r.route],
    requestsPerSec: res.requests.average,
    p50: res.latency.p50,
    p99: res.latency.p99,
    max: res.latency.max,
    requests: res.requests.total ?? Object.values(statuses).reduce((a, b) => a + b, 0),
    non2xx: res.non2xx,
    errors: res.errors,
    statuses,
    itemsPerAnswer: perAnswer,
  };
}

export interface PostRun {
  base: string;
  body: string;
  durationMs: number;
  connections: number;
  /** Extra request headers (e.g. one viewer's Authorization, for a hot-key profile). */
  headers?: Record<string, string>;
}

/**
 * The bare Fastify ceiling measured with autocannon too (one fixed heartbeat body): the figure the
 * prototypes reported, where autocannon's own CPU is part of the limit.
 */
async function post(r: PostRun): Promise<ReadResult> {
  const res = await autocannon({
    url: `${r.base}/v1/playtime`,
    connections: r.connections,
    duration: r.durationMs / 1000,
    timeout: 30,
    requests: [{ method: 'POST', headers: { 'content-type': 'application/json', ...r.headers }, body: r.body }],
  });
  const statuses: Record<string, number> = {};
  for (const [code, v] of Object.entries(res.statusCodeStats ?? {})) statuses[code] = v.count;
  return {
    route: 'bare',
    path: '/v1/playtime',
    requestsPerSec: res.requests.average,
    p50: res.latency.p50,
    p99: res.latency.p99,
    max: res.latency.max,
    requests: res.requests.total ?? 0,
    non2xx: res.non2xx,
    errors: res.errors,
    statuses,
  };
}

serveIpc(async (type, payload) => {
  switch (type) {
    case 'post':
      return post(payload as PostRun);
    case 'init': {
      cfg = payload as ReadInit;
      sample.length = 0;
      const picked = new Set<number>();
      while (picked.size < Math.min(cfg.sample, cfg.users)) picked.add(Math.floor(rng.next() * cfg.users));
      for (const u of picked) sample.push({ u, auth: `Bearer ${await signToken(cfg.secret, `r${u}`)}` });
      return { sample: sample.length };
    }
    case 'run':
      return run(payload as ReadRun);
    case 'exit':
      setImmediate(() => process.exit(0));
      return null;
    default:
      throw new Error(`unknown request ${type}`);
  }
});
