import helmet from 'helmet';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestApp, movieHeartbeat, type TestApp } from '../utils/create-app.js';

/** What helmet itself sets on a real node:http answer, for the service's options. */
async function helmetOnARealServer(): Promise<IncomingHttpHeaders> {
  const mw = helmet({ contentSecurityPolicy: false, crossOriginResourcePolicy: { policy: 'same-site' } });
  const server = createServer((req, res) => mw(req, res, () => res.end('ok')));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const out: IncomingHttpHeaders = {};
    for (const [k, v] of res.headers) if (!['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(k)) out[k] = v;
    return out;
  } finally {
    server.close();
  }
}

describe('hardening', () => {
  let t: TestApp;
  let auth: { Authorization: string };
  beforeAll(async () => {
    t = await createTestApp({ CORS_ORIGINS: 'https://app.example.com, https://tv.example.com' });
    auth = { Authorization: `Bearer ${await t.token('hard-user')}` };
  });
  afterAll(() => t.close());

  it('sends security headers', async () => {
    const res = await t.http().get('/health/live').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it("sends helmet's whole header set, computed once, on every kind of answer", async () => {
    const expected = await helmetOnARealServer();
    expect(Object.keys(expected).length).toBeGreaterThanOrEqual(10);
    const answers = [
      await t.http().post('/v1/playtime').set(auth).send(movieHeartbeat()).expect(202),
      await t.http().post('/v1/playtime').send(movieHeartbeat()).expect(401),
      await t.http().post('/v1/playtime').set(auth).send({ ...movieHeartbeat(), mediaType: 'MOVIE' }).expect(400),
      await t.http().get('/v1/no-such-route').expect(404),
      await t.http().get('/v1/history/export').set(auth).expect(200),
      await t.http().get('/health/live').expect(200),
    ];
    for (const res of answers) {
      for (const [name, value] of Object.entries(expected)) expect([res.status, name, res.headers[name]]).toEqual([res.status, name, value]);
      expect(res.headers['x-request-id']).toMatch(/\S/);
    }
  });

  it('allows CORS for the configured origins only', async () => {
    const pre = await t
      .http()
      .options('/v1/playtime')
      .set('Origin', 'https://app.example.com')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization,content-type');
    expect(pre.status).toBeLessThan(300);
    expect(pre.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(pre.headers['access-control-allow-headers']).toMatch(/Authorization/i);
    const ok = await t.http().get('/v1/history').set(auth).set('Origin', 'https://tv.example.com').expect(200);
    expect(ok.headers['access-control-allow-origin']).toBe('https://tv.example.com');
    expect(ok.headers['access-control-expose-headers']).toMatch(/Retry-After/);
    const other = await t.http().get('/v1/history').set(auth).set('Origin', 'https://evil.example.net').expect(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('takes JSON only, except text/plain on the beacon; 413 above the body limit', async () => {
    const body = JSON.stringify(movieHeartbeat());
    const plain = await t.http().post('/v1/playtime').set(auth).set('Content-Type', 'text/plain').send(body).expect(415);
    expect(plain.body).toMatchObject({ statusCode: 415 });
    await t.http().post('/v1/playtime').set(auth).set('Content-Type', 'application/xml').send('<a/>').expect(415);
    await t.http().post('/v1/playtime').set(auth).set('Content-Type', 'application/json; charset=utf-8').send(body).expect(202);
    const token = auth.Authorization.slice(7);
    await t
      .http()
      .post('/v1/playtime/beacon')
      .set('Content-Type', 'text/plain;charset=UTF-8')
      .send(JSON.stringify({ ...movieHeartbeat(), accessToken: token }))
      .expect(204);
    const huge = await t
      .http()
      .post('/v1/playtime/batch')
      .set(auth)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ heartbeats: [movieHeartbeat({ title: 'x'.repeat(300) })], pad: 'y'.repeat(300_000) }))
      .expect(413);
    expect(huge.body).toMatchObject({ statusCode: 413 });
    expect(JSON.stringify(huge.body)).not.toMatch(/at .*\.js:\d+/);
  });

  it('can turn the docs off for production', async () => {
    const closed = await createTestApp({ DOCS_ENABLED: 'false' });
    try {
      await closed.http().get('/docs-json').expect(404);
      await closed.http().get('/docs').expect(404);
    } finally {
      await closed.close();
    }
  });
});
