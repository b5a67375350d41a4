import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { createTestApp, type TestApp } from '../utils/create-app.js';

/**
 * The admin dashboard's page is served always (it holds only code: every figure comes from the
 * admin routes, which need an admin token); its development admin token is given exactly where
 * the demo's tokens are: development-token mode, this machine unless DEMO_ENABLED=true, never with
 * DEMO_ENABLED=false.
 */

const REMOTE = '203.0.113.9'; // TEST-NET-3: never this machine

interface Injected {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  json: () => Record<string, unknown>;
}

function inject(t: TestApp, opts: { method: 'GET' | 'POST'; url: string; payload?: unknown; remoteAddress?: string }): Promise<Injected> {
  const fastify = t.app.getHttpAdapter().getInstance();
  return fastify.inject({
    method: opts.method,
    url: opts.url,
    payload: opts.payload as Record<string, unknown> | undefined,
    remoteAddress: opts.remoteAddress ?? '127.0.0.1',
  }) as unknown as Promise<Injected>;
}

const askAdminToken = (t: TestApp, payload: unknown = {}, remoteAddress?: string) => inject(t, { method: 'POST', url: '/demo/admin-token', payload, remoteAddress });

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;

describe('admin dashboard access', () => {
  const apps: TestApp[] = [];
  const dataDirs: string[] = [];
  afterAll(async () => {
    for (const t of apps) await t.close();
    for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
  });

  async function app(env: Record<string, string> = {}, dev = false): Promise<TestApp> {
    const extra: Record<string, string> = {};
    if (dev) {
      const dir = resolve(`.data/test-admin-${randomBytes(4).toString('hex')}`);
      dataDirs.push(dir);
      Object.assign(extra, { JWT_SECRET: '', PLAYTIME_DATA_DIR: dir });
    }
    const t = await createTestApp({ ...extra, ...env });
    apps.push(t);
    return t;
  }

  it('with a real JWT_SECRET: the page, its script and uPlot, with a same-origin CSP; no admin token', async () => {
    const t = await app();
    const redirect = await inject(t, { method: 'GET', url: '/admin' });
    expect([301, 302, 308]).toContain(redirect.statusCode);
    expect(redirect.headers.location).toBe('/admin/');

    const page = await inject(t, { method: 'GET', url: '/admin/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('id="chart-concurrency"');
    expect(page.body).not.toMatch(/https?:\/\/(?!127\.)/); // nothing fetched from elsewhere (no CDN)
    expect(String(page.headers['content-security-policy'])).toContain("default-src 'self'");
    expect(String(page.headers['content-security-policy'])).toContain("connect-src 'self'");
    expect(page.headers['cache-control']).toBe('no-cache');

    const script = await inject(t, { method: 'GET', url: '/admin/app.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.headers['x-content-type-options']).toBe('nosniff');
    const uplot = await inject(t, { method: 'GET', url: '/admin/vendor/uplot/uPlot.esm.js' });
    expect(uplot.statusCode).toBe(200);
    expect(uplot.body).toContain('export');
    expect((await inject(t, { method: 'GET', url: '/admin/vendor/uplot/uPlot.min.css' })).statusCode).toBe(200);

    expect((await inject(t, { method: 'GET', url: '/admin/../package.json' })).statusCode).toBe(404);
    expect((await inject(t, { method: 'GET', url: '/admin/nope.js' })).statusCode).toBe(404);
    // the page does not shadow the API: the admin routes still want a token
    expect((await inject(t, { method: 'GET', url: '/v1/admin/ingest' })).statusCode).toBe(401);

    for (const from of ['127.0.0.1', REMOTE]) expect((await askAdminToken(t, {}, from)).statusCode).toBe(404);
  });

  it('the page is not in the API docs; the development admin token route is', async () => {
    const t = await app();
    const { body: doc } = await t.http().get('/docs-json').expect(200);
    const paths = Object.keys(doc.paths);
    expect(paths.filter((p) => p === '/admin' || p.startsWith('/admin/'))).toEqual([]);
    const op = doc.paths['/demo/admin-token']?.post;
    expect(op).toBeDefined();
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '404']));
    expect(op.tags).toEqual(['demo']);
  });

  it('with JWKS and DEMO_ENABLED=true: never an admin token', async () => {
    const t = await app({ JWT_SECRET: '', JWT_JWKS_URL: 'http://127.0.0.1:9/jwks.json', JWT_AUDIENCE: 'playtime-api', DEMO_ENABLED: 'true' });
    expect((await inject(t, { method: 'GET', url: '/admin/' })).statusCode).toBe(200);
    expect((await askAdminToken(t)).statusCode).toBe(404);
  });

  it('in development-token mode: an admin token for clients on this machine only, which the admin routes accept', async () => {
    const t = await app({}, true);
    const res = await askAdminToken(t);
    expect(res.statusCode).toBe(200);
    const { token, userId, expiresIn } = res.json() as { token: string; userId: string; expiresIn: number };
    expect(userId).toBe('demo-admin');
    expect(expiresIn).toBe(12 * 3600);
    expect(claimsOf(token)).toMatchObject({ sub: 'demo-admin', roles: ['admin'] });
    await t.http().get('/v1/admin/ingest').set('Authorization', `Bearer ${token}`).expect(200);
    await t.http().get('/v1/admin/reports/watch-hours').set('Authorization', `Bearer ${token}`).expect(200);

    const named = await askAdminToken(t, { userId: 'ops.carol' });
    expect(claimsOf((named.json() as { token: string }).token)).toMatchObject({ sub: 'ops.carol', roles: ['admin'] });

    expect((await askAdminToken(t, {}, REMOTE)).statusCode).toBe(404);
    expect((await askAdminToken(t, {}, '::ffff:127.0.0.1')).statusCode).toBe(200);

    const bad = await askAdminToken(t, { userId: 'carol smith' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([expect.objectContaining({ field: 'userId' })]);
    const extra = await askAdminToken(t, { roles: ['admin'] });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().errors).toEqual([expect.objectContaining({ field: 'roles' })]);
  });

  it('in development-token mode with DEMO_ENABLED=true: for other machines too; with DEMO_ENABLED=false: never', async () => {
    const open = await app({ DEMO_ENABLED: 'true' }, true);
    expect((await askAdminToken(open, {}, REMOTE)).statusCode).toBe(200);
    const closed = await app({ DEMO_ENABLED: 'false' }, true);
    expect((await askAdminToken(closed)).statusCode).toBe(404);
    // the page itself stays: pasting a token works whatever the demo's setting
    expect((await inject(closed, { method: 'GET', url: '/admin/' })).statusCode).toBe(200);
  });
});
