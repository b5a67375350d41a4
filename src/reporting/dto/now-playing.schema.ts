import { z } from 'zod';
import { deviceSchema } from '../../playtime/dto/heartbeat.schema.js';
import { mediaTypeSchema } from '../../watch/media.js';

/** How recent a session's latest heartbeat must be for it to count as playing now (SPEC §6). */
export const NOW_PLAYING_WINDOW_S = 60;
export const NOW_PLAYING_MAX_LIMIT = 1000;

export const nowPlayingQuerySchema = z.object({
  limit: z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(NOW_PLAYING_MAX_LIMIT))
    .optional()
    .default(100)
    .meta({ description: `Most sessions listed, 1–${NOW_PLAYING_MAX_LIMIT}, default 100; \`count\` counts them all.`, example: '100' }),
});

export const nowPlayingSessionSchema = z
  .object({
    userId: z.string().meta({ example: 'user-42' }),
    sessionId: z.string().meta({ format: 'uuid', example: '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f' }),
    mediaType: mediaTypeSchema,
    mediaId: z.number().int().meta({ description: 'For tv, the show.', example: 1399 }),
    seasonNumber: z.number().int().nullable().meta({ example: 1 }),
    episodeNumber: z.number().int().nullable().meta({ example: 3 }),
    title: z.string().nullable().meta({
      description: "The catalogue's title, else the most recent title a heartbeat carried for the item (for tv: the show's), as in the reports.",
      example: 'Game of Thrones',
    }),
    currentTime: z.number().nullable().meta({ description: 'Position of the latest heartbeat, seconds (null until known).', example: 1260 }),
    totalDuration: z.number().nullable().meta({ description: 'Duration the latest heartbeat reported, seconds.', example: 3400 }),
    progress: z.number().int().min(0).max(100).nullable().meta({ description: 'round(100 × currentTime / totalDuration)', example: 37 }),
    event: z.enum(['start', 'progress', 'pause']).nullable().meta({ description: 'Event of the latest heartbeat (never `stop`: a stopped session is not playing).', example: 'progress' }),
    device: deviceSchema.nullable().meta({ description: 'The device of the session, as sent, or null.' }),
    startedAt: z.string().meta({ format: 'date-time', description: "Event time of the session's first heartbeat.", example: '2025-12-15T20:01:10.000Z' }),
    lastSeenAt: z.string().meta({ format: 'date-time', description: "Event time of the session's latest heartbeat.", example: '2025-12-15T20:22:10.000Z' }),
  })
  .meta({ id: 'NowPlayingSession' });

export const nowPlayingSchema = z
  .object({
    count: z.number().int().min(0).meta({ description: 'Sessions playing now, all of them (`sessions` lists at most `limit`).', example: 1 }),
    sessions: z.array(nowPlayingSessionSchema).meta({ description: 'Newest latest heartbeat first.' }),
  })
  .meta({ id: 'NowPlaying' });

export type NowPlaying = z.output<typeof nowPlayingSchema>;
