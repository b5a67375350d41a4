import { expected, heartbeatJson, ITEMS, keyOf, type Scenario } from './model.property.model.js';

/** One running instance of the service, as a client sees it. */
export interface Instance {
  call(method: 'GET' | 'POST' | 'DELETE', path: string, token: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
}

/**
 * Plays `scenario` for `user` against `instances` over HTTP, then checks every item, the
 * continue-watching list and the daily statistics against the model. `between` runs before each
 * request (the in-process variant moves its clocks there).
 */
export async function play(s: Scenario, instances: Instance[], user: string, token: string, between: () => Promise<void> = async () => {}): Promise<void> {
  for (const step of s.steps) {
    await between();
    const at = instances[step.instance];
    if (step.kind === 'send') {
      const beats = step.beats.map((b, i) => heartbeatJson(b, step.upper[i]));
      const res = step.single && beats.length === 1
        ? await at.call('POST', '/v1/playtime', token, beats[0])
        : await at.call('POST', '/v1/playtime/batch', token, { heartbeats: beats });
      expect(res.status).toBe(202);
    } else if (step.kind === 'refused') {
      const res = await at.call('POST', '/v1/playtime/batch', token, step.body);
      expect([step.why, res.status]).toEqual([step.why, 400]);
    } else if (step.kind === 'flush') {
      // Statistics first store the caller's pending heartbeats on that instance.
      expect((await at.call('GET', `/v1/stats/me?from=${s.days[0]}&to=${s.days[1]}`, token)).status).toBe(200);
    } else {
      const item = ITEMS[step.item];
      const path = step.scope === 'all' ? '/v1/history'
        : step.scope === 'show' || item.mediaType === 'movie' ? `/v1/history/${item.mediaType}/${item.mediaId}`
        : `/v1/history/tv/${item.mediaId}?seasonNumber=${item.seasonNumber}&episodeNumber=${item.episodeNumber}`;
      expect([204, 404]).toContain((await at.call('DELETE', path, token)).status);
    }
  }
  await between();
  await check(s, instances, token);
}

async function check(s: Scenario, instances: Instance[], token: string): Promise<void> {
  const model = expected(s);
  // Reads merge what the instance asked holds unflushed: when one instance took every heartbeat,
  // it must answer right before any flush.
  const used = new Set(s.steps.filter((x) => x.kind === 'send').map((x) => x.instance));
  if (used.size === 1) await checkItems(model, instances[[...used][0]], token, 'unflushed');
  // Statistics store what the instance asked holds for the caller: ask each, then check all.
  for (const instance of instances) expect((await instance.call('GET', `/v1/stats/me?from=${s.days[0]}&to=${s.days[1]}`, token)).status).toBe(200);
  for (const [n, instance] of instances.entries()) {
    await checkItems(model, instance, token, `instance ${n}`);
    if (model.daily) expect((await instance.call('GET', `/v1/stats/me?from=${s.days[0]}&to=${s.days[1]}&tz=UTC`, token)).body.daily).toEqual(model.daily);
  }
}

async function checkItems(model: ReturnType<typeof expected>, instance: Instance, token: string, where: string): Promise<void> {
  for (const item of ITEMS) {
    const query = item.mediaType === 'tv' ? `?seasonNumber=${item.seasonNumber}&episodeNumber=${item.episodeNumber}` : '';
    const res = await instance.call('GET', `/v1/history/${item.mediaType}/${item.mediaId}${query}`, token);
    const want = model.items.get(keyOf(item));
    if (!want) {
      expect([where, keyOf(item), res.status]).toEqual([where, keyOf(item), 404]);
      continue;
    }
    expect([where, keyOf(item), res.status]).toEqual([where, keyOf(item), 200]);
    const b = res.body;
    expect({
      where, key: keyOf(item), currentTime: b.currentTime, totalDuration: b.totalDuration, progress: b.progress, resumeAt: b.resumeAt,
      finished: b.finished, completedCount: b.completedCount, totalPlayedSeconds: b.totalPlayedSeconds, lastWatchedAt: b.lastWatchedAt,
    }).toEqual({ where, ...want });
  }
}
