import type { ApiResponses, CatalogEntry, ContinueWatching, Heartbeat, HistoryItem, HistoryPage, UserStats } from './api-types.js';

/** Returns the current access token (a JWT), or null when signed out. Called before every request. */
export type TokenSource = () => string | null | undefined | Promise<string | null | undefined>;

export type MediaType = 'movie' | 'tv';

/** One history item: a movie, or one episode of a show. */
export interface ItemKey {
  mediaType: MediaType;
  mediaId: number;
  /** tv only. */
  seasonNumber?: number | null;
  /** tv only. */
  episodeNumber?: number | null;
}

export interface PlaytimeClientOptions {
  /** Where the service is, e.g. `https://playtime.example.com`; `''` for the page's own origin. */
  baseUrl: string;
  getToken: TokenSource;
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
}

/** A non-2xx answer. `retryAfterMs` is set from `Retry-After` on 429 and 503. */
export class PlaytimeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly retryAfterMs: number | null,
  ) {
    const message = body && typeof body === 'object' && 'message' in body ? String((body as { message: unknown }).message) : `HTTP ${status}`;
    super(`Playtime API ${status}: ${message}`);
    this.name = 'PlaytimeApiError';
  }
}

/**
 * `Retry-After` in milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3); null when
 * absent or unreadable.
 */
export function parseRetryAfter(value: string | null, nowMs: number = Date.now()): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

export function trimBase(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '');
}

/** `?a=1&b=x` from the defined values, or `''`. */
function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export interface HistoryQuery {
  limit?: number;
  cursor?: string | null;
  mediaType?: MediaType;
  finished?: boolean;
}

export interface StatsQuery {
  /** `YYYY-MM-DD`, a calendar day in `tz`. */
  from?: string;
  to?: string;
  /** IANA time zone; defaults to the browser's. */
  tz?: string;
}

export interface CatalogQuery {
  search?: string;
  mediaType?: MediaType;
  limit?: number;
}

/** Typed read helpers (and the raw write calls the tracker uses). */
export interface PlaytimeClient {
  /** Newest first, keyset-paginated: pass `nextCursor` back as `cursor`. */
  history(q?: HistoryQuery): Promise<HistoryPage>;
  /** Items to resume (and next episodes), newest first, one per show. */
  continueWatching(q?: { limit?: number }): Promise<ContinueWatching>;
  /** One item, or null when never watched. */
  historyItem(key: ItemKey): Promise<HistoryItem | null>;
  /** The user's statistics; days are calendar days in `tz` (the browser's time zone by default). */
  stats(q?: StatsQuery): Promise<UserStats>;
  catalog(q?: CatalogQuery): Promise<ApiResponses['GET /v1/catalog']>;
  /** One catalogue entry (with seasons for tv), or null when unknown. */
  catalogEntry(mediaType: MediaType, mediaId: number): Promise<CatalogEntry | null>;
  /** Low level: sends heartbeats (one: `POST /v1/playtime`; several: `/batch`). Resolves to the raw response. */
  postHeartbeats(heartbeats: Heartbeat[]): Promise<Response>;
}

export function browserTimeZone(): string | undefined {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
  } catch {
    return undefined;
  }
}

export function createPlaytimeClient(options: PlaytimeClientOptions): PlaytimeClient {
  const base = trimBase(options.baseUrl);
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => fetch(input, init));

  async function headers(extra: Record<string, string> = {}): Promise<Record<string, string>> {
    const token = await options.getToken();
    return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
  }

  async function failure(res: Response): Promise<PlaytimeApiError> {
    const body = await res.json().catch(() => null);
    return new PlaytimeApiError(res.status, body, parseRetryAfter(res.headers.get('Retry-After')));
  }

  async function get<T>(path: string, notFoundIsNull: true): Promise<T | null>;
  async function get<T>(path: string, notFoundIsNull?: false): Promise<T>;
  async function get<T>(path: string, notFoundIsNull = false): Promise<T | null> {
    const res = await doFetch(base + path, { headers: await headers({ Accept: 'application/json' }) });
    if (notFoundIsNull && res.status === 404) return null;
    if (!res.ok) throw await failure(res);
    return (await res.json()) as T;
  }

  const itemPath = (key: ItemKey) =>
    `/v1/history/${key.mediaType}/${key.mediaId}` +
    (key.mediaType === 'tv' ? query({ seasonNumber: key.seasonNumber, episodeNumber: key.episodeNumber }) : '');

  return {
    history: (q = {}) => get<ApiResponses['GET /v1/history']>(`/v1/history${query({ ...q })}`),
    continueWatching: (q = {}) => get<ApiResponses['GET /v1/history/continue-watching']>(`/v1/history/continue-watching${query(q)}`),
    historyItem: (key) => get<ApiResponses['GET /v1/history/{mediaType}/{mediaId}']>(itemPath(key), true),
    stats: (q = {}) => get<ApiResponses['GET /v1/stats/me']>(`/v1/stats/me${query({ ...q, tz: q.tz ?? browserTimeZone() })}`),
    catalog: (q = {}) => get<ApiResponses['GET /v1/catalog']>(`/v1/catalog${query({ ...q })}`),
    catalogEntry: (mediaType, mediaId) => get<ApiResponses['GET /v1/catalog/{mediaType}/{mediaId}']>(`/v1/catalog/${mediaType}/${mediaId}`, true),
    postHeartbeats: async (heartbeats) => {
      const single = heartbeats.length === 1;
      return doFetch(`${base}/v1/playtime${single ? '' : '/batch'}`, {
        method: 'POST',
        headers: await headers({ 'Content-Type': 'application/json' }),
        body: JSON.stringify(single ? heartbeats[0] : { heartbeats }),
      });
    },
  };
}
