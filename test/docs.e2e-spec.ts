import { Spectral, type RulesetDefinition } from '@stoplight/spectral-core';
import { oas } from '@stoplight/spectral-rulesets';
import { createTestApp, type TestApp } from './utils/create-app.js';

const ROUTES: [string, string][] = [
  ['post', '/v1/playtime'],
  ['post', '/v1/playtime/batch'],
  ['post', '/v1/playtime/beacon'],
  ['get', '/v1/history'],
  ['delete', '/v1/history'],
  ['get', '/v1/history/continue-watching'],
  ['get', '/v1/history/plays'],
  ['get', '/v1/history/export'],
  ['get', '/v1/history/{mediaType}/{mediaId}'],
  ['delete', '/v1/history/{mediaType}/{mediaId}'],
  ['put', '/v1/history/{mediaType}/{mediaId}/watched'],
  ['delete', '/v1/history/{mediaType}/{mediaId}/watched'],
  ['get', '/v1/stats/me'],
  ['get', '/v1/me/settings'],
  ['patch', '/v1/me/settings'],
  ['get', '/v1/catalog'],
  ['get', '/v1/catalog/{mediaType}/{mediaId}'],
  ['put', '/v1/admin/catalog/{mediaType}/{mediaId}'],
  ['post', '/v1/admin/catalog/import'],
  ['post', '/v1/admin/history/import'],
  ['post', '/v1/admin/maintenance/run'],
  ['get', '/v1/admin/ingest'],
  ['get', '/health/live'],
  ['get', '/health/ready'],
];

describe('Swagger', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('serves the UI at /docs', async () => {
    const res = await t.http().get('/docs').redirects(1).expect(200);
    expect(res.text).toContain('swagger');
  });

  it('documents every route with its responses, and the bearer scheme on every /v1 route but the beacon', async () => {
    const { body: doc } = await t.http().get('/docs-json').expect(200);
    expect(doc.components.securitySchemes.jwt).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const [method, path] of ROUTES) {
      const op = doc.paths[path]?.[method];
      expect({ route: `${method} ${path}`, documented: Boolean(op) }).toEqual({ route: `${method} ${path}`, documented: true });
      const codes = Object.keys(op.responses);
      expect(codes.some((c) => c.startsWith('2'))).toBe(true);
      if (path.startsWith('/v1/')) {
        expect(codes).toContain('401');
        const bearer = (op.security ?? []).some((s: Record<string, unknown>) => 'jwt' in s);
        expect({ route: path, bearer }).toEqual({ route: path, bearer: path !== '/v1/playtime/beacon' });
      }
      if (path.startsWith('/v1/admin/')) expect(codes).toContain('403');
    }
  });

  it('generates the heartbeat schema from the same zod schema that validates it', async () => {
    const { body: doc } = await t.http().get('/docs-json').expect(200);
    const heartbeat = doc.components.schemas.Heartbeat;
    expect(heartbeat.required).toEqual(expect.arrayContaining(['sessionId', 'mediaType', 'mediaId', 'currentTime', 'totalDuration', 'playedSeconds']));
    expect(heartbeat.additionalProperties).toBe(false);
    expect(heartbeat.properties.mediaType.enum).toEqual(['movie', 'tv']);
    expect(heartbeat.properties.title.maxLength ?? heartbeat.properties.title.anyOf?.[0]?.maxLength).toBe(300);
  });

  it("passes Spectral's spectral:oas ruleset with no errors and no warnings", async () => {
    const { text } = await t.http().get('/docs-json').expect(200);
    const spectral = new Spectral();
    // `spectral:oas` as the Spectral CLI applies it (its recommended rules).
    spectral.setRuleset({ extends: [oas as RulesetDefinition] });
    const findings = (await spectral.run(text)).map((r) => `${r.code} at ${r.path.join('.')}: ${r.message}`);
    expect(findings).toEqual([]);
  });

  it('names this service as the server, and describes every tag it uses', async () => {
    const { body: doc } = await t.http().get('/docs-json').set('Host', 'playtime.internal:8443').expect(200);
    expect(doc.servers).toEqual([expect.objectContaining({ url: 'http://playtime.internal:8443' })]);
    const defined = new Map<string, string>(doc.tags.map((tag: { name: string; description: string }) => [tag.name, tag.description]));
    for (const item of Object.values(doc.paths) as Record<string, { tags?: string[] }>[]) {
      for (const op of Object.values(item)) {
        for (const tag of op.tags ?? []) expect({ tag, description: Boolean(defined.get(tag)) }).toEqual({ tag, description: true });
      }
    }
  });

  it('documents the authentication answers: 401, 503 while provider keys are fetched, 429 after repeated failures', async () => {
    const { body: doc } = await t.http().get('/docs-json').expect(200);
    expect(doc.info.description).toMatch(/`503`[^.]*Retry-After/);
    expect(doc.info.description).toMatch(/AUTH_FAILURE_LIMIT[^.]*`429`/);
  });
});
