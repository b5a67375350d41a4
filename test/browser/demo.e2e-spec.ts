/// <reference lib="dom" />
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { CatalogService } from '../../src/catalog/catalog.service.js';
import type { Heartbeat } from '../../src/playtime/heartbeat.js';
import { createTestApp, type TestApp } from '../utils/create-app.js';
import {
  artifactPath,
  collectPageErrors,
  DEMO_MIN_PLAY_SECONDS,
  DEMO_RULES,
  ensureClientBuilt,
  launchChromium,
  listen,
  player,
  recordRequests,
} from './browser-utils.js';
import { until } from '../utils/until.js';

/**
 * The demo page in Debian's Chromium against the real service and database: the browser client
 * plays the test pattern, and what the database ends up with is compared to what the <video>
 * really played.
 */

const MATRIX = 603;
const INCEPTION = 27205;
const DARK_KNIGHT = 155;
const MIN_PLAY = DEMO_MIN_PLAY_SECONDS;
/** The test pattern's length: past MIN_RESUME_DURATION_SECONDS (300), so it resumes. */
const PATTERN_SECONDS = 600;

interface Row {
  total: number;
  position: number;
  duration: number;
}

describe('demo page in Chromium', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let requests: string[];
  let accepted: { userId: string; heartbeats: Heartbeat[] }[];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    ensureClientBuilt();
    t = await createTestApp({ DEMO_ENABLED: 'true', ...DEMO_RULES });
    // The browser lives in real time: receipt times must be on the same clock as its `occurredAt`.
    jest.spyOn(t.clock, 'now').mockImplementation(() => Date.now());
    await t.app.get(CatalogService).seedDemoIfEmpty();
    requests = recordRequests(t);
    accepted = [];
    const accept = t.batcher.accept.bind(t.batcher);
    jest.spyOn(t.batcher, 'accept').mockImplementation((userId, heartbeats) => {
      accepted.push({ userId, heartbeats: heartbeats.map((h) => ({ ...h })) });
      return accept(userId, heartbeats);
    });
    base = await listen(t);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
  });

  async function open(userId: string, hash = '') {
    const token = await t.token(userId);
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    contexts.push(context);
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${base}/demo/#token=${token}${hash ? `&${hash}` : ''}`);
    await page.locator('#catalog-grid .card').first().waitFor({ timeout: 15_000 });
    return { context, page, errors, token };
  }

  async function stored(userId: string, mediaId: number): Promise<Row | null> {
    await t.batcher.flush();
    const { rows } = await t.db.query<Row>(
      `SELECT total_played_s AS total, current_time_s AS position, total_duration_s AS duration
         FROM watch_history WHERE user_id = $1 AND media_type = 'movie' AND media_id = $2`,
      [userId, mediaId],
    );
    return rows[0] ?? null;
  }

  it('play, pause, seek, close the page: the stored total and position are what was played, the beacon arrived', async () => {
    const { page, errors } = await open('viewer-close');
    expect(await page.title()).toBe('Playtime demo');
    // the token left the address bar once read
    expect(page.url()).not.toContain('token=');

    await page.locator(`#catalog-grid .card[data-media-type="movie"][data-media-id="${INCEPTION}"]`).click();
    expect(await player.resumedAt(page)).toBe(0);
    expect(await page.locator('#now-playing').textContent()).toBe('Inception');

    await player.play(page);
    await player.reach(page, 3);
    const firstStretchEnd = await player.pause(page);
    await player.seek(page, 20);
    await player.play(page);
    await player.reach(page, 22.5);
    const beforeClose = await player.time(page);
    const beaconsBefore = requests.filter((r) => r === 'POST /v1/playtime/beacon').length;
    await page.close({ runBeforeUnload: true });

    await until('the page-close beacon', async () => requests.filter((r) => r === 'POST /v1/playtime/beacon').length > beaconsBefore);
    const played = firstStretchEnd + (beforeClose - 20);
    const row = await until('the stored row', async () => {
      const r = await stored('viewer-close', INCEPTION);
      return r && r.position >= beforeClose ? r : null;
    });
    // Only the beacon can carry the position past 22.5 s: the last heartbeat before it was the
    // one after the seek (~21 s), and the next interval heartbeat was still seconds away.
    expect(row.position).toBeGreaterThanOrEqual(beforeClose);
    expect(row.position).toBeLessThan(beforeClose + 1.5);
    expect(row.duration).toBeCloseTo(PATTERN_SECONDS, 1);
    // What the <video> played, to within the moment between reading it and the page going away;
    // the skipped 3 s → 20 s never counts.
    expect(row.total).toBeGreaterThanOrEqual(played - 0.3);
    expect(row.total).toBeLessThan(played + 1.5);
    expect(row.total).toBeLessThan(10);

    const beacon = accepted.filter((a) => a.userId === 'viewer-close').flatMap((a) => a.heartbeats).find((h) => h.event === 'stop');
    expect(beacon).toMatchObject({ mediaType: 'movie', mediaId: INCEPTION });
    expect(errors).toEqual([]);
  }, 90_000);

  it('go offline, play, come back online: the catch-up batch arrives with occurredAt and everything is stored', async () => {
    const { page, context, errors } = await open('viewer-offline');
    await page.locator(`#catalog-grid .card[data-media-id="${MATRIX}"]`).click();
    expect(await player.resumedAt(page)).toBe(0);
    await player.fullyBuffered(page);

    await player.play(page);
    await player.reach(page, 2);
    await until('the start heartbeat', async () => accepted.some((a) => a.userId === 'viewer-offline'));

    await context.setOffline(true);
    await page.waitForFunction(() => !navigator.onLine);
    const offlineFrom = Date.now();
    await player.reach(page, 4);
    const firstEnd = await player.pause(page);
    await player.seek(page, 10);
    await player.play(page);
    await player.reach(page, 12);
    const secondEnd = await player.pause(page);
    // pause, seek settled (1 s later), pause: all kept in the page
    await page.waitForFunction(() => (window as unknown as { playtimeDemo: { tracker: { queued: number } } }).playtimeDemo.tracker.queued >= 2, undefined, { timeout: 10_000 });
    await expect(page.locator('#status-online').textContent()).resolves.toContain('offline');
    const batchesBefore = requests.filter((r) => r === 'POST /v1/playtime/batch').length;
    const offlineUntil = Date.now();
    expect(accepted.filter((a) => a.userId === 'viewer-offline').flatMap((a) => a.heartbeats).some((h) => h.event === 'pause')).toBe(false);

    await context.setOffline(false);
    await page.waitForFunction(() => (window as unknown as { playtimeDemo: { tracker: { queued: number } } }).playtimeDemo.tracker.queued === 0, undefined, { timeout: 15_000 });
    expect(requests.filter((r) => r === 'POST /v1/playtime/batch').length).toBe(batchesBefore + 1);

    const caughtUp = accepted.filter((a) => a.userId === 'viewer-offline' && a.heartbeats.length > 1).at(-1)!.heartbeats;
    for (const hb of caughtUp) {
      expect(typeof hb.occurredAt?.getTime).toBe('function');
      expect(hb.occurredAt!.getTime()).toBeGreaterThanOrEqual(offlineFrom - 1000);
      expect(hb.occurredAt!.getTime()).toBeLessThanOrEqual(offlineUntil + 1000);
    }
    expect(caughtUp.map((h) => h.event)).toContain('pause');

    const played = firstEnd + (secondEnd - 10);
    const row = (await stored('viewer-offline', MATRIX))!;
    expect(row.position).toBeCloseTo(secondEnd, 1);
    expect(row.total).toBeGreaterThanOrEqual(played - 0.3);
    expect(row.total).toBeLessThan(played + 0.5);
    // the activity log shows the catch-up
    await expect(page.locator('#activity li[data-route="batch"]').count()).resolves.toBeGreaterThan(0);
    expect(errors).toEqual([]);
  }, 90_000);

  it('continue-watching and stats follow live; a reload resumes at resumeAt; screenshot', async () => {
    const { page, errors, token } = await open('viewer-resume');
    await expect(page.locator('#rule-min-play').textContent()).resolves.toBe(`${MIN_PLAY} s`);
    await page.locator(`#catalog-grid .card[data-media-id="${DARK_KNIGHT}"]`).click();
    expect(await player.resumedAt(page)).toBe(0);
    // past MIN_RESUME_PERCENT (5 % of 10 minutes), then a play: 8 s played
    await player.seek(page, 60);
    await player.play(page);
    await page.locator('#status-play[data-play="false"]').waitFor({ timeout: 10_000 });
    await player.reach(page, 68);
    await page.locator('#status-play[data-play="true"]').waitFor({ timeout: 10_000 });
    const stoppedAt = await player.pause(page);

    // the pause heartbeat refreshes the row and the stats without a reload
    // (an earlier heartbeat may have shown it at 10 % already: wait for the paused position)
    const progress = Math.round((100 * stoppedAt) / PATTERN_SECONDS);
    await page.locator(`#continue-row .card[data-media-id="${DARK_KNIGHT}"][data-progress="${progress}"]`).waitFor({ timeout: 10_000 });
    await page.waitForFunction(() => Number(document.getElementById('stats-total')?.dataset.seconds) >= 7.5, undefined, { timeout: 10_000 });
    // the history list shows it too, not hidden
    await page.locator(`#history-list .history-item[data-media-id="${DARK_KNIGHT}"][data-hidden="false"]`).waitFor({ timeout: 10_000 });
    await expect(page.locator('#stats-chart canvas').count()).resolves.toBeGreaterThan(0);

    const api = await t.http().get(`/v1/history/movie/${DARK_KNIGHT}`).set('Authorization', `Bearer ${token}`).expect(200);
    expect(api.body.resumeAt).toBeCloseTo(stoppedAt, 2);

    await page.reload();
    const resumedAt = await player.resumedAt(page);
    expect(resumedAt).toBeCloseTo(api.body.resumeAt, 3);
    await page.waitForFunction((at) => Math.abs((document.getElementById('player') as HTMLVideoElement).currentTime - at) < 0.05, resumedAt);
    await expect(page.locator('#resume-note').textContent()).resolves.toMatch(/^Resumed at 1:0[78]\.$/);

    await page.locator('#continue-row .card').first().waitFor();
    await page.screenshot({ path: artifactPath('demo.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 90_000);

  it('in development-token mode, "Sign in" gets a demo token from the service', async () => {
    const dataDir = resolve(`.data/test-demo-${randomBytes(4).toString('hex')}`);
    const dev = await createTestApp({ JWT_SECRET: '', PLAYTIME_DATA_DIR: dataDir });
    try {
      await dev.app.get(CatalogService).seedDemoIfEmpty();
      const devBase = await listen(dev);
      const context = await browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      const errors = collectPageErrors(page);
      await page.goto(`${devBase}/demo/`);
      await expect(page.locator('#app').isHidden()).resolves.toBe(true);
      await page.locator('#signin-user').fill('demo-bob');
      await page.locator('#signin button[type="submit"]').click();
      await page.locator('#catalog-grid .card').first().waitFor({ timeout: 15_000 });
      await expect(page.locator('#user-name').textContent()).resolves.toBe('demo-bob');
      // the token is the service's own: the (authenticated) statistics came back
      await page.locator('#stats-total[data-seconds="0"]').waitFor({ timeout: 10_000 });
      await page.locator('#signout').click();
      await expect(page.locator('#signin').isVisible()).resolves.toBe(true);
      expect(await page.evaluate(() => localStorage.getItem('playtime.demo.token'))).toBeNull();
      expect(errors).toEqual([]);
    } finally {
      await dev.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
