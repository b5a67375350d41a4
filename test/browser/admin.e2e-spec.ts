/// <reference lib="dom" />
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestApp, episodeHeartbeat, movieHeartbeat, type TestApp } from '../utils/create-app.js';
import { catalogEntries } from '../factories/catalog.factory.js';
import { artifactPath, collectPageErrors, launchChromium, listen } from './browser-utils.js';

/**
 * The admin dashboard in Debian's Chromium against the real service and database: a few users on
 * several platforms watch over four days (batches with `occurredAt`), two sessions are live, and
 * every chart and table must show what the admin routes answer.
 */

const TZ = 'Europe/Paris';
const DAYS = 14;
const DEVICES = [
  { id: 'tv-1', name: 'Living room TV', platform: 'tizen' },
  { id: 'web-1', name: 'Firefox', platform: 'web' },
  { id: 'ios-1', name: 'iPhone', platform: 'ios' },
  { id: 'and-1', name: 'Pixel 8', platform: 'android' },
  undefined, // a player that never says where it plays: platform "unknown"
];
const USERS = ['ana', 'ben', 'chloe', 'dan', 'eve'];
const ITEMS = [
  { mediaType: 'movie', mediaId: 550, title: 'Fight Club', totalDuration: 8400 },
  { mediaType: 'movie', mediaId: 27205, title: 'Inception', totalDuration: 8880 },
  { mediaType: 'tv', mediaId: 1399, seasonNumber: 1, episodeNumber: 1, title: 'Winter Is Coming', totalDuration: 3600 },
];
const SESSION_SECONDS = 1200;

interface ReportRow {
  date?: string;
  platform?: string;
  title?: string;
  watchSeconds: number;
  viewers: number;
}

describe('admin dashboard in Chromium', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let admin: { Authorization: string };
  /** The live sessions the first test starts and the second one follows. */
  const contexts: BrowserContext[] = [];

  /** Noon UTC `n` days before today, plus `s` seconds: sessions never cross a day in UTC or Paris. */
  const at = (n: number, s: number) => new Date(Date.parse(`${new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10)}T12:00:00Z`) + s * 1000).toISOString();

  async function send(userId: string, heartbeats: Record<string, unknown>[]) {
    await t.http().post('/v1/playtime/batch').set('Authorization', `Bearer ${await t.token(userId)}`).send({ heartbeats }).expect(202);
  }

  /** A session playing now on `device`: its first heartbeat 30 s ago, its latest now. */
  async function goLive(userId: string, device: (typeof DEVICES)[number]): Promise<string> {
    const sessionId = randomUUID();
    const item = { ...ITEMS[1], device };
    await send(userId, [
      movieHeartbeat({ ...item, sessionId, event: 'start', currentTime: 1800, playedSeconds: 0, occurredAt: new Date(Date.now() - 30_000).toISOString() }),
      movieHeartbeat({ ...item, sessionId, event: 'progress', currentTime: 1830, playedSeconds: 30 }),
    ]);
    await t.batcher.flush();
    return sessionId;
  }

  beforeAll(async () => {
    t = await createTestApp();
    // The browser lives in real time: receipt times must be on the same clock as its requests.
    jest.spyOn(t.clock, 'now').mockImplementation(() => Date.now());
    admin = { Authorization: `Bearer ${await t.token('ops', { admin: true })}` };
    await catalogEntries(t, [
      { mediaType: 'movie', mediaId: 550, title: 'Fight Club', runtimeSeconds: 8400 },
      { mediaType: 'movie', mediaId: 27205, title: 'Inception', runtimeSeconds: 8880 },
      { mediaType: 'tv', mediaId: 1399, title: 'Game of Thrones' },
    ]);
    // Four days; each day the five users start 5 minutes (and a second) apart and watch 20 minutes,
    // so at most four of them play at once. Ana finishes what she watches on the first day.
    for (const [u, userId] of USERS.entries()) {
      const heartbeats: Record<string, unknown>[] = [];
      for (let d = 4; d >= 1; d--) {
        const { mediaType, mediaId, seasonNumber, episodeNumber, title, totalDuration } = ITEMS[(u + d) % ITEMS.length];
        const common = { sessionId: randomUUID(), mediaType, mediaId, seasonNumber, episodeNumber, title, totalDuration, device: DEVICES[u] };
        const make = mediaType === 'tv' ? episodeHeartbeat : movieHeartbeat;
        const start = u * 301;
        const end = u === 0 && d === 4 ? totalDuration - 60 : 2400;
        heartbeats.push(
          make({ ...common, event: 'start', currentTime: end - SESSION_SECONDS, playedSeconds: 0, occurredAt: at(d, start) }),
          make({ ...common, event: 'progress', currentTime: end - SESSION_SECONDS / 2, playedSeconds: SESSION_SECONDS / 2, occurredAt: at(d, start + SESSION_SECONDS / 2) }),
          make({ ...common, event: 'stop', currentTime: end, playedSeconds: SESSION_SECONDS, occurredAt: at(d, start + SESSION_SECONDS) }),
        );
      }
      await send(userId, heartbeats);
    }
    await t.batcher.flush();
    base = await listen(t);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
  });

  async function openPage(url: string): Promise<{ page: Page; errors: string[]; queries: URLSearchParams[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, timezoneId: TZ, locale: 'en-GB' });
    contexts.push(context);
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    const queries: URLSearchParams[] = [];
    page.on('request', (req) => {
      const u = new URL(req.url());
      if (u.pathname.startsWith('/v1/admin/')) queries.push(new URLSearchParams([['route', u.pathname], ...u.searchParams]));
    });
    await page.goto(url);
    return { page, errors, queries };
  }

  async function useToken(page: Page, token: string) {
    await page.locator('#token-input').fill(token);
    await page.locator('#token-form button[type="submit"]').click();
  }

  const data = (page: Page, selector: string, name: string) => page.locator(selector).getAttribute(`data-${name}`);

  /** Runs `action`, then waits until the page has loaded every report once more. */
  async function reloaded(page: Page, action: () => Promise<void>) {
    const before = await page.evaluate(() => Number(document.body.dataset.loaded ?? 0));
    await action();
    await page.waitForFunction((n) => Number(document.body.dataset.loaded ?? 0) > n, before, { timeout: 15_000 });
  }

  it('shows readable errors for a refused token, then every chart and table from an admin token; now playing follows live', async () => {
    const ana = await goLive('ana', DEVICES[0]);
    const { page, errors, queries } = await openPage(`${base}/admin`);
    expect(await page.title()).toBe('Playtime admin');
    await expect(page.locator('#tz').textContent()).resolves.toBe(TZ);

    // a viewer's token: 403, said in words
    await useToken(page, await t.token('ana'));
    await page.locator('#notice', { hasText: 'not an admin' }).waitFor({ timeout: 10_000 });
    await page.locator('#err-hours', { hasText: 'not an admin' }).waitFor();
    // not a token at all: 401
    await useToken(page, 'not-a-token');
    await page.locator('#notice', { hasText: 'token was refused' }).waitFor({ timeout: 10_000 });
    // every panel has had its 401 before the console is checked and cleared
    for (const panel of ['#err-hours', '#err-concurrency', '#err-titles', '#err-platforms', '#err-now']) {
      await page.locator(panel, { hasText: 'token was refused' }).waitFor({ timeout: 10_000 });
    }
    expect(errors.filter((e) => !/status of 40[13]/.test(e))).toEqual([]);
    errors.length = 0;

    const token = admin.Authorization.slice('Bearer '.length);
    await reloaded(page, () => useToken(page, token));
    await expect(page.locator('#notice').isHidden()).resolves.toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem('playtime.admin.token'))).toBe(token);
    await expect(page.locator('#whoami').textContent()).resolves.toBe('Signed in as ops');

    // the window the page asked for: the last 14 days in the browser's zone, which the concurrency report got too
    const from = await page.locator('#from').inputValue();
    const to = await page.locator('#to').inputValue();
    const todayInTz = new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(new Date());
    expect(to).toBe(todayInTz);
    expect((Date.parse(to) - Date.parse(from)) / 86_400_000).toBe(DAYS - 1);
    const concurrencyQuery = queries.find((q) => q.get('route') === '/v1/admin/reports/concurrency')!;
    expect(Object.fromEntries(concurrencyQuery)).toMatchObject({ from, to, interval: '1h', tz: TZ });

    const report = async (groupBy: string) =>
      (await t.http().get('/v1/admin/reports/watch-hours').query({ from, to, groupBy }).set(admin).expect(200)).body.rows as ReportRow[];
    const byDay = await report('day');
    const total = byDay.reduce((s, r) => s + r.watchSeconds, 0);
    expect(total).toBeGreaterThanOrEqual(USERS.length * 4 * SESSION_SECONDS);

    // watch hours per day: one bar a day, the same hours as the report
    await expect(page.locator('#chart-hours canvas').count()).resolves.toBe(1);
    expect(Number(await data(page, '#chart-hours', 'points'))).toBe(DAYS);
    expect(Number(await data(page, '#chart-hours', 'sums'))).toBeCloseTo(total / 3600, 6);
    expect(byDay.filter((r) => r.watchSeconds > 0).length).toBeGreaterThanOrEqual(4);

    // concurrency: every hour of the window, and the peak of the four overlapping viewers
    const concurrency = (await t.http().get('/v1/admin/reports/concurrency').query({ from, to, interval: '1h', tz: TZ }).set(admin).expect(200)).body.rows as {
      peakViewers: number;
      peakSessions: number;
    }[];
    expect(Math.max(...concurrency.map((r) => r.peakViewers))).toBe(4);
    await expect(page.locator('#chart-concurrency canvas').count()).resolves.toBe(1);
    expect(Number(await data(page, '#chart-concurrency', 'points'))).toBe(concurrency.length);
    expect(concurrency.length).toBeGreaterThanOrEqual(DAYS * 24 - 1);
    const [viewerSum, sessionSum] = (await data(page, '#chart-concurrency', 'sums'))!.split(',').map(Number);
    expect(viewerSum).toBe(concurrency.reduce((s, r) => s + r.peakViewers, 0));
    expect(sessionSum).toBe(concurrency.reduce((s, r) => s + r.peakSessions, 0));
    expect(viewerSum).toBeGreaterThan(0);
    await expect(page.locator('#concurrency-peak').textContent()).resolves.toContain('peak 4 viewers');

    // top titles: the report's order and titles (the catalogue's, the show's for an episode)
    const byMedia = (await report('media')).sort((a, b) => b.watchSeconds - a.watchSeconds);
    const titleCells = await page.locator('#top-titles tbody tr td:first-child').allTextContents();
    expect(titleCells).toEqual(byMedia.map((r) => r.title));
    expect(new Set(titleCells)).toEqual(new Set(['Fight Club', 'Inception', 'Game of Thrones']));

    // platforms: one row each, adding up to the day total
    const platformCells = await page.locator('#platforms tbody tr td:first-child').allTextContents();
    expect(new Set(platformCells)).toEqual(new Set(['tizen', 'web', 'ios', 'android', 'unknown']));
    expect(Number(await data(page, '#platforms', 'total-seconds'))).toBeCloseTo(total, 6);

    // now playing: Ana's live session, with its device; then Dan starts, without a reload
    const row = (sessionId: string) => page.locator(`#now-playing tr[data-session-id="${sessionId}"]`);
    await row(ana).waitFor({ timeout: 10_000 });
    const cells = await row(ana).locator('td').allTextContents();
    expect([cells[0], cells[1], cells[4]]).toEqual(['ana', 'Inception', 'Living room TV · tizen']);
    expect(cells[6]).toMatch(/^\d+ s ago$/);
    const playing = Number(await page.locator('#now-count').textContent());
    const dan = await goLive('dan', DEVICES[3]);
    await row(dan).waitFor({ timeout: 15_000 });
    await expect(page.locator('#now-count').textContent()).resolves.toBe(String(playing + 1));
    await expect(row(dan).locator('td').nth(4).textContent()).resolves.toBe('Pixel 8 · android');

    await page.screenshot({ path: artifactPath('admin-dashboard.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 90_000);

  it('now playing shows where each session is and drops a stopped one without a reload', async () => {
    // sessions of its own, so the test holds in any order
    const ana = await goLive('ana', DEVICES[0]);
    const dan = await goLive('dan', DEVICES[3]);
    const { page, errors } = await openPage(`${base}/admin/`);
    await reloaded(page, () => useToken(page, admin.Authorization.slice('Bearer '.length)));
    const row = (sessionId: string) => page.locator(`#now-playing tr[data-session-id="${sessionId}"]`);
    await row(ana).waitFor({ timeout: 10_000 });
    await expect(row(ana).locator('td').allTextContents()).resolves.toEqual([
      'ana',
      'Inception',
      expect.stringMatching(/^ ?30:30 \/ 2:28:00$/),
      'progress',
      'Living room TV · tizen',
      expect.any(String),
      expect.stringMatching(/^\d+ s ago$/),
    ]);
    await expect(row(ana).locator('progress').getAttribute('value')).resolves.toBe(String(Math.round((100 * 1830) / 8880)));
    await row(dan).waitFor();
    const playing = Number(await page.locator('#now-count').textContent());
    await send('ana', [movieHeartbeat({ ...ITEMS[1], sessionId: ana, event: 'stop', currentTime: 1835, playedSeconds: 35 })]);
    await t.batcher.flush();
    await row(ana).waitFor({ state: 'detached', timeout: 15_000 });
    await expect(page.locator('#now-count').textContent()).resolves.toBe(String(playing - 1));
    await row(dan).waitFor();
    expect(errors).toEqual([]);
  }, 60_000);

  it('a window the service refuses is said in words, naming the field', async () => {
    const { page, errors } = await openPage(`${base}/admin/`);
    await reloaded(page, () => useToken(page, admin.Authorization.slice('Bearer '.length)));
    await page.locator('#from').fill('2020-01-01');
    await page.locator('#range button[type="submit"]').click();
    await page.locator('#err-hours', { hasText: 'refused the request' }).waitFor({ timeout: 10_000 });
    await expect(page.locator('#err-hours').textContent()).resolves.toMatch(/to: .*366 days/);
    expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  }, 60_000);

  it('a 503 is said in words with its Retry-After', async () => {
    const { page } = await openPage(`${base}/admin/`);
    // What a draining instance answers (the service's own 503s need a shutdown or an identity provider).
    await page.route('**/v1/admin/now-playing*', (route) =>
      route.fulfill({
        status: 503,
        headers: { 'Content-Type': 'application/json', 'Retry-After': '7' },
        body: JSON.stringify({ statusCode: 503, error: 'Service Unavailable', message: 'Shutting down' }),
      }),
    );
    await reloaded(page, () => useToken(page, admin.Authorization.slice('Bearer '.length)));
    await expect(page.locator('#err-now').textContent()).resolves.toBe('The service is unavailable right now (retry in 7 s): Shutting down');
    // the other panels are unaffected
    await expect(page.locator('#err-hours').textContent()).resolves.toBe('');
    expect(Number(await data(page, '#top-titles', 'rows'))).toBe(ITEMS.length);
  }, 60_000);

  it('in development-token mode, "Get a development token" signs in as an admin', async () => {
    const dataDir = resolve(`.data/test-admin-${randomBytes(4).toString('hex')}`);
    const dev = await createTestApp({ JWT_SECRET: '', PLAYTIME_DATA_DIR: dataDir });
    try {
      const { page, errors } = await openPage(`${await listen(dev)}/admin/`);
      await expect(page.locator('#whoami').textContent()).resolves.toBe('No token yet.');
      await reloaded(page, () => page.locator('#dev-token').click());
      await expect(page.locator('#whoami').textContent()).resolves.toBe('Signed in as demo-admin');
      await expect(page.locator('#notice').isHidden()).resolves.toBe(true);
      // an empty service: the charts are drawn with zeros, the tables say so
      expect(Number(await data(page, '#chart-hours', 'points'))).toBe(DAYS);
      await expect(page.locator('#top-titles tbody').textContent()).resolves.toContain('Nothing watched');
      await page.locator('#forget-token').click();
      expect(await page.evaluate(() => sessionStorage.getItem('playtime.admin.token'))).toBeNull();
      expect(errors).toEqual([]);
    } finally {
      await dev.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('where the service gives no development token, the button says how to get one', async () => {
    const { page } = await openPage(`${base}/admin/`);
    await page.locator('#dev-token').click();
    await page.locator('#notice', { hasText: 'npm run token -- <userId> --admin' }).waitFor({ timeout: 10_000 });
    expect(await page.evaluate(() => sessionStorage.getItem('playtime.admin.token'))).toBeNull();
    await expect(page.locator('#whoami').textContent()).resolves.toBe('No token yet.');
  }, 30_000);
});
