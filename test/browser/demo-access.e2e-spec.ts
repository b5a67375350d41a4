import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { createTestApp, type TestApp } from '../utils/create-app.js';
import { ensureClientBuilt } from './browser-utils.js';

/**
 * Who gets the demo page and who gets a demo token. Tokens: only ever in development-token mode
 * (no JWT_SECRET, no JWKS), never with DEMO_ENABLED=false, and only to clients on this machine
 * unless DEMO_ENABLED=true.
 */

const REMOTE = '203.0.113.9'; // TEST-NET-3: never this machine

interface Injected {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  rawPayload: Buffer;
  json: () => Record<string, unknown>;
}

function inject(t: TestApp, opts: { method: 'GET' | 'POST'; url: string; payload?: unknown; remoteAddress?: string; headers?: Record<string, string> }): Promise<Injected> {
  const fastify = t.app.getHttpAdapter().getInstance();
  return fastify.inject({
    method: opts.method,
    url: opts.url,
    payload: opts.payload as Record<string, unknown> | undefined,
    headers: opts.headers,
    remoteAddress: opts.remoteAddress ?? '127.0.0.1',
  }) as unknown as Promise<Injected>;
}

const askToken = (t: TestApp, userId: unknown, remoteAddress?: string, headers?: Record<string, string>) =>
  inject(t, { method: 'POST', url: '/demo/token', payload: { userId }, remoteAddress, headers });

describe('demo access', () => {
  const apps: TestApp[] = [];
  const dataDirs: string[] = [];
  beforeAll(() => ensureClientBuilt());
  afterAll(async () => {
    for (const t of apps) await t.close();
    for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
  });

  /** An app in development-token mode (no JWT_SECRET, no JWKS), with its own dev secret. */
  async function devApp(env: Record<string, string> = {}): Promise<TestApp> {
    const dir = resolve(`.data/test-demo-${randomBytes(4).toString('hex')}`);
    dataDirs.push(dir);
    const t = await createTestApp({ JWT_SECRET: '', PLAYTIME_DATA_DIR: dir, ...env });
    apps.push(t);
    return t;
  }

  async function app(env: Record<string, string>): Promise<TestApp> {
    const t = await createTestApp(env);
    apps.push(t);
    return t;
  }

  it('with a real JWT_SECRET and no DEMO_ENABLED: no page, no token', async () => {
    const t = await app({});
    expect((await inject(t, { method: 'GET', url: '/demo/' })).statusCode).toBe(404);
    expect((await inject(t, { method: 'GET', url: '/demo/app.js' })).statusCode).toBe(404);
    expect((await inject(t, { method: 'GET', url: '/demo/client/index.js' })).statusCode).toBe(404);
    expect((await askToken(t, 'alice')).statusCode).toBe(404);
    expect((await inject(t, { method: 'GET', url: '/demo/rules' })).statusCode).toBe(404);
  });

  it('/demo/rules gives the thresholds the service runs with, without a token, while the page is on', async () => {
    const t = await app({ DEMO_ENABLED: 'true', MIN_PLAY_SECONDS: '20', MIN_RESUME_DURATION_SECONDS: '240', FINISHED_PERCENT: '85', MIN_RESUME_PERCENT: '3', CONTINUE_WATCHING_DAYS: '30' });
    const res = await inject(t, { method: 'GET', url: '/demo/rules' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ minPlaySeconds: 20, minResumeDurationSeconds: 240, finishedPercent: 85, minResumePercent: 3, continueWatchingDays: 30 });
    const doc = (await t.http().get('/docs-json')).body;
    expect(doc.paths['/demo/rules'].get.tags).toEqual(['demo']);
    expect(doc.components.schemas.DemoRules.properties.minPlaySeconds.example).toBe(60);
  });

  it('with a real JWT_SECRET and DEMO_ENABLED=true: the page and its files, but never a token', async () => {
    const t = await app({ DEMO_ENABLED: 'true' });
    const redirect = await inject(t, { method: 'GET', url: '/demo' });
    expect([301, 302, 308]).toContain(redirect.statusCode);
    expect(redirect.headers.location).toBe('/demo/');

    const page = await inject(t, { method: 'GET', url: '/demo/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<video id="player"');
    expect(String(page.headers['content-security-policy'])).toContain("default-src 'self'");

    const client = await inject(t, { method: 'GET', url: '/demo/client/index.js' });
    expect(client.statusCode).toBe(200);
    expect(client.headers['content-type']).toMatch(/javascript/);
    expect(client.body).toContain('createPlaytimeTracker');

    const uplot = await inject(t, { method: 'GET', url: '/demo/vendor/uplot/uPlot.esm.js' });
    expect(uplot.statusCode).toBe(200);
    expect(uplot.body).toContain('export');

    const video = await inject(t, { method: 'GET', url: '/demo/media/test-pattern.webm', headers: { Range: 'bytes=0-3' } });
    expect(video.statusCode).toBe(206);
    expect(video.headers['content-type']).toBe('video/webm');
    expect(video.rawPayload.toString('hex')).toBe('1a45dfa3'); // EBML magic

    expect((await inject(t, { method: 'GET', url: '/demo/../package.json' })).statusCode).toBe(404);

    for (const from of ['127.0.0.1', REMOTE]) expect((await askToken(t, 'alice', from)).statusCode).toBe(404);
  });

  it('with JWKS and DEMO_ENABLED=true: never a token', async () => {
    const t = await app({ JWT_SECRET: '', JWT_JWKS_URL: 'http://127.0.0.1:9/jwks.json', JWT_AUDIENCE: 'playtime-api', DEMO_ENABLED: 'true' });
    expect((await inject(t, { method: 'GET', url: '/demo/' })).statusCode).toBe(200);
    expect((await askToken(t, 'alice')).statusCode).toBe(404);
  });

  it('in development-token mode: the page, and tokens for clients on this machine only', async () => {
    const t = await devApp();
    expect((await inject(t, { method: 'GET', url: '/demo/' })).statusCode).toBe(200);

    const res = await askToken(t, 'alice');
    expect(res.statusCode).toBe(200);
    const { token, userId, expiresIn } = res.json() as { token: string; userId: string; expiresIn: number };
    expect(userId).toBe('alice');
    expect(expiresIn).toBe(12 * 3600);
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ sub: 'alice', roles: [] });
    expect(claims.exp - claims.iat).toBe(12 * 3600);

    // a real token of this service: it reads alice's (empty) history, and is no admin
    await t.http().get('/v1/history').set('Authorization', `Bearer ${token}`).expect(200, { items: [], nextCursor: null });
    await t.http().get('/v1/admin/ingest').set('Authorization', `Bearer ${token}`).expect(403);

    expect((await askToken(t, 'alice', '::ffff:127.0.0.1')).statusCode).toBe(200);
    expect((await askToken(t, 'alice', REMOTE)).statusCode).toBe(404);
    // X-Forwarded-For is whatever the client writes: it never makes a remote client local
    expect((await askToken(t, 'alice', REMOTE, { 'X-Forwarded-For': '127.0.0.1' })).statusCode).toBe(404);

    const bad = await askToken(t, 'alice smith');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([expect.objectContaining({ field: 'userId' })]);
    const extra = await inject(t, { method: 'POST', url: '/demo/token', payload: { userId: 'alice', admin: true } });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().errors).toEqual([expect.objectContaining({ field: 'admin' })]);
  });

  it('in development-token mode with DEMO_ENABLED=true: tokens for other machines too', async () => {
    const t = await devApp({ DEMO_ENABLED: 'true' });
    expect((await askToken(t, 'bob', REMOTE)).statusCode).toBe(200);
  });

  it('in development-token mode with DEMO_ENABLED=false: nothing', async () => {
    const t = await devApp({ DEMO_ENABLED: 'false' });
    expect((await inject(t, { method: 'GET', url: '/demo/' })).statusCode).toBe(404);
    expect((await askToken(t, 'alice')).statusCode).toBe(404);
    expect((await inject(t, { method: 'GET', url: '/demo/rules' })).statusCode).toBe(404);
  });
});
