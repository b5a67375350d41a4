import { z } from 'zod';
import { NUL_MESSAGE, hasNul } from '../../common/validation.js';
import type { MediaType } from '../../watch/item-key.js';
import { MAX_INT4, mediaTypeSchema } from '../../watch/media.js';
import { DAY_MS } from '../../watch/time.js';

/**
 * Upper bound of every time in seconds (position, duration, played): 10,000,000 s, about 115
 * days. The longest films run a few days; anything beyond is a broken client, and refusing it
 * keeps sums far inside what the database and statistics handle exactly.
 */
export const MAX_SECONDS = 10_000_000;
const MAX_AGE_MS = 30 * DAY_MS;
/** Clients' clocks drift: an `occurredAt` up to a minute ahead is taken as "now", not rejected. */
const CLOCK_SKEW_MS = 60_000;

const seconds = z.number().min(0).max(MAX_SECONDS);

export const occurredAtSchema = z.iso
  .datetime({ offset: true })
  .transform((v) => new Date(v))
  .refine((d) => d.getTime() <= Date.now() + CLOCK_SKEW_MS, 'must not be in the future')
  .refine((d) => d.getTime() >= Date.now() - MAX_AGE_MS, 'must be at most 30 days old')
  .transform((d) => new Date(Math.min(d.getTime(), Date.now())))
  .meta({ description: 'When the heartbeat was produced (ISO 8601 with offset), for offline catch-up. Not in the future, at most 30 days old.', example: '2025-12-15T14:30:00.000Z' });

const deviceText = z.string().max(100).refine((v) => !hasNul(v), NUL_MESSAGE);

/**
 * Where a session plays. Every field is optional; a device with none of them says nothing and is
 * taken as absent, so it never hides the device a later heartbeat of the session names.
 */
export const deviceSchema = z
  .strictObject({
    id: deviceText.optional().meta({ description: 'A client-chosen id of the device (at most 100 characters).' }),
    name: deviceText.optional().meta({ description: 'A name the viewer recognises (at most 100 characters).' }),
    platform: deviceText.optional().meta({ description: 'e.g. web, ios, android, tizen, webos (at most 100 characters).' }),
  })
  .meta({
    id: 'Device',
    description: 'Where the session plays. A session keeps the device of its first heartbeat that had one.',
    example: { id: 'a1b2', name: 'Living room TV', platform: 'tizen' },
  });

const heartbeatShape = {
  // PostgreSQL compares uuid case-insensitively, Map keys do not: one spelling everywhere.
  sessionId: z
    .guid()
    .transform((id) => id.toLowerCase())
    .meta({ description: 'One playback session (Play to stop, one device). Compared case-insensitively.', example: '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f' }),
  mediaType: mediaTypeSchema,
  mediaId: z.number().int().min(1).max(MAX_INT4).meta({ example: 550 }),
  seasonNumber: z.number().int().min(0).max(100_000).nullable().optional().meta({ description: 'Required for tv, absent or null for movie.' }),
  episodeNumber: z.number().int().min(1).max(100_000).nullable().optional().meta({ description: 'Required for tv, absent or null for movie.' }),
  currentTime: seconds.meta({ description: 'Position in seconds (at most 10,000,000); a position past the end is clamped.', example: 6300 }),
  totalDuration: z.number().gt(0).max(MAX_SECONDS).meta({ description: 'Duration in seconds (at most 10,000,000).', example: 8400 }),
  playedSeconds: seconds.meta({ description: 'Seconds actually played in this session so far (cumulative, never a delta; at most 10,000,000).', example: 5000 }),
  event: z.enum(['start', 'progress', 'pause', 'stop']).default('progress'),
  title: z.string().max(300).refine((v) => !hasNul(v), NUL_MESSAGE).nullable().optional().meta({ example: 'Inception' }),
  occurredAt: occurredAtSchema.optional(),
  device: deviceSchema.nullable().optional().meta({ description: 'Where the session plays; the first heartbeat of a session that names one sets it for good.' }),
};

type HeartbeatInput = { mediaType: MediaType; seasonNumber?: number | null; episodeNumber?: number | null };

/** tv needs season and episode; a movie has neither. */
function checkEpisode(hb: HeartbeatInput, ctx: z.RefinementCtx): void {
  for (const field of ['seasonNumber', 'episodeNumber'] as const) {
    const present = hb[field] !== undefined && hb[field] !== null;
    if (hb.mediaType === 'tv' && !present) ctx.addIssue({ code: 'custom', path: [field], message: 'is required for tv' });
    if (hb.mediaType === 'movie' && present) ctx.addIssue({ code: 'custom', path: [field], message: 'must be absent or null for a movie' });
  }
}

/**
 * Run the tv/movie check even when other fields already failed, so one 400 names every bad field
 * (Zod skips refinements after a failed parse by default). Needs an object to look into.
 */
const episodeCheckParams = {
  when: (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value),
};

type ParsedHeartbeat = z.output<z.ZodObject<typeof heartbeatShape>>;

/**
 * The heartbeat the service works with: season and episode null for a movie, an empty device as
 * no device. Written field by field, not spread: it runs for every heartbeat, and a spread of
 * this object takes V8's slow path (also drops the beacon's `accessToken`).
 */
const normalise = (hb: ParsedHeartbeat) => ({
  sessionId: hb.sessionId,
  mediaType: hb.mediaType,
  mediaId: hb.mediaId,
  seasonNumber: hb.seasonNumber ?? null,
  episodeNumber: hb.episodeNumber ?? null,
  currentTime: hb.currentTime,
  totalDuration: hb.totalDuration,
  playedSeconds: hb.playedSeconds,
  event: hb.event,
  title: hb.title,
  occurredAt: hb.occurredAt,
  device: hb.device && namesSomething(hb.device) ? hb.device : null,
});

function namesSomething(device: object): boolean {
  for (const _field in device) return true;
  return false;
}

export const heartbeatSchema = z
  .strictObject(heartbeatShape)
  .superRefine(checkEpisode, episodeCheckParams)
  .transform(normalise)
  .meta({ id: 'Heartbeat' });

export const heartbeatBatchSchema = z
  .strictObject({
    heartbeats: z.array(heartbeatSchema).min(1).max(100).meta({ description: 'Up to 100 heartbeats, validated as a whole.' }),
  })
  .meta({ id: 'HeartbeatBatch' });

export const beaconSchema = z
  .strictObject({
    ...heartbeatShape,
    accessToken: z.string().min(1).meta({ description: 'The bearer token (sendBeacon cannot set headers).' }),
  })
  .superRefine(checkEpisode, episodeCheckParams)
  .transform(normalise)
  .meta({ id: 'HeartbeatBeacon' });

export const acceptedResponseSchema = z
  .object({ accepted: z.number().int().meta({ description: 'Heartbeats accepted by this request.', example: 1 }) })
  .meta({ id: 'Accepted' });
