import { catalogJson, CONFIG, heartbeatJson, ITEMS, type Scenario, type Step } from './model.property.model.js';
import { expected, keyOf, type Expected } from './model.property.expected.js';

/** CONFIG as the environment of an instance. */
export function configEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(CONFIG).map(([k, v]) => [k, String(v)]));
}

/**
 * Runs of the property. No shrinking by default: each run is seconds of HTTP, and the failing
 * scenario is printed as found. `MODEL_SHRINK=1` shrinks it to a minimal one (minutes);
 * `MODEL_SEED`/`MODEL_PATH` replay a reported failure, `MODEL_RUNS` sets how many runs.
 */
export function propertyOptions(numRuns: number): { numRuns: number; endOnFailure: boolean; seed?: number; path?: string } {
  const env = process.env;
  return {
    numRuns: env.MODEL_RUNS ? Number(env.MODEL_RUNS) : numRuns,
    endOnFailure: env.MODEL_SHRINK !== '1',
    ...(env.MODEL_SEED ? { seed: Number(env.MODEL_SEED) } : {}),
    ...(env.MODEL_PATH ? { path: env.MODEL_PATH } : {}),
  };
}

/** Time for the test: a few seconds a run, and ample time to shrink a failure. */
export function propertyTimeout(numRuns: number): number {
  const runs = process.env.MODEL_RUNS ? Number(process.env.MODEL_RUNS) : numRuns;
  return process.env.MODEL_SHRINK === '1' ? 3_600_000 : 60_000 + runs * 5_000;
}

/** One running instance of the service, as a client sees it. */
export interface Instance {
  call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, token: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
}

export interface Player {
  instances: Instance[];
  token: string;
  /** An admin's token, for the catalogue. */
  adminToken: string;
  /** Runs before each request (the in-process variant moves its clocks there). */
  between?: () => Promise<void>;
  /** The instances' clock (for what is stale in continue watching). */
  now: () => number;
}

type Answer = { status: number; body: Record<string, unknown> };

const episodeQuery = (item: (typeof ITEMS)[number]) => (item.mediaType === 'tv' ? `?seasonNumber=${item.seasonNumber}&episodeNumber=${item.episodeNumber}` : '');

/**
 * Plays `scenario` over HTTP, then checks every item, the history list, continue watching, the
 * settings and the daily statistics against the model; hides, settings and catalogue writes are
 * checked as they are answered.
 */
export async function play(s: Scenario, p: Player): Promise<void> {
  try {
    await playAndCheck(s, p);
  } catch (e) {
    // The steps in short, beside fast-check's full scenario: what to read first.
    (e as Error).message = `${(e as Error).message}\n\nScenario in short:\n${describe(s)}`;
    throw e;
  }
}

/** One line a step: sends as slot:item/session(played s, at position). */
export function describe(s: Scenario): string {
  const t0 = Math.min(...s.steps.flatMap((x) => (x.kind === 'send' ? x.beats.map((b) => b.at) : [])));
  return s.steps.map((x, i) => {
    const head = `${String(i).padStart(3)} @${x.instance} ${x.kind}`;
    switch (x.kind) {
      case 'send': return `${head} ${x.beats.map((b) => `${b.slot}:${keyOf(ITEMS[b.item])}/s${b.session}${b.sessionId.endsWith('0') ? '' : `#${b.sessionId.slice(-1)}`}(${b.playedSeconds}s @${b.currentTime}, t+${(b.at - t0) / 60_000}m)`).join(' ')}`;
      case 'delete': return `${head} ${x.scope} ${keyOf(ITEMS[x.item])}`;
      case 'hide': return `${head} ${x.hide ? 'PUT' : 'DELETE'} ${x.show ? 'show of ' : ''}${keyOf(ITEMS[x.item])}`;
      case 'settings': return `${head} ${JSON.stringify(x.patch)}`;
      case 'catalog': return `${head} entry ${x.entry} credits ${JSON.stringify(x.credits)} episodes ${x.episodes}`;
      case 'refused': return `${head} ${x.why}`;
      default: return head;
    }
  }).join('\n');
}

async function playAndCheck(s: Scenario, p: Player): Promise<void> {
  const model = expected(s);
  const between = p.between ?? (async () => {});
  for (const [seq, step] of s.steps.entries()) {
    await between();
    const res = await send(step, s, p);
    const want = model.answers.get(seq);
    if (want) {
      expect([seq, step.kind, res?.status]).toEqual([seq, step.kind, want.status]);
      if (want.body) expect(res?.body).toEqual(want.body);
    }
  }
  await between();
  await check(s, model, p);
}

async function send(step: Step, s: Scenario, p: Player): Promise<Answer | null> {
  const at = p.instances[step.instance];
  const token = p.token;
  switch (step.kind) {
    case 'send': {
      const beats = step.beats.map((b, i) => heartbeatJson(b, step.upper[i]));
      const res = step.single && beats.length === 1
        ? await at.call('POST', '/v1/playtime', token, beats[0])
        : await at.call('POST', '/v1/playtime/batch', token, { heartbeats: beats });
      expect(res.status).toBe(202);
      return res;
    }
    case 'refused': {
      const res = await at.call('POST', '/v1/playtime/batch', token, step.body);
      expect([step.why, res.status]).toEqual([step.why, 400]);
      return res;
    }
    case 'flush': {
      // Statistics first store the caller's pending heartbeats on that instance.
      const res = await at.call('GET', `/v1/stats/me?from=${s.days[0]}&to=${s.days[1]}`, token);
      expect(res.status).toBe(200);
      return res;
    }
    case 'delete': {
      const item = ITEMS[step.item];
      const path = step.scope === 'all' ? '/v1/history'
        : step.scope === 'show' || item.mediaType === 'movie' ? `/v1/history/${item.mediaType}/${item.mediaId}`
        : `/v1/history/tv/${item.mediaId}${episodeQuery(item)}`;
      const res = await at.call('DELETE', path, token);
      expect([204, 404]).toContain(res.status);
      return res;
    }
    case 'hide': {
      const item = ITEMS[step.item];
      return at.call(step.hide ? 'PUT' : 'DELETE', `/v1/history/${item.mediaType}/${item.mediaId}/hidden${step.show ? '' : episodeQuery(item)}`, token);
    }
    case 'settings':
      return at.call('PATCH', '/v1/me/settings', token, step.patch);
    case 'catalog': {
      const { path, body } = catalogJson(step);
      return at.call('PUT', path, p.adminToken, body);
    }
  }
}

const responseKey = (b: Record<string, unknown>) => keyOf(b as unknown as Parameters<typeof keyOf>[0]);

async function check(s: Scenario, model: Expected, p: Player): Promise<void> {
  // Reads merge what the instance asked holds unflushed: when one instance took every heartbeat,
  // it must answer right before any flush.
  const used = new Set(s.steps.filter((x) => x.kind === 'send').map((x) => x.instance));
  if (used.size === 1) await checkReads(model, p.instances[[...used][0]], p, 'unflushed');
  // Statistics store what the instance asked holds for the caller: ask each, then check all.
  const stats = `/v1/stats/me?from=${s.days[0]}&to=${s.days[1]}`;
  for (const instance of p.instances) expect((await instance.call('GET', stats, p.token)).status).toBe(200);
  for (const [n, instance] of p.instances.entries()) {
    await checkReads(model, instance, p, `instance ${n}`);
    if (model.daily) expect((await instance.call('GET', `${stats}&tz=UTC`, p.token)).body.daily).toEqual(model.daily);
    expect((await instance.call('GET', '/v1/me/settings', p.token)).body).toEqual(model.settings);
  }
}

async function checkReads(model: Expected, instance: Instance, p: Player, where: string): Promise<void> {
  for (const item of ITEMS) {
    const res = await instance.call('GET', `/v1/history/${item.mediaType}/${item.mediaId}${episodeQuery(item)}`, p.token);
    const want = model.items.get(keyOf(item));
    if (!want) {
      expect([where, keyOf(item), res.status]).toEqual([where, keyOf(item), 404]);
      continue;
    }
    expect([where, keyOf(item), res.status]).toEqual([where, keyOf(item), 200]);
    const b = res.body;
    expect({
      where, key: keyOf(item), currentTime: b.currentTime, totalDuration: b.totalDuration, progress: b.progress, resumeAt: b.resumeAt,
      finished: b.finished, completedCount: b.completedCount, totalPlayedSeconds: b.totalPlayedSeconds, hidden: b.hidden, lastWatchedAt: b.lastWatchedAt,
    }).toEqual({ where, ...want });
  }
  const list = (await instance.call('GET', '/v1/history?limit=100', p.token)).body.items as Record<string, unknown>[];
  expect([where, 'history', list.map(responseKey)]).toEqual([where, 'history', model.order]);
  const done = (await instance.call('GET', '/v1/history?limit=100&finished=true', p.token)).body.items as Record<string, unknown>[];
  expect([where, 'finished', done.map(responseKey)]).toEqual([where, 'finished', model.order.filter((k) => model.items.get(k)!.finished)]);
  // What is stale depends on the time of the read: either end of the request will do.
  const before = p.now();
  const res = await instance.call('GET', '/v1/history/continue-watching', p.token);
  const after = p.now();
  const got = (res.body.items as Record<string, unknown>[]).map((i) => ({ key: responseKey(i), reason: i.reason }));
  const early = model.continueWatching(before);
  const want = JSON.stringify(got) === JSON.stringify(model.continueWatching(after)) ? model.continueWatching(after) : early;
  expect([where, 'continue watching', got]).toEqual([where, 'continue watching', want]);
}
