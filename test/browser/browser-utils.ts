/// <reference lib="dom" />
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { TestApp } from '../utils/create-app.js';
import { newestMtime } from '../utils/child-server.js';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * The rules the demo runs with in the browser tests: the service defaults (test apps turn them
 * off), but a play after 5 s instead of 60, so the browser plays for seconds, not a minute.
 */
export const DEMO_MIN_PLAY_SECONDS = 5;
export const DEMO_RULES = {
  MIN_PLAY_SECONDS: String(DEMO_MIN_PLAY_SECONDS),
  MIN_RESUME_DURATION_SECONDS: '300',
  CONTINUE_WATCHING_DAYS: '112',
};
export const ARTIFACTS = resolve('test-artifacts');

/** The flags the brief fixes: headless, no sandbox (CI runs as root), nothing phoning home. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

/** Builds the browser client (as `npm run build:client` does) unless client/dist is up to date. */
export function ensureClientBuilt(): void {
  const out = resolve('client/dist/index.js');
  if (existsSync(out) && statSync(out).mtimeMs >= newestMtime(resolve('client/src'))) return;
  execFileSync(process.execPath, [resolve('node_modules/typescript/bin/tsc'), '-p', resolve('client/tsconfig.json')], { stdio: 'inherit' });
}

/** Chromium with a fresh temporary profile (Playwright makes one per launch and deletes it). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** Serves the test app on a free port of 127.0.0.1 and returns its base URL. */
export async function listen(t: TestApp): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

/** Every request the service receives (`METHOD /path`), seen on the HTTP server itself. */
export function recordRequests(t: TestApp): string[] {
  const log: string[] = [];
  t.app.getHttpServer().prependListener('request', (req: IncomingMessage) => log.push(`${req.method} ${req.url?.split('?')[0]}`));
  return log;
}

/** Errors the page logs (CSP violations, uncaught exceptions), minus those offline mode causes on purpose. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    const url = msg.location().url;
    if (/ERR_INTERNET_DISCONNECTED|Failed to fetch/.test(text)) return;
    // Looking up the resume position of a never-watched item answers 404 by design.
    if (/status of 404/.test(text) && /\/v1\/history\/(movie|tv)\//.test(url)) return;
    errors.push(`console: ${text} (${url})`);
  });
  return errors;
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

/** In-page helpers for the demo's <video id="player">. */
export const player = {
  play: (page: Page) => page.evaluate(() => (document.getElementById('player') as HTMLVideoElement).play()),
  pause: (page: Page) =>
    page.evaluate(() => {
      const v = document.getElementById('player') as HTMLVideoElement;
      v.pause();
      return v.currentTime;
    }),
  time: (page: Page) => page.evaluate(() => (document.getElementById('player') as HTMLVideoElement).currentTime),
  /** Waits until the position reaches `seconds` while playing. */
  reach: (page: Page, seconds: number) =>
    page.waitForFunction((s) => (document.getElementById('player') as HTMLVideoElement).currentTime >= s, seconds, { timeout: 20_000 }),
  seek: (page: Page, seconds: number) =>
    page.evaluate(
      (s) =>
        new Promise<number>((done) => {
          const v = document.getElementById('player') as HTMLVideoElement;
          v.addEventListener('seeked', () => done(v.currentTime), { once: true });
          v.currentTime = s;
        }),
      seconds,
    ),
  /** The whole test pattern is in the browser's buffer (so going offline cannot stall it). */
  fullyBuffered: (page: Page) =>
    page.waitForFunction(
      () => {
        const v = document.getElementById('player') as HTMLVideoElement;
        return v.duration > 0 && v.buffered.length > 0 && v.buffered.end(v.buffered.length - 1) >= v.duration - 0.1;
      },
      undefined,
      { timeout: 20_000 },
    ),
  /** Set by the demo once `tracker.resume()` is done. */
  resumedAt: async (page: Page) => {
    await page.waitForFunction(() => (document.getElementById('player') as HTMLVideoElement).dataset.resumedAt !== undefined, undefined, { timeout: 15_000 });
    return page.evaluate(() => Number((document.getElementById('player') as HTMLVideoElement).dataset.resumedAt));
  },
};
