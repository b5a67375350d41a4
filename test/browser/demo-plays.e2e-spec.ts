/// <reference lib="dom" />
import type { Browser, BrowserContext } from 'playwright-core';
import { CatalogService } from '../../src/catalog/catalog.service.js';
import { createTestApp, type TestApp } from '../utils/create-app.js';
import { artifactPath, collectPageErrors, ensureClientBuilt, launchChromium, listen, player } from './browser-utils.js';

/**
 * The demo page's plays log (SPEC §8) in Debian's Chromium against the real service: after
 * playing, "Your plays" lists the session with this browser as its device, before the flush
 * (read-your-own-writes) and after it; the statistics show when it was watched.
 */

const INCEPTION = 27205;
const MIN_PLAY = 5;

describe('demo page in Chromium: your plays', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    ensureClientBuilt();
    t = await createTestApp({ DEMO_ENABLED: 'true', MIN_PLAY_SECONDS: String(MIN_PLAY) });
    // The browser lives in real time: receipt times must be on the same clock as its `occurredAt`.
    jest.spyOn(t.clock, 'now').mockImplementation(() => Date.now());
    await t.app.get(CatalogService).seedDemoIfEmpty();
    base = await listen(t);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
  });

  it('lists a play with its device, positions and time after playing, and shows the hours and weekdays watched', async () => {
    const userId = 'demo-plays';
    const token = await t.token(userId);
    context = await browser.newContext({ viewport: { width: 1280, height: 1500 } });
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${base}/demo/#token=${token}`);
    await page.locator('#catalog-grid .card').first().waitFor({ timeout: 15_000 });
    await expect(page.locator('#plays-list li.muted').textContent()).resolves.toMatch(/No plays yet/);

    await page.locator(`#catalog-grid .card[data-media-type="movie"][data-media-id="${INCEPTION}"]`).click();
    await player.resumedAt(page);
    await player.seek(page, 30);
    await player.play(page);
    await player.reach(page, 30 + MIN_PLAY + 3);
    const stoppedAt = await player.pause(page);

    // not flushed yet: the list already shows it, with this browser as the device
    const entry = page.locator(`#plays-list .play[data-media-id="${INCEPTION}"]`);
    await entry.waitFor({ timeout: 15_000 });
    await expect(entry.getAttribute('data-platform')).resolves.toBe('linux'); // the tracker's default device: Chromium on Linux
    await expect(entry.locator('.device').textContent()).resolves.toMatch(/^.+ on Linux · linux$/);
    await expect(entry.locator('.card-title').textContent()).resolves.toBe('Inception');
    await expect(entry.textContent()).resolves.toContain('0:30 →');

    const listed = (await t.http().get('/v1/history/plays').set('Authorization', `Bearer ${token}`).expect(200)).body.items;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ mediaType: 'movie', mediaId: INCEPTION, finished: false, device: { platform: 'linux' } });
    expect(listed[0].device.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(listed[0].fromPosition).toBeCloseTo(30, 0);
    expect(listed[0].toPosition).toBeGreaterThan(30 + MIN_PLAY);
    expect(listed[0].toPosition).toBeLessThanOrEqual(stoppedAt + 0.5);
    expect(listed[0].playedSeconds).toBeGreaterThanOrEqual(MIN_PLAY);

    // stored: the same play after a reload, and the statistics' hours and weekdays
    await t.batcher.flush();
    await page.reload();
    await entry.waitFor({ timeout: 15_000 });
    await expect(entry.getAttribute('data-session-id')).resolves.toBe(listed[0].sessionId);
    await page.locator('#stats-hours .bar-col').nth(23).waitFor({ timeout: 15_000 });
    const sums = await page.evaluate(() =>
      ['stats-hours', 'stats-weekdays'].map((id) => [...document.querySelectorAll(`#${id} .bar-col`)].map((c) => Number((c as HTMLElement).dataset.seconds))),
    );
    expect(sums[0]).toHaveLength(24);
    expect(sums[1]).toHaveLength(7);
    expect(sums[0].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(MIN_PLAY);
    expect(sums[1].reduce((a, b) => a + b, 0)).toBeCloseTo(sums[0].reduce((a, b) => a + b, 0), 3);

    await page.locator('#plays-list').scrollIntoViewIfNeeded();
    await page.screenshot({ path: artifactPath('demo-plays.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});
