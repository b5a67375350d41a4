/// <reference lib="dom" />
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CatalogService } from '../../src/catalog/catalog.service.js';
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
 * The demo page's SPEC §7 parts in Debian's Chromium against the real service: the settings
 * panel, hiding from continue watching and unhiding from the history, and "open and close" (a
 * short session leaves the resume point where it was).
 */

const INCEPTION = 27205;
const DARK_KNIGHT = 155;
const CHERNOBYL = 87108;
const MIN_PLAY = DEMO_MIN_PLAY_SECONDS;
const PATTERN_SECONDS = 600;

describe('demo page in Chromium: plays, hiding and settings', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let requests: string[];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    ensureClientBuilt();
    t = await createTestApp({ DEMO_ENABLED: 'true', ...DEMO_RULES });
    // The browser lives in real time: receipt times must be on the same clock as its `occurredAt`.
    jest.spyOn(t.clock, 'now').mockImplementation(() => Date.now());
    await t.app.get(CatalogService).seedDemoIfEmpty();
    requests = recordRequests(t);
    base = await listen(t);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
  });

  async function open(userId: string) {
    const token = await t.token(userId);
    const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
    contexts.push(context);
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${base}/demo/#token=${token}`);
    await page.locator('#catalog-grid .card').first().waitFor({ timeout: 15_000 });
    return { page, errors, token };
  }

  const apiGet = (token: string, path: string) => t.http().get(path).set('Authorization', `Bearer ${token}`);

  /** Opens a catalogue card (a show: its first episode), plays `from`→`to` and pauses there. */
  async function playStretch(page: Page, mediaId: number, from: number, to: number): Promise<number> {
    await page.locator(`#catalog-grid .card[data-media-id="${mediaId}"]`).click();
    await player.resumedAt(page);
    await player.seek(page, from);
    await player.play(page);
    await player.reach(page, to);
    return player.pause(page);
  }

  const progressOf = (at: number) => Math.round((100 * at) / PATTERN_SECONDS);
  const continueCard = (page: Page, mediaId: number, progress?: number) =>
    page.locator(`#continue-row .continue-entry[data-media-id="${mediaId}"] .card${progress === undefined ? '' : `[data-progress="${progress}"]`}`);

  it('settings: the panel shows the effective values, names the field of a 400, and saves a valid change', async () => {
    const { page, errors, token } = await open('curation-settings');
    const input = (name: string) => page.locator(`#settings-form input[name="${name}"]`);
    await page.waitForFunction(() => (document.querySelector('#settings-form input[name="finishedPercent"]') as HTMLInputElement).value !== '');
    await expect(input('finishedPercent').inputValue()).resolves.toBe('90');
    await expect(input('minResumePercent').inputValue()).resolves.toBe('5');
    await expect(input('continueWatchingDays').inputValue()).resolves.toBe('112');
    await expect(input('autoDeleteDays').inputValue()).resolves.toBe('0');

    await input('finishedPercent').fill('40');
    await page.locator('#settings-save').click();
    await page.locator('#settings-errors li[data-field="finishedPercent"]').waitFor({ timeout: 10_000 });
    await expect(input('finishedPercent').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.locator('#settings-status').textContent()).resolves.toBe('Not saved:');
    expect((await apiGet(token, '/v1/me/settings').expect(200)).body.finishedPercent).toBe(90);

    await input('finishedPercent').fill('80');
    await input('minResumePercent').fill('85');
    await page.locator('#settings-save').click();
    await page.locator('#settings-errors li[data-field="minResumePercent"]').waitFor({ timeout: 10_000 });
    await expect(input('finishedPercent').getAttribute('aria-invalid')).resolves.toBeNull();

    await input('minResumePercent').fill('10');
    await input('continueWatchingDays').fill('7');
    await page.locator('#settings-save').click();
    await page.locator('#settings-status', { hasText: 'Saved.' }).waitFor({ timeout: 10_000 });
    await expect(page.locator('#settings-errors li').count()).resolves.toBe(0);
    expect((await apiGet(token, '/v1/me/settings').expect(200)).body).toEqual({
      finishedPercent: 80, minResumePercent: 10, continueWatchingDays: 7, autoDeleteDays: 0,
    });

    // an emptied field goes back to the service default
    await input('continueWatchingDays').fill('');
    await page.locator('#settings-save').click();
    await page.waitForFunction(() => (document.querySelector('#settings-form input[name="continueWatchingDays"]') as HTMLInputElement).value === '112');
    expect((await apiGet(token, '/v1/me/settings').expect(200)).body.continueWatchingDays).toBe(112);
    // the browser logs the two refused PATCHes, and nothing else
    expect(errors).toEqual([expect.stringMatching(/status of 400 .*\/v1\/me\/settings/), expect.stringMatching(/status of 400 .*\/v1\/me\/settings/)]);
  }, 60_000);

  it('hide: an entry leaves continue watching, stays in the history marked hidden, and comes back when unhidden', async () => {
    const { page, errors, token } = await open('curation-hide');
    const stoppedAt = await playStretch(page, DARK_KNIGHT, 60, 60 + MIN_PLAY + 2);
    await continueCard(page, DARK_KNIGHT, progressOf(stoppedAt)).waitFor({ timeout: 10_000 });

    const sent = requests.length;
    await page.locator(`#continue-row .continue-entry[data-media-id="${DARK_KNIGHT}"] button.hide[data-scope="item"]`).click();
    await continueCard(page, DARK_KNIGHT).waitFor({ state: 'detached', timeout: 10_000 });
    // The player was on it: it closed first, and its `stop` went out before the hide (a heartbeat
    // received after the hide would unhide the item).
    await expect(page.locator('#player-section').isHidden()).resolves.toBe(true);
    const after = requests.slice(sent);
    const hideAt = after.indexOf(`PUT /v1/history/movie/${DARK_KNIGHT}/hidden`);
    expect(hideAt).toBeGreaterThan(0);
    expect(after.slice(0, hideAt).some((r) => r.startsWith('POST /v1/playtime'))).toBe(true);
    const row = page.locator(`#history-list .history-item[data-media-id="${DARK_KNIGHT}"]`);
    await page.locator(`#history-list .history-item[data-media-id="${DARK_KNIGHT}"][data-hidden="true"]`).waitFor({ timeout: 10_000 });
    await expect(row.locator('.badge').textContent()).resolves.toBe('hidden');
    const item = (await apiGet(token, `/v1/history/movie/${DARK_KNIGHT}`).expect(200)).body;
    expect(item).toMatchObject({ hidden: true, progress: progressOf(stoppedAt) });

    // "hidden only" lists just the hidden ones
    await playStretch(page, INCEPTION, 60, 60 + MIN_PLAY + 1);
    await page.locator(`#history-list .history-item[data-media-id="${INCEPTION}"]`).waitFor({ timeout: 10_000 });
    await page.locator('#history-only-hidden').check();
    await page.waitForFunction((id) => {
      const rows = [...document.querySelectorAll<HTMLElement>('#history-list .history-item')];
      return rows.length === 1 && rows[0].dataset.mediaId === String(id);
    }, DARK_KNIGHT);
    await page.screenshot({ path: artifactPath('demo-hidden.png'), fullPage: true });

    await row.locator('button.unhide').click();
    await page.locator('#history-list li', { hasText: 'Nothing hidden.' }).waitFor({ timeout: 10_000 });
    await continueCard(page, DARK_KNIGHT).waitFor({ timeout: 10_000 });
    expect((await apiGet(token, `/v1/history/movie/${DARK_KNIGHT}`).expect(200)).body.hidden).toBe(false);
    expect(errors).toEqual([]);
  }, 90_000);

  it('hide show: every episode of the show leaves continue watching; "Unhide show" in the history brings it back', async () => {
    const { page, errors, token } = await open('curation-hide-show');
    const stoppedAt = await playStretch(page, CHERNOBYL, 60, 60 + MIN_PLAY + 2);
    await continueCard(page, CHERNOBYL, progressOf(stoppedAt)).waitFor({ timeout: 10_000 });
    const entry = page.locator(`#continue-row .continue-entry[data-media-id="${CHERNOBYL}"]`);
    await expect(entry.getAttribute('data-season')).resolves.toBe('1');
    await expect(entry.getAttribute('data-episode')).resolves.toBe('1');

    await entry.locator('button.hide[data-scope="show"]').click();
    await continueCard(page, CHERNOBYL).waitFor({ state: 'detached', timeout: 10_000 });
    await page.locator(`#history-list .history-item[data-media-id="${CHERNOBYL}"][data-hidden="true"]`).waitFor({ timeout: 10_000 });
    const episode = (await apiGet(token, `/v1/history/tv/${CHERNOBYL}?seasonNumber=1&episodeNumber=1`).expect(200)).body;
    expect(episode.hidden).toBe(true);

    await page.locator(`#history-list .history-item[data-media-id="${CHERNOBYL}"] button.unhide`).click();
    await continueCard(page, CHERNOBYL).waitFor({ timeout: 10_000 });
    await page.locator(`#history-list .history-item[data-media-id="${CHERNOBYL}"][data-hidden="false"]`).waitFor({ timeout: 10_000 });
    expect(errors).toEqual([]);
  }, 90_000);

  it('open and close: a short session from 0:00 counts in the statistics but leaves the resume point where it was', async () => {
    const { page, errors, token } = await open('curation-short');
    await expect(page.locator('#rule-min-play').getAttribute('data-seconds')).resolves.toBe(String(MIN_PLAY));
    const stoppedAt = await playStretch(page, INCEPTION, 120, 120 + MIN_PLAY + 2);
    await continueCard(page, INCEPTION, progressOf(stoppedAt)).waitFor({ timeout: 10_000 });
    const before = (await apiGet(token, `/v1/history/movie/${INCEPTION}`).expect(200)).body;
    expect(before.resumeAt).toBeCloseTo(stoppedAt, 1);

    await page.locator('#open-close').click();
    const result = page.locator('#open-close-result[data-after]');
    await result.waitFor({ timeout: 30_000 });
    const played = Number(await result.getAttribute('data-played'));
    expect(played).toBeGreaterThan(1);
    expect(played).toBeLessThan(MIN_PLAY);
    expect(Number(await result.getAttribute('data-before'))).toBeCloseTo(stoppedAt, 1);
    expect(Number(await result.getAttribute('data-after'))).toBeCloseTo(stoppedAt, 1);
    await expect(result.textContent()).resolves.toContain('unchanged');

    const after = (await apiGet(token, `/v1/history/movie/${INCEPTION}`).expect(200)).body;
    expect(after).toMatchObject({ resumeAt: before.resumeAt, currentTime: before.currentTime, progress: before.progress });
    // every second counts in the totals, the short session's too
    expect(after.totalPlayedSeconds).toBeGreaterThanOrEqual(before.totalPlayedSeconds + played - 0.5);
    // the page reopened the item at its unchanged resume point
    await until('the player back at the resume point', async () => Math.abs((await player.time(page)) - stoppedAt) < 0.5);
    await continueCard(page, INCEPTION, progressOf(stoppedAt)).waitFor({ timeout: 10_000 });
    expect(errors).toEqual([]);
  }, 90_000);
});
