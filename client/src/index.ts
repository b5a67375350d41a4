/**
 * Playtime browser client: `createPlaytimeTracker` follows a `<video>` and sends the heartbeats
 * the service expects; `createPlaytimeClient` reads history, continue-watching, stats and the
 * catalogue with types generated from the service's OpenAPI document.
 */
export { createPlaytimeTracker, tokenSubject, uuidV4 } from './tracker.js';
export type { HeartbeatEvent, PlaytimeItem, PlaytimeTracker, PlaytimeTrackerOptions, SendReport, TrackedMedia, TrackerEnvironment } from './tracker.js';
export { createPlaytimeClient, parseRetryAfter, PlaytimeApiError, browserTimeZone } from './api.js';
export type { CatalogQuery, HistoryQuery, ItemKey, MediaType, PlaytimeClient, PlaytimeClientOptions, StatsQuery, TokenSource } from './api.js';
export { defaultDevice, DEVICE_ID_KEY, nameOf, normalizeDevice, platformOf } from './device.js';
export type { Device } from './device.js';
export { PlayCounter } from './play-counter.js';
export type { MediaClock } from './play-counter.js';
export type { KeyValueStorage } from './outbox.js';
export type * from './api-types.js';
