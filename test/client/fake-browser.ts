/// <reference lib="dom" />
import { createPlaytimeTracker, type PlaytimeItem, type PlaytimeTracker, type PlaytimeTrackerOptions, type TrackedMedia } from '../../client/src/tracker.js';
import type { KeyValueStorage } from '../../client/src/outbox.js';
import type { Heartbeat } from '../../client/src/api-types.js';

/**
 * A fake browser for the tracker's unit tests: a video element whose position moves only when
 * the fake clock does (and only while playing, at its rate, when not buffering or seeking),
 * timers on that clock, a recording fetch, beacons, online/offline and page visibility.
 */

const TICK_MS = 250; // how often a real element fires timeupdate while playing

export class FakeVideo extends EventTarget implements TrackedMedia {
  currentTime = 0;
  duration = 600;
  paused = true;
  ended = false;
  seeking = false;
  playbackRate = 1;
  readyState = 4;
  buffering = false;

  private emit(type: string): void {
    this.dispatchEvent(new Event(type));
  }

  play(): void {
    if (!this.paused) return;
    if (this.ended) {
      this.currentTime = 0;
      this.ended = false;
    }
    this.paused = false;
    this.emit('play');
    if (!this.buffering) this.emit('playing');
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.emit('timeupdate');
    this.emit('pause');
  }

  setRate(rate: number): void {
    this.playbackRate = rate;
    this.emit('ratechange');
  }

  /** A user seek: `seeking` (position already the target), then `timeupdate` and `seeked`. */
  seek(to: number): void {
    this.seeking = true;
    this.currentTime = to;
    this.emit('seeking');
    this.seeking = false;
    this.emit('timeupdate');
    this.emit('seeked');
  }

  /** The position jumps without any seek event (a misbehaving element). */
  jumpSilently(to: number): void {
    this.currentTime = to;
  }

  startBuffering(): void {
    this.buffering = true;
    this.emit('waiting');
  }

  stopBuffering(): void {
    this.buffering = false;
    if (!this.paused) this.emit('playing');
  }

  /** The source is replaced: the element resets. */
  empty(): void {
    this.paused = true;
    this.currentTime = 0;
    this.duration = NaN;
    this.emit('emptied');
  }

  /** Called by the clock: plays `ms` of wall time. */
  advance(ms: number, fireTimeupdate: boolean): void {
    if (this.paused || this.buffering || this.seeking) return;
    this.currentTime = Math.min(this.duration, this.currentTime + (ms / 1000) * this.playbackRate);
    if (fireTimeupdate) this.emit('timeupdate');
    if (this.currentTime >= this.duration) {
      this.emit('timeupdate');
      this.ended = true;
      this.paused = true;
      this.emit('pause');
      this.emit('ended');
    }
  }
}

export class MemoryStorage implements KeyValueStorage {
  readonly map = new Map<string, string>();
  get length(): number {
    return this.map.size;
  }
  key(i: number): string | null {
    return [...this.map.keys()][i] ?? null;
  }
  getItem(k: string): string | null {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string): void {
    this.map.set(k, v);
  }
  removeItem(k: string): void {
    this.map.delete(k);
  }
}

export interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  at: number;
}

export type HeartbeatBody = Heartbeat & { accessToken?: string };
export type Delivered = HeartbeatBody & { route: 'live' | 'batch' | 'beacon'; at: number };

type Responder = (req: Sent) => { status: number; headers?: Record<string, string>; body?: unknown } | 'network-error';

/** A JWT-shaped token (unsigned: the tracker only reads `sub`). */
export function fakeToken(sub: string): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub })}.sig`;
}

export const MOVIE: PlaytimeItem = { mediaType: 'movie', mediaId: 550, title: 'Fight Club' };

export class FakeBrowser {
  /** Wall clock (epoch ms) and monotonic clock move together. */
  date = Date.UTC(2025, 5, 1, 12, 0, 0);
  private mono = 1_000;
  private timers: { id: number; due: number; fn: () => void }[] = [];
  private nextId = 1;
  private sinceTimeupdate = 0;
  readonly video = new FakeVideo();
  readonly window = new EventTarget();
  readonly document = Object.assign(new EventTarget(), { visibilityState: 'visible' });
  onLine = true;
  /** `navigator.userAgent`; none by default. */
  userAgent: string | undefined = undefined;
  readonly requests: Sent[] = [];
  readonly delivered = new Set<Sent>();
  readonly beacons: { url: string; body: Record<string, unknown>; at: number }[] = [];
  beaconResult = true;
  respond: Responder = () => ({ status: 202, body: { accepted: 1 } });
  readonly storage = new MemoryStorage();
  token: string | null = fakeToken('alice');
  readonly errors: unknown[] = [];
  /** The number in the last UUID handed out (a test may move it to get other ids). */
  uuid = 0;

  tracker(over: Partial<PlaytimeTrackerOptions> = {}): PlaytimeTracker {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const browser = this;
    return createPlaytimeTracker({
      baseUrl: 'https://api.test/',
      getToken: () => this.token,
      media: this.video,
      item: MOVIE,
      interval: 10_000,
      storage: this.storage,
      onError: (e) => this.errors.push(e),
      env: {
        now: () => this.mono,
        date: () => this.date,
        setTimeout: (fn, ms) => {
          const id = this.nextId++;
          this.timers.push({ id, due: this.mono + Math.max(0, ms), fn });
          return id;
        },
        clearTimeout: (id) => {
          this.timers = this.timers.filter((t) => t.id !== id);
        },
        fetch: (input, init) => this.fetch(String(input), init ?? {}),
        window: this.window,
        document: this.document,
        navigator: {
          get onLine() {
            return browser.onLine;
          },
          get userAgent() {
            return browser.userAgent;
          },
          sendBeacon: (url: string, data?: BodyInit | null) => {
            if (!this.beaconResult) return false;
            this.beacons.push({ url, body: JSON.parse(String(data)), at: this.date });
            return true;
          },
        },
        randomUUID: () => `00000000-0000-4000-8000-${String(++this.uuid).padStart(12, '0')}`,
        random: () => 0.5,
      },
      ...over,
    });
  }

  private async fetch(url: string, init: RequestInit): Promise<Response> {
    const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>));
    const req: Sent = { url, method: init.method ?? 'GET', headers, body: init.body ? JSON.parse(String(init.body)) : {}, at: this.date };
    this.requests.push(req);
    if (!this.onLine) throw new TypeError('Failed to fetch');
    const out = this.respond(req);
    if (out === 'network-error') throw new TypeError('Failed to fetch');
    if (out.status >= 200 && out.status < 300) this.delivered.add(req);
    const hasBody = out.status !== 204 && out.body !== undefined;
    return new Response(hasBody ? JSON.stringify(out.body) : null, {
      status: out.status,
      headers: { 'Content-Type': 'application/json', Date: new Date(this.date).toUTCString(), ...out.headers },
    });
  }

  /** Lets pending promises (fetch answers, JSON parsing) settle. */
  async settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  }

  /** Moves both clocks by `ms`, playing the video and firing timers on the way. */
  async advance(ms: number): Promise<void> {
    let left = ms;
    await this.settle();
    while (left > 0) {
      const nextTimer = Math.min(...this.timers.map((t) => t.due), Infinity);
      const step = Math.max(0, Math.min(left, TICK_MS - this.sinceTimeupdate, nextTimer - this.mono));
      this.mono += step;
      this.date += step;
      left -= step;
      this.sinceTimeupdate += step;
      const fire = this.sinceTimeupdate >= TICK_MS;
      if (fire) this.sinceTimeupdate = 0;
      this.video.advance(step, fire);
      for (const t of this.timers.filter((x) => x.due <= this.mono).sort((a, b) => a.due - b.due)) {
        this.timers = this.timers.filter((x) => x !== t);
        t.fn();
      }
      await this.settle();
    }
  }

  goOffline(): void {
    this.onLine = false;
    this.window.dispatchEvent(new Event('offline'));
  }

  goOnline(): void {
    this.onLine = true;
    this.window.dispatchEvent(new Event('online'));
  }

  hide(): void {
    this.document.visibilityState = 'hidden';
    this.document.dispatchEvent(new Event('visibilitychange'));
  }

  closePage(): void {
    this.hide();
    this.window.dispatchEvent(new Event('pagehide'));
  }

  /** Every heartbeat that reached the service (2xx or beacon), in order, with the route it took. */
  heartbeats(): Delivered[] {
    const out: Delivered[] = [];
    for (const r of this.requests) {
      if (!this.delivered.has(r)) continue;
      if (r.url.endsWith('/v1/playtime')) out.push({ ...(r.body as unknown as HeartbeatBody), route: 'live', at: r.at });
      if (r.url.endsWith('/v1/playtime/batch')) {
        for (const hb of r.body.heartbeats as HeartbeatBody[]) out.push({ ...hb, route: 'batch', at: r.at });
      }
    }
    for (const b of this.beacons) out.push({ ...(b.body as unknown as HeartbeatBody), route: 'beacon', at: b.at });
    return out.sort((a, b) => a.at - b.at);
  }

  /** The largest playedSeconds per session: what the service credits. */
  creditedBySession(): Map<string, number> {
    const m = new Map<string, number>();
    for (const hb of this.heartbeats()) m.set(hb.sessionId, Math.max(m.get(hb.sessionId) ?? 0, hb.playedSeconds));
    return m;
  }
}
