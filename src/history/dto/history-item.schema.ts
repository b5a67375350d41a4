import { z } from 'zod';
import { intParam, mediaTypeSchema } from '../../watch/media.js';
import { decodeCursor, type HistoryCursor } from '../history-cursor.js';

export const historyItemSchema = z
  .object({
    mediaType: mediaTypeSchema,
    mediaId: z.number().int().meta({ example: 550 }),
    seasonNumber: z.number().int().nullable().meta({ example: null }),
    episodeNumber: z.number().int().nullable().meta({ example: null }),
    title: z.string().nullable().meta({ example: 'Inception' }),
    currentTime: z.number().meta({ description: 'Position of the latest heartbeat, seconds.', example: 6300 }),
    totalDuration: z.number().meta({ example: 8400 }),
    progress: z.number().int().min(0).max(100).meta({ description: 'round(100 × currentTime / totalDuration)', example: 75 }),
    resumeAt: z.number().meta({
      description: 'Where a player should seek: currentTime, or 0 when finished, below your minResumePercent, or the item is shorter than MIN_RESUME_DURATION_SECONDS.',
      example: 6300,
    }),
    totalPlayedSeconds: z.number().meta({ description: 'Sum over sessions of the largest playedSeconds, clamped for plausibility (per session) and to MAX_STREAMS_PER_USER × 3600 s per user and UTC hour.', example: 5000 }),
    finished: z.boolean().meta({
      description: 'The position is at or past the finished point now: your finishedPercent (else FINISHED_PERCENT), or the catalogue’s creditsStartSeconds when that comes first.',
    }),
    completedCount: z.number().int().meta({ description: 'Plays (sessions of at least MIN_PLAY_SECONDS) that reached the finished point in force when they were stored.', example: 0 }),
    lastWatchedAt: z.string().meta({ format: 'date-time', description: 'Time of the heartbeat the position comes from: once the item has a play, only plays move it.', example: '2025-12-15T14:30:00.000Z' }),
    hidden: z.boolean().meta({ description: 'Hidden from continue watching (the item or its show); a heartbeat received after the hide unhides it.', example: false }),
  })
  .meta({ id: 'HistoryItem' });

export type HistoryItemResponse = z.output<typeof historyItemSchema>;

export const episodeQuerySchema = z.object({
  seasonNumber: intParam('seasonNumber', 0).optional(),
  episodeNumber: intParam('episodeNumber', 1).optional(),
});

export const limitParam = (def: number) =>
  z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(1).max(100)).optional().default(def);

/** A keyset cursor this service issued (history and plays pages); anything else is a 400 naming `cursor`. */
export const cursorParam = z
  .string()
  .max(200)
  .transform((s, ctx): HistoryCursor => {
    const cursor = decodeCursor(s);
    if (!cursor) ctx.addIssue({ code: 'custom', message: 'is not a cursor this service issued' });
    return cursor ?? { at: '', id: '' };
  })
  .optional()
  .meta({ description: '`nextCursor` of the previous page; anything else is a 400' });

export const listQuerySchema = z.object({
  limit: limitParam(20).meta({ description: '1–100, default 20' }),
  cursor: cursorParam,
  mediaType: mediaTypeSchema.optional(),
  finished: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
});

export const continueQuerySchema = z.object({
  limit: limitParam(10).meta({ description: '1–100, default 10' }),
});

export const historyPageSchema = z
  .object({
    items: z.array(historyItemSchema),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
  })
  .meta({ id: 'HistoryPage' });

export const continueWatchingSchema = z
  .object({
    items: z.array(
      historyItemSchema.extend({
        reason: z.enum(['resume', 'next-episode']).meta({ description: '`next-episode`: the episode after a finished one, from the catalogue.' }),
      }),
    ),
  })
  .meta({ id: 'ContinueWatching' });
