/// <reference lib="dom" />
import { defaultDevice, DEVICE_ID_KEY, normalizeDevice } from '../../client/src/device.js';
import type { KeyValueStorage } from '../../client/src/outbox.js';
import { FakeBrowser, MemoryStorage } from './fake-browser.js';

/** The `device` the browser tracker sends: a stable id, and a name and platform from the user agent. */

const WIN_CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const IPHONE_SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';

let n = 0;
const uuid = () => `00000000-0000-4000-9000-${String(++n).padStart(12, '0')}`;

/** A storage that refuses everything (private mode, sandboxed iframe). */
const broken: KeyValueStorage = {
  length: 0,
  key: () => null,
  getItem: () => {
    throw new Error('SecurityError');
  },
  setItem: () => {
    throw new Error('QuotaExceededError');
  },
  removeItem: () => undefined,
};

describe('defaultDevice: the id', () => {
  it('is made once and kept in storage: stable on one storage, different on another', () => {
    const s1 = new MemoryStorage();
    const s2 = new MemoryStorage();
    const a = defaultDevice(s1, WIN_CHROME, uuid);
    const b = defaultDevice(s1, WIN_CHROME, uuid);
    const c = defaultDevice(s2, WIN_CHROME, uuid);
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.id).toBe(a.id);
    expect(c.id).not.toBe(a.id);
    expect(s1.getItem(DEVICE_ID_KEY)).toBe(a.id);
    expect(s2.getItem(DEVICE_ID_KEY)).toBe(c.id);
  });

  it('replaces a stored value the service would refuse', () => {
    const s = new MemoryStorage();
    s.setItem(DEVICE_ID_KEY, 'x'.repeat(101));
    const id = defaultDevice(s, '', uuid).id;
    expect(id).toMatch(/^0{8}-/);
    expect(s.getItem(DEVICE_ID_KEY)).toBe(id);
  });

  it('lives in memory when there is no storage or it throws, stable for the page', () => {
    const a = defaultDevice(null, '', uuid).id;
    const b = defaultDevice(broken, '', uuid).id;
    const c = defaultDevice(null, '', uuid).id;
    expect(a).toMatch(/^0{8}-/);
    expect(b).toBe(a);
    expect(c).toBe(a);
  });
});

describe('defaultDevice: platform and name from the user agent', () => {
  it.each([
    [WIN_CHROME, 'windows', 'Chrome on Windows'],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91',
      'windows',
      'Edge on Windows',
    ],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0', 'windows', 'Opera on Windows'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15', 'macos', 'Safari on macOS'],
    ['Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0', 'linux', 'Firefox on Linux'],
    ['Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36', 'chromeos', 'Chrome on ChromeOS'],
    [IPHONE_SAFARI, 'ios', 'Safari on iPhone'],
    [
      'Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1',
      'ios',
      'Chrome on iPad',
    ],
    ['Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36', 'android', 'Chrome on Android'],
    [
      'Mozilla/5.0 (Linux; Android 13; SM-S901B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36',
      'android',
      'Samsung Internet on Android',
    ],
    ['Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0', 'android', 'Firefox on Android'],
    ['Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) 76.0.3809.146/6.0 TV Safari/537.36', 'tizen', 'Samsung TV'],
    ['Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.79 Safari/537.36 WebAppManager', 'webos', 'LG TV'],
    ['curl/8.4.0', 'web', 'Web browser'],
    ['', 'web', 'Web browser'],
  ])('%s', (ua, platform, name) => {
    expect(defaultDevice(new MemoryStorage(), ua, uuid)).toEqual({ id: expect.any(String), platform, name });
  });

  it('never sends the raw user agent, and stays within 100 characters', () => {
    const ua = `Mozilla/5.0 (Linux; ${'x'.repeat(5000)}) Firefox/1.0`;
    const d = defaultDevice(new MemoryStorage(), ua, uuid);
    expect(d).toEqual({ id: expect.any(String), platform: 'linux', name: 'Firefox on Linux' });
    expect(defaultDevice(null, undefined, uuid)).toMatchObject({ platform: 'web', name: 'Web browser' });
  });
});

describe('normalizeDevice', () => {
  it('keeps id, name and platform, trimmed to the limits, without NUL or empty fields', () => {
    const emoji = '😀'.repeat(60); // 120 UTF-16 units
    const given = { id: '  a1b2 ', name: emoji, platform: 'tv\u0000os', model: 'x' } as Record<string, string>;
    const out = normalizeDevice(given)!;
    expect(out).toEqual({ id: 'a1b2', name: '😀'.repeat(50), platform: 'tvos' });
    expect(normalizeDevice({ id: 'x'.repeat(150) })).toEqual({ id: 'x'.repeat(100) });
    expect(normalizeDevice({ name: `${'x'.repeat(99)}😀` })).toEqual({ name: 'x'.repeat(99) });
    expect(normalizeDevice({ id: '  ', name: 42 as unknown as string })).toBeNull();
    expect(normalizeDevice(null)).toBeNull();
  });
});

describe('tracker: device', () => {
  const devices = (b: FakeBrowser) => b.heartbeats().map((h) => h.device);

  it('sends the default device on every heartbeat, with the id kept in the tracker storage', async () => {
    const b = new FakeBrowser();
    b.userAgent = IPHONE_SAFARI;
    b.tracker();
    b.video.play();
    await b.advance(20_000);
    b.video.pause();
    await b.advance(100);
    const id = b.storage.getItem(DEVICE_ID_KEY);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const sent = devices(b);
    expect(sent).toHaveLength(4);
    expect(sent.every((d) => JSON.stringify(d) === JSON.stringify({ id, name: 'Safari on iPhone', platform: 'ios' }))).toBe(true);
  });

  it('the id is the same for two trackers on one storage, and differs on another storage', async () => {
    const ids: string[] = [];
    const shared = new MemoryStorage();
    for (const storage of [shared, shared, new MemoryStorage()]) {
      const b = new FakeBrowser();
      b.uuid = ids.length * 100; // fake browsers hand out numbered UUIDs: each its own numbers
      const t = b.tracker({ storage });
      b.video.play();
      await b.advance(1_000);
      t.destroy();
      ids.push(String(b.heartbeats()[0].device?.id));
    }
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it('device: null sends none', async () => {
    const b = new FakeBrowser();
    b.tracker({ device: null });
    b.video.play();
    await b.advance(10_000);
    b.closePage();
    const hbs = b.heartbeats();
    expect(hbs.map((h) => h.route)).toEqual(['live', 'live', 'beacon']);
    expect(hbs.some((h) => 'device' in h)).toBe(false);
    expect(b.storage.getItem(DEVICE_ID_KEY)).toBeNull();
  });

  it('sends a given device as given, trimmed; a function is asked at the start of each session', async () => {
    const b = new FakeBrowser();
    b.tracker({ device: { id: ' tv-1 ', name: 'Living room TV', platform: 'x'.repeat(120) } });
    b.video.play();
    await b.advance(1_000);
    expect(devices(b)).toEqual([{ id: 'tv-1', name: 'Living room TV', platform: 'x'.repeat(100) }]);

    const c = new FakeBrowser();
    let calls = 0;
    const t = c.tracker({ device: () => ({ name: `Cast ${++calls}` }) });
    c.video.play();
    await c.advance(10_000);
    t.setItem({ mediaType: 'movie', mediaId: 603 });
    await c.advance(10_000);
    expect(c.heartbeats().map((h) => [h.mediaId, h.event, h.device])).toEqual([
      [550, 'start', { name: 'Cast 1' }],
      [550, 'progress', { name: 'Cast 1' }],
      [550, 'stop', { name: 'Cast 1' }],
      [603, 'start', { name: 'Cast 2' }],
      [603, 'progress', { name: 'Cast 2' }],
    ]);
  });

  it('a device function that throws is reported, and the heartbeats go without one', async () => {
    const b = new FakeBrowser();
    b.tracker({
      device: () => {
        throw new Error('no device');
      },
    });
    b.video.play();
    await b.advance(1_000);
    expect(b.heartbeats()).toHaveLength(1);
    expect(b.heartbeats()[0]).not.toHaveProperty('device');
    expect(b.errors).toEqual([new Error('no device')]);
  });

  it('queued heartbeats carry it through the batch route, and so does the page-close beacon', async () => {
    const b = new FakeBrowser();
    b.userAgent = WIN_CHROME;
    b.tracker();
    b.video.play();
    await b.advance(5_000);
    b.goOffline();
    await b.advance(20_000);
    b.goOnline();
    await b.advance(1_000);
    b.closePage();
    const hbs = b.heartbeats();
    expect(new Set(hbs.map((h) => h.route))).toEqual(new Set(['live', 'batch', 'beacon']));
    const expected = { id: b.storage.getItem(DEVICE_ID_KEY), name: 'Chrome on Windows', platform: 'windows' };
    for (const h of hbs) expect(h.device).toEqual(expected);
  });

  it('a heartbeat left in storage by a closed page keeps that page’s device when the next page sends it', async () => {
    const b = new FakeBrowser();
    b.tracker({ device: { name: 'Old page' } });
    b.video.play();
    await b.advance(3_000);
    b.beaconResult = false;
    b.closePage();

    const next = new FakeBrowser();
    next.date = b.date + 60_000;
    for (const [k, v] of b.storage.map) next.storage.setItem(k, v);
    next.tracker({ device: { name: 'New page' } });
    await next.advance(100);
    const batch = next.heartbeats().filter((h) => h.route === 'batch');
    expect(batch.map((h) => [h.event, h.device])).toEqual([
      ['progress', { name: 'Old page' }], // the beacon on hide failed too
      ['stop', { name: 'Old page' }],
    ]);
  });
});
