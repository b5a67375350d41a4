import { createPlaytimeClient, parseRetryAfter, PlaytimeApiError, trimBase, type ItemKey, type PlaytimeClient, type TokenSource } from './api.js';
import type { Heartbeat } from './api-types.js';
import { defaultDevice, normalizeDevice, type Device } from './device.js';
import { Outbox, type KeyValueStorage, type OutboxEntry } from './outbox.js';
import { PlayCounter } from './play-counter.js';

export type HeartbeatEvent = NonNullable<Heartbeat['event']>;

/** What is playing: the history item, plus what the heartbeats may carry about it. */
export interface PlaytimeItem extends ItemKey {
  title?: string | null;
  /** Seconds; used only while the element does not know its duration (or for a live stream). */
  totalDuration?: number;
}

/** The part of an `HTMLMediaElement` (`<video>`, `<audio>`) the tracker uses. */
export interface TrackedMedia extends EventTarget {
  currentTime: number;
  readonly duration: number;
  readonly paused: boolean;
  readonly ended: boolean;
  readonly seeking: boolean;
  readonly playbackRate: number;
  readonly readyState: number;
}

/** Everything the tracker takes from the browser; tests pass fakes. */
export interface TrackerEnvironment {
  /** Monotonic milliseconds (`performance.now()`), for counting. */
  now(): number;
  /** Epoch milliseconds (`Date.now()`), for `occurredAt` and `Retry-After`. */
  date(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  fetch: typeof fetch;
  /** Receives `pagehide` and `online`. */
  window: EventTarget | null;
  /** Receives `visibilitychange`. */
  document: (EventTarget & { readonly visibilityState: string }) | null;
  navigator: { readonly onLine?: boolean; readonly userAgent?: string; sendBeacon?(url: string, data?: BodyInit | null): boolean } | null;
  storage: KeyValueStorage | null;
  randomUUID(): string;
  /** In [0, 1), for back-off jitter. */
  random(): number;
}

/** What went out (or was kept for later), for a UI or logs. */
export interface SendReport {
  route: 'live' | 'batch' | 'beacon' | 'queued';
  heartbeats: Heartbeat[];
}

export interface PlaytimeTrackerOptions {
  /** Where the service is, e.g. `https://playtime.example.com`; `''` for the page's origin. */
  baseUrl: string;
  /** The current access token; called before requests (and cached for the page-close beacon). */
  getToken: TokenSource;
  /** The `<video>` (or `<audio>`) element to follow. */
  media: TrackedMedia;
  /** What is playing; can also be set (and changed) later with `setItem`. */
  item?: PlaytimeItem | null;
  /** Milliseconds between heartbeats while playing. Default 10 000 (the service expects 10–30 s). */
  interval?: number;
  /** Most heartbeats kept while they cannot be sent (offline, 429/503). Default 1000. */
  maxQueued?: number;
  /** Where undelivered heartbeats survive a page close: `localStorage` by default, null for memory only. */
  storage?: KeyValueStorage | null;
  /**
   * Where the sessions play, sent with every heartbeat. Default: `defaultDevice` (an id kept in
   * `storage`, a name and platform from the user agent); `null` sends none; an object (or a
   * function, called at the start of each session) is sent as given, trimmed to the service's limits.
   */
  device?: Device | null | (() => Device | null);
  onSend?: (report: SendReport) => void;
  /** Failed requests and refused heartbeats; the tracker carries on. */
  onError?: (error: unknown) => void;
  env?: Partial<TrackerEnvironment>;
}

export interface PlaytimeTracker {
  /** The playback session under way, or null between sessions. */
  readonly sessionId: string | null;
  /** Seconds really played in the current session. */
  readonly playedSeconds: number;
  /** Heartbeats waiting to be delivered. */
  readonly queued: number;
  readonly item: PlaytimeItem | null;
  /** Switches to another item: the current session (if any) ends with a `stop` heartbeat. */
  setItem(item: PlaytimeItem | null): void;
  /** Seeks the element to the item's `resumeAt` (once its metadata is loaded); resolves to it (0 if never watched). */
  resume(): Promise<number>;
  /** Sends a heartbeat now (while playing) and whatever is queued. */
  flush(): Promise<void>;
  /** Ends the session (`stop`), stops listening and timing. Queued heartbeats stay stored. */
  destroy(): void;
}

const DEFAULT_INTERVAL_MS = 10_000;
const DEFAULT_MAX_QUEUED = 1000;
/** The batch route takes at most 100 heartbeats. */
const BATCH_MAX = 100;
/** A queued heartbeat younger than this goes out as a live one (the service times it on receipt). */
const FRESH_MS = 5_000;
/** Several seeks in a row (scrubbing) make one heartbeat, this long after the last one. */
const SEEK_SETTLE_MS = 1_000;
const MAX_BACKOFF_MS = 60_000;
/** When a 429/503 comes without a usable `Retry-After`. */
const DEFAULT_RETRY_AFTER_MS = 5_000;
const STORAGE_PREFIX = 'playtime:outbox:';

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** A UUID v4; `crypto.randomUUID` needs a secure context, `getRandomValues` does not. */
export function uuidV4(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The `sub` claim of a JWT, read without verifying it (only to keep users' queued heartbeats apart). */
export function tokenSubject(token: string): string | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, '=')), (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    const sub = claims && typeof claims === 'object' ? (claims as { sub?: unknown }).sub : undefined;
    return typeof sub === 'string' ? sub : null;
  } catch {
    return null;
  }
}

function defaultStorage(): KeyValueStorage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null; // e.g. a sandboxed iframe
  }
}

function browserEnvironment(): TrackerEnvironment {
  return {
    now: () => performance.now(),
    date: () => Date.now(),
    setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
    clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
    fetch: (input, init) => globalThis.fetch(input, init),
    window: typeof window === 'undefined' ? null : window,
    document: typeof document === 'undefined' ? null : document,
    navigator: typeof navigator === 'undefined' ? null : navigator,
    storage: defaultStorage(),
    randomUUID: uuidV4,
    random: Math.random,
  };
}

/**
 * Follows a media element and reports what is really watched:
 *
 * - a new `sessionId` for each playback session (first play, play after `ended`, after a new
 *   source or item, after the page was hidden for good);
 * - `playedSeconds` counts only media really played (see `PlayCounter`): no seeks, no paused or
 *   buffering time, and the playback rate applies;
 * - a heartbeat on play (`start`), every `interval` while playing (`progress`), on pause, when a
 *   seek settles, and on `ended` (`stop`);
 * - on `pagehide` and when the page becomes hidden, a `navigator.sendBeacon` to the beacon route
 *   with the token in the body;
 * - heartbeats that cannot go out (offline, network error, 429/503, 5xx) are kept (bounded, in
 *   `localStorage`) and sent later through the batch route with their `occurredAt`: when the
 *   browser comes back online, after the server's `Retry-After`, or after a growing back-off.
 */
export function createPlaytimeTracker(options: PlaytimeTrackerOptions): PlaytimeTracker {
  return new Tracker(options);
}

class Tracker implements PlaytimeTracker {
  private readonly env: TrackerEnvironment;
  private readonly media: TrackedMedia;
  private readonly base: string;
  private readonly interval: number;
  private readonly counter: PlayCounter;
  private readonly outbox: Outbox;
  private readonly client: PlaytimeClient;
  private readonly listeners: [EventTarget, string, (e: Event) => void][] = [];

  private current: PlaytimeItem | null;
  private session: string | null = null;
  /** Playing, as opposed to paused, buffering or ended (for the moment before a seek). */
  private playing = false;
  private heartbeatTimer: unknown = null;
  private seekTimer: unknown = null;
  private wakeTimer: unknown = null;
  private lastKnown = { currentTime: 0, duration: NaN };
  /** The device of the session under way. */
  private device: Device | null = null;

  private token: string | null = null;
  private owner: string | null = null;
  private blockedUntil = 0;
  private failures = 0;
  /** While backing off after a failure (monotonic ms), new heartbeats wait for the retry. */
  private retryAt = 0;
  /** Server clock minus ours, when they disagree by more than the `Date` header's precision. */
  private skewMs = 0;
  private draining: Promise<void> | null = null;
  private drainAgain = false;
  private lastBeacon = '';
  private destroyed = false;
  private browserDevice: Device | null = null;

  constructor(private readonly options: PlaytimeTrackerOptions) {
    this.env = { ...browserEnvironment(), ...options.env };
    if (options.storage !== undefined) this.env.storage = options.storage;
    this.media = options.media;
    this.base = trimBase(options.baseUrl);
    this.interval = options.interval ?? DEFAULT_INTERVAL_MS;
    this.current = options.item ?? null;
    this.counter = new PlayCounter(this.media, () => this.env.now());
    this.outbox = new Outbox(options.maxQueued ?? DEFAULT_MAX_QUEUED, this.env.storage, STORAGE_PREFIX, this.env.randomUUID());
    this.client = createPlaytimeClient({ baseUrl: this.base, getToken: () => this.token, fetch: this.env.fetch });

    const m = this.media;
    this.on(m, 'play', () => this.onPlay());
    this.on(m, 'playing', () => {
      this.sample();
      this.playing = true;
    });
    this.on(m, 'timeupdate', () => this.sample());
    this.on(m, 'ratechange', () => this.sample());
    this.on(m, 'durationchange', () => this.snapshot());
    this.on(m, 'waiting', () => {
      this.sample();
      this.playing = false;
    });
    this.on(m, 'pause', () => this.onPause());
    this.on(m, 'seeking', () => this.counter.seekStarted(this.playing));
    this.on(m, 'seeked', () => this.onSeeked());
    this.on(m, 'ended', () => this.onEnded());
    this.on(m, 'emptied', () => this.endSession(true));
    if (this.env.window) {
      this.on(this.env.window, 'pagehide', () => this.onHidden(true));
      // Back from the back/forward cache still playing: the old session ended on pagehide.
      this.on(this.env.window, 'pageshow', (e) => {
        if ((e as PageTransitionEvent).persisted && !this.media.paused && this.current && !this.session && !this.destroyed) {
          this.startSession();
          this.armHeartbeat();
        }
      });
      this.on(this.env.window, 'online', () => {
        this.failures = 0;
        this.retryAt = 0;
        void this.drain();
      });
    }
    const doc = this.env.document;
    if (doc) this.on(doc, 'visibilitychange', () => doc.visibilityState === 'hidden' && this.onHidden(false));

    // Cache the token for the page-close beacon, and send what earlier pages left behind.
    void this.refreshToken().then(() => this.drain(), (err) => this.report(err));
  }

  get sessionId(): string | null {
    return this.session;
  }

  get playedSeconds(): number {
    return round3(this.counter.seconds);
  }

  get queued(): number {
    return this.outbox.size;
  }

  get item(): PlaytimeItem | null {
    return this.current;
  }

  setItem(item: PlaytimeItem | null): void {
    this.endSession(false);
    this.current = item;
    this.lastKnown = { currentTime: 0, duration: NaN };
    if (item && !this.media.paused && !this.destroyed) {
      this.startSession();
      this.armHeartbeat();
    }
  }

  async resume(): Promise<number> {
    const item = this.current;
    if (!item) return 0;
    await this.refreshToken();
    const found = await this.client.historyItem(item);
    const at = found?.resumeAt ?? 0;
    if (this.current !== item || at <= 0) return at;
    if (this.media.readyState < 1) await this.once('loadedmetadata');
    if (this.current === item) this.media.currentTime = at;
    return at;
  }

  async flush(): Promise<void> {
    this.retryAt = 0;
    if (this.session && !this.media.paused) {
      this.sample();
      this.send('progress');
    }
    await this.drain();
  }

  destroy(): void {
    this.endSession(false);
    this.destroyed = true;
    for (const [target, type, fn] of this.listeners) target.removeEventListener(type, fn);
    this.listeners.length = 0;
    this.clear('seekTimer');
    this.clear('wakeTimer');
  }

  // --- playback events ---

  private onPlay(): void {
    if (!this.current || this.destroyed) return;
    if (!this.session) this.startSession();
    this.armHeartbeat();
  }

  private onPause(): void {
    this.sample();
    this.playing = false;
    this.clear('heartbeatTimer');
    // At the end, `pause` comes just before `ended`, which sends the `stop`.
    if (this.session && !this.media.ended) this.send('pause');
  }

  private onSeeked(): void {
    this.counter.rebase();
    this.snapshot();
    if (!this.session) return;
    this.clear('seekTimer');
    this.seekTimer = this.env.setTimeout(() => {
      this.seekTimer = null;
      if (!this.session) return;
      this.sample();
      this.send(this.media.paused ? 'pause' : 'progress');
    }, SEEK_SETTLE_MS);
  }

  private onEnded(): void {
    this.sample();
    this.playing = false;
    this.endSession(false);
  }

  /** The page is hidden (`final`: it is going away). One beacon per distinct state. */
  private onHidden(final: boolean): void {
    if (!this.session) return;
    this.sample();
    const hb = this.build(final ? 'stop' : this.media.paused ? 'pause' : 'progress');
    if (final) this.closeSession();
    if (!hb) return;
    const key = `${hb.sessionId}|${hb.playedSeconds}|${hb.currentTime}`;
    if (key === this.lastBeacon) return;
    const nav = this.env.navigator;
    const canBeacon = !!this.token && typeof nav?.sendBeacon === 'function' && nav.onLine !== false && this.env.date() >= this.blockedUntil;
    let sent = false;
    if (canBeacon) {
      try {
        sent = nav!.sendBeacon!(`${this.base}/v1/playtime/beacon`, JSON.stringify({ ...hb, accessToken: this.token }));
      } catch (err) {
        this.report(err);
      }
    }
    if (sent) {
      this.lastBeacon = key;
      this.options.onSend?.({ route: 'beacon', heartbeats: [hb] });
    } else {
      // Kept in storage: the next page (or this one, if it stays) sends it.
      this.outbox.push({ hb, at: this.env.date(), owner: this.owner });
      this.options.onSend?.({ route: 'queued', heartbeats: [hb] });
    }
  }

  // --- sessions and heartbeats ---

  private startSession(): void {
    this.session = this.env.randomUUID();
    this.device = this.resolveDevice();
    this.counter.reset();
    this.playing = false;
    this.send('start');
  }

  /** Ends the session under way with a `stop` heartbeat (from the last known state if the element was reset). */
  private endSession(fromLastKnown: boolean): void {
    if (!this.session) return;
    if (!fromLastKnown) this.sample();
    this.send('stop', fromLastKnown);
    this.closeSession();
  }

  private closeSession(): void {
    this.session = null;
    this.playing = false;
    this.clear('heartbeatTimer');
    this.clear('seekTimer');
  }

  private armHeartbeat(): void {
    this.clear('heartbeatTimer');
    this.heartbeatTimer = this.env.setTimeout(() => {
      this.heartbeatTimer = null;
      if (!this.session || this.media.paused) return;
      this.sample();
      this.send('progress');
      this.armHeartbeat();
    }, this.interval);
  }

  private sample(): void {
    this.counter.sample();
    this.snapshot();
  }

  /** Remembers position and duration, for a `stop` after the element was reset. */
  private snapshot(): void {
    const { currentTime, duration } = this.media;
    if (Number.isFinite(currentTime)) this.lastKnown.currentTime = currentTime;
    if (Number.isFinite(duration) && duration > 0) this.lastKnown.duration = duration;
  }

  private build(event: HeartbeatEvent, fromLastKnown = false): Heartbeat | null {
    const item = this.current;
    if (!item || !this.session) return null;
    if (!fromLastKnown) this.snapshot();
    const duration = Number.isFinite(this.lastKnown.duration) ? this.lastKnown.duration : item.totalDuration;
    if (!duration || !Number.isFinite(duration) || duration <= 0) return null;
    const hb: Heartbeat = {
      sessionId: this.session,
      mediaType: item.mediaType,
      mediaId: item.mediaId,
      currentTime: round3(Math.min(Math.max(this.lastKnown.currentTime, 0), duration)),
      totalDuration: round3(duration),
      playedSeconds: round3(this.counter.seconds),
      event,
    };
    if (item.mediaType === 'tv') {
      hb.seasonNumber = item.seasonNumber ?? null;
      hb.episodeNumber = item.episodeNumber ?? null;
    }
    if (item.title) hb.title = item.title.slice(0, 300);
    if (this.device) hb.device = { ...this.device };
    return hb;
  }

  private send(event: HeartbeatEvent, fromLastKnown = false): void {
    const hb = this.build(event, fromLastKnown);
    if (!hb) return;
    this.outbox.push({ hb, at: this.env.date(), owner: this.owner });
    void this.drain();
  }

  /** The `device` option, read once per session. */
  private resolveDevice(): Device | null {
    const opt = this.options.device;
    if (opt === null) return null;
    if (opt === undefined) {
      this.browserDevice ??= defaultDevice(this.env.storage, this.env.navigator?.userAgent, this.env.randomUUID);
      return this.browserDevice;
    }
    try {
      return normalizeDevice(typeof opt === 'function' ? opt() : opt);
    } catch (err) {
      this.report(err);
      return null;
    }
  }

  // --- delivery ---

  private async refreshToken(): Promise<string | null> {
    const token = (await this.options.getToken()) ?? null;
    this.token = token;
    this.owner = token ? tokenSubject(token) : null;
    return token;
  }

  /** Sends what the outbox holds, one request at a time, until it is empty or delivery must wait. */
  private drain(): Promise<void> {
    if (this.draining) {
      this.drainAgain = true;
      return this.draining;
    }
    this.draining = this.drainLoop()
      .catch((err) => this.report(err))
      .finally(() => {
        this.draining = null;
        if (this.drainAgain) {
          this.drainAgain = false;
          void this.drain();
        }
      });
    return this.draining;
  }

  private async drainLoop(): Promise<void> {
    for (;;) {
      this.drainAgain = false;
      if (this.outbox.size === 0) return;
      const wait = this.blockedUntil - this.env.date();
      if (wait > 0) return this.wakeIn(wait);
      if (this.env.now() < this.retryAt) return; // backing off: the wake timer comes back
      if (this.env.navigator?.onLine === false) return; // the `online` event resumes
      let token: string | null;
      try {
        token = await this.refreshToken();
      } catch (err) {
        this.report(err);
        return this.backOff();
      }
      if (!token) return; // signed out: keep them for this user's next visit
      this.outbox.adopt(this.owner);
      const expired = this.outbox.dropExpired(this.env.date());
      if (expired) this.report(new Error(`${expired} heartbeats older than 30 days were dropped`));
      const batch = this.outbox.take(this.owner, BATCH_MAX);
      if (batch.length === 0) return;
      const live = batch.length === 1 && this.env.date() - batch[0].at < FRESH_MS;
      const heartbeats = live ? [batch[0].hb] : batch.map((e) => ({ ...e.hb, occurredAt: this.occurredAt(e) }));

      let res: Response;
      try {
        res = await (live ? this.client.postHeartbeats(heartbeats) : this.postBatch(heartbeats));
      } catch (err) {
        this.report(err); // offline or unreachable: keep them, try again later
        return this.backOff();
      }
      this.learnSkew(res);
      if (res.ok) {
        this.outbox.remove(batch);
        this.failures = 0;
        this.options.onSend?.({ route: live ? 'live' : 'batch', heartbeats });
        continue;
      }
      const body: unknown = await res.json().catch(() => null);
      const retryAfter = parseRetryAfter(res.headers.get('Retry-After'), this.env.date());
      this.report(new PlaytimeApiError(res.status, body, retryAfter));
      if (res.status === 429 || res.status === 503) {
        const ms = retryAfter ?? DEFAULT_RETRY_AFTER_MS;
        this.blockedUntil = this.env.date() + ms;
        return this.wakeIn(ms);
      }
      if (res.status >= 400 && res.status < 500 && ![401, 403, 408].includes(res.status)) {
        // Refused as invalid: sending it again cannot help. Drop the ones named, or the whole lot.
        const bad = live ? [] : badIndices(body).filter((i) => i < batch.length);
        this.outbox.remove(bad.length ? bad.map((i) => batch[i]) : batch);
        continue;
      }
      return this.backOff(); // 401/403 (a fresh token may come), 408, 5xx
    }
  }

  /** Always the batch route (even for one heartbeat), so `occurredAt` is honoured. */
  private async postBatch(heartbeats: Heartbeat[]): Promise<Response> {
    return this.env.fetch(`${this.base}/v1/playtime/batch`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${this.token}` },
      body: JSON.stringify({ heartbeats }),
    });
  }

  private occurredAt(e: OutboxEntry): string {
    const serverNow = this.env.date() + this.skewMs;
    return new Date(Math.min(e.at + this.skewMs, serverNow)).toISOString();
  }

  private learnSkew(res: Response): void {
    const header = res.headers.get('Date');
    const server = header ? Date.parse(header) : NaN;
    if (Number.isNaN(server)) return;
    // The header has whole seconds: only a clear disagreement is corrected.
    const skew = server + 500 - this.env.date();
    this.skewMs = Math.abs(skew) > 2_000 ? skew : 0;
  }

  private backOff(): void {
    this.failures += 1;
    const ms = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.failures - 1)) * (0.75 + this.env.random() / 2);
    this.retryAt = this.env.now() + ms;
    this.wakeIn(ms);
  }

  private wakeIn(ms: number): void {
    this.clear('wakeTimer');
    this.wakeTimer = this.env.setTimeout(() => {
      this.wakeTimer = null;
      this.retryAt = 0;
      void this.drain();
    }, Math.max(0, ms));
  }

  // --- plumbing ---

  private on(target: EventTarget, type: string, fn: (e: Event) => void): void {
    target.addEventListener(type, fn);
    this.listeners.push([target, type, fn]);
  }

  private once(type: string): Promise<void> {
    return new Promise((resolve) => this.media.addEventListener(type, () => resolve(), { once: true }));
  }

  private clear(timer: 'heartbeatTimer' | 'seekTimer' | 'wakeTimer'): void {
    if (this[timer] !== null) {
      this.env.clearTimeout(this[timer]);
      this[timer] = null;
    }
  }

  private report(err: unknown): void {
    this.options.onError?.(err);
  }
}

/** Indices named by a 400 of the batch route: `errors[].field` like `heartbeats[3].mediaId`. */
function badIndices(body: unknown): number[] {
  const errors = body && typeof body === 'object' ? (body as { errors?: unknown }).errors : null;
  if (!Array.isArray(errors)) return [];
  const out = new Set<number>();
  for (const e of errors) {
    const m = /^heartbeats\[(\d+)\]/.exec(typeof e?.field === 'string' ? e.field : '');
    if (m) out.add(Number(m[1]));
  }
  return [...out];
}
