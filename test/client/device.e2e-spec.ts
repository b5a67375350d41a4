/// <reference lib="dom" />
import { DEVICE_ID_KEY } from '../../client/src/device.js';
import { createTestApp, type TestApp } from '../utils/create-app.js';
import { FakeBrowser } from './fake-browser.js';

const ANDROID_CHROME = 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36';

interface ExportedSession {
  sessionId: string;
  device: Record<string, string> | null;
}

/**
 * What the browser tracker sends, replayed in order against the real service (each request at
 * the moment the tracker made it, with a real token): the session it played is exported with the
 * tracker's default device, whichever route (live, batch, beacon) its heartbeats took.
 */
describe('browser tracker device, through the service', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  async function replay(b: FakeBrowser, token: string): Promise<string[]> {
    const sent = [
      ...b.requests.filter((r) => b.delivered.has(r)).map((r) => ({ at: r.at, url: r.url, body: r.body, beacon: false })),
      ...b.beacons.map((x) => ({ at: x.at, url: x.url, body: { ...x.body, accessToken: token }, beacon: true })),
    ].sort((x, y) => x.at - y.at);
    const routes: string[] = [];
    for (const req of sent) {
      const path = new URL(req.url).pathname;
      t.clock.advance(req.at - t.clock.now());
      const post = t.http().post(path);
      const res = await (req.beacon ? post : post.set('Authorization', `Bearer ${token}`)).send(req.body);
      expect([202, 204]).toContain(res.status);
      routes.push(path);
    }
    return routes;
  }

  it('exports the session with the id, name and platform the tracker made', async () => {
    const token = await t.token('tracker-device-user');
    const b = new FakeBrowser();
    b.userAgent = ANDROID_CHROME;
    const start = t.clock.now();
    b.date = start;
    const tracker = b.tracker();
    b.video.play();
    await b.advance(12_000);
    const sessionId = tracker.sessionId;
    b.goOffline();
    await b.advance(20_000);
    b.goOnline();
    await b.advance(1_000);
    b.closePage();

    const routes = await replay(b, token);
    expect(new Set(routes)).toEqual(new Set(['/v1/playtime', '/v1/playtime/batch', '/v1/playtime/beacon']));
    await t.batcher.flush();

    const res = await t.http().get('/v1/history/export').set('Authorization', `Bearer ${token}`).expect(200);
    const sessions = res.body.sessions as ExportedSession[];
    expect(sessions.map((s) => s.sessionId)).toEqual([sessionId]);
    expect(sessions[0].device).toEqual({ id: b.storage.getItem(DEVICE_ID_KEY), name: 'Chrome on Android', platform: 'android' });
    expect(sessions[0].device?.id).toMatch(/^[0-9a-f-]{36}$/);
  });
});
