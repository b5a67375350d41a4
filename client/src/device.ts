import type { Device } from './api-types.js';
import type { KeyValueStorage } from './outbox.js';

export type { Device };

/** Where the device id is kept (`localStorage` by default). */
export const DEVICE_ID_KEY = 'playtime:device-id';

/** The service refuses longer `device` fields. */
const MAX_LENGTH = 100;

/** Used when storage is missing or refuses: stable for the life of the page. */
let memoryId: string | null = null;

/**
 * What the tracker sends as `device` unless told otherwise: a random id kept in `storage` (made
 * once, then reused by every page of the site), a platform token and a readable name from the
 * user agent, e.g. `{ id: '5f0c…', name: 'Chrome on Windows', platform: 'windows' }`. The raw user
 * agent is never sent.
 */
export function defaultDevice(storage: KeyValueStorage | null, userAgent: string | null | undefined, randomUUID: () => string): Device {
  const ua = userAgent ?? '';
  const platform = platformOf(ua);
  return { id: deviceId(storage, randomUUID), name: clip(nameOf(ua, platform)), platform };
}

/** The id kept under `DEVICE_ID_KEY`, created on first use; memory only when storage fails. */
function deviceId(storage: KeyValueStorage | null, randomUUID: () => string): string {
  if (storage) {
    try {
      const kept = storage.getItem(DEVICE_ID_KEY);
      if (kept && kept.length <= MAX_LENGTH) return kept;
      const id = randomUUID();
      storage.setItem(DEVICE_ID_KEY, id);
      return id;
    } catch {
      // Disabled or full (private mode, sandboxed iframe): fall back to memory.
    }
  }
  memoryId ??= randomUUID();
  return memoryId;
}

/** A short lower-case token: android, ios, tizen, webos, chromeos, windows, macos, linux, else web. */
export function platformOf(userAgent: string): string {
  const ua = userAgent;
  // TVs and phones first: their user agents also name Linux (and sometimes Macintosh).
  if (/Tizen/i.test(ua)) return 'tizen';
  if (/Web0S|webOS|NetCast/i.test(ua)) return 'webos';
  if (/CrOS/.test(ua)) return 'chromeos';
  if (/Android/i.test(ua)) return 'android';
  if (/iPhone|iPad|iPod/.test(ua)) return 'ios';
  if (/Windows/.test(ua)) return 'windows';
  if (/Macintosh|Mac OS X/.test(ua)) return 'macos';
  if (/Linux|X11/.test(ua)) return 'linux';
  return 'web';
}

const PLATFORM_NAMES: Record<string, string> = {
  tizen: 'Samsung TV',
  webos: 'LG TV',
  chromeos: 'ChromeOS',
  android: 'Android',
  windows: 'Windows',
  macos: 'macOS',
  linux: 'Linux',
};

/** The browser, from the most specific token to the least (Edge and Opera also say Chrome). */
const BROWSERS: [RegExp, string][] = [
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bCriOS\/|\bChrome\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
];

/** e.g. `Chrome on Windows`, `Safari on iPhone`, `Samsung TV`; `Web browser` when nothing is known. */
export function nameOf(userAgent: string, platform = platformOf(userAgent)): string {
  // A TV's browser is the TV itself, whatever engine it names.
  if (platform === 'tizen' || platform === 'webos') return PLATFORM_NAMES[platform];
  const browser = BROWSERS.find(([re]) => re.test(userAgent))?.[1] ?? 'Web browser';
  const where = platform === 'ios' ? (/iPad|iPod/.exec(userAgent)?.[0] ?? 'iPhone') : PLATFORM_NAMES[platform];
  return where ? `${browser} on ${where}` : browser;
}

/**
 * A device as the service takes it: only `id`, `name` and `platform`, strings without NUL,
 * trimmed to 100 characters, empty ones left out; null when nothing is left.
 */
export function normalizeDevice(device: Device | null | undefined): Device | null {
  if (!device || typeof device !== 'object') return null;
  const out: Device = {};
  for (const key of ['id', 'name', 'platform'] as const) {
    const value = device[key];
    if (typeof value !== 'string') continue;
    const clean = clip(value.split('\u0000').join('').trim());
    if (clean) out[key] = clean;
  }
  return Object.keys(out).length ? out : null;
}

/** At most 100 UTF-16 units, never ending on half a surrogate pair. */
function clip(s: string): string {
  if (s.length <= MAX_LENGTH) return s;
  const cut = s.slice(0, MAX_LENGTH);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}
