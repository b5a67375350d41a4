import { z } from 'zod';
import { FIRST_DAY, LAST_DAY } from '../../common/calendar-date.js';
import { deviceSchema } from '../../playtime/dto/heartbeat.schema.js';
import { intParam, mediaTypeSchema } from '../../watch/media.js';
import { DAY_MS } from '../../watch/time.js';
import { cursorParam, limitParam } from './history-item.schema.js';

/**
 * One end of a plays window: a UTC day (`2025-12-15`: from its start, or to its end) or an
 * instant with its offset (`2025-12-15T14:30:00Z`, `…+01:00`). Days outside 1970–9999 are
 * refused here rather than failing in PostgreSQL.
 */
function boundParam(field: 'from' | 'to') {
  return z
    .string()
    .max(40)
    .superRefine((v, ctx) => {
      const date = /^\d{4}-\d{2}-\d{2}$/.test(v);
      if (!date && !z.iso.datetime({ offset: true }).safeParse(v).success) {
        ctx.addIssue({ code: 'custom', message: 'must be a date YYYY-MM-DD or a date-time with offset (ISO 8601)' });
      } else if (!z.iso.date().safeParse(v.slice(0, 10)).success) {
        ctx.addIssue({ code: 'custom', message: 'is not a calendar date' });
      } else if (v.slice(0, 10) < FIRST_DAY || v.slice(0, 10) > LAST_DAY) {
        ctx.addIssue({ code: 'custom', message: `must be between ${FIRST_DAY} and ${LAST_DAY}` });
      }
    })
    // epoch ms; a day given as `to` covers the whole day: the bound is the next day's start, exclusive
    .transform((v) => (/^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T00:00:00Z`) + (field === 'to' ? DAY_MS : 0) : Date.parse(v) + (field === 'to' ? 1 : 0)))
    .optional();
}

export const playsQuerySchema = z
  .object({
    limit: limitParam(20).meta({ description: '1–100, default 20' }),
    cursor: cursorParam,
    from: boundParam('from').meta({
      description: 'Only plays that ended at or after this: a UTC day (from its start) or a date-time with offset.',
      example: '2025-12-01',
    }),
    to: boundParam('to').meta({
      description: 'Only plays that ended at or before this: a UTC day (to its end, inclusive) or a date-time with offset.',
      example: '2025-12-15T23:59:59Z',
    }),
    mediaType: mediaTypeSchema.optional(),
    mediaId: intParam('mediaId', 1).optional().meta({ description: 'Needs `mediaType`.', example: '550' }),
    seasonNumber: intParam('seasonNumber', 0).optional().meta({ description: 'tv only, with `mediaId`: one season (or one episode with `episodeNumber`).' }),
    episodeNumber: intParam('episodeNumber', 1).optional().meta({ description: 'tv only, with `seasonNumber`.' }),
  })
  .superRefine((q, ctx) => {
    const issue = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: [field], message });
    if (q.from !== undefined && q.to !== undefined && q.from >= q.to) issue('from', 'must not be after to');
    if (q.mediaId !== undefined && !q.mediaType) issue('mediaId', 'needs mediaType');
    if (q.mediaType === 'movie') {
      if (q.seasonNumber !== undefined) issue('seasonNumber', 'must be absent for a movie');
      if (q.episodeNumber !== undefined) issue('episodeNumber', 'must be absent for a movie');
      return;
    }
    if (q.seasonNumber !== undefined && q.mediaId === undefined) issue('seasonNumber', 'needs mediaType=tv and mediaId');
    if (q.episodeNumber !== undefined && q.seasonNumber === undefined) issue('episodeNumber', 'goes with seasonNumber');
  });

export type PlaysQuery = z.output<typeof playsQuerySchema>;

export const playSchema = z
  .object({
    sessionId: z.string().meta({ format: 'uuid', example: '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f' }),
    mediaType: mediaTypeSchema,
    mediaId: z.number().int().meta({ example: 1399 }),
    seasonNumber: z.number().int().nullable().meta({ example: 1 }),
    episodeNumber: z.number().int().nullable().meta({ example: 3 }),
    title: z.string().nullable().meta({ description: 'The title rule: the catalogue’s title, else the newest one a heartbeat carried (for tv, the show’s).', example: 'Game of Thrones' }),
    startedAt: z.string().meta({ format: 'date-time', description: "Event time of the session's first heartbeat.", example: '2025-12-15T20:01:10.000Z' }),
    endedAt: z.string().meta({ format: 'date-time', description: "Event time of the session's latest heartbeat.", example: '2025-12-15T20:52:40.000Z' }),
    playedSeconds: z.number().meta({ description: 'Seconds credited to the session (clamped for plausibility; after a delete of its item, only what it played since).', example: 3050 }),
    fromPosition: z.number().nullable().meta({ description: "Position (seconds) of the session's first heartbeat; null for sessions stored before positions were kept.", example: 120 }),
    toPosition: z.number().nullable().meta({ description: "Position (seconds) of the session's latest heartbeat; null as above.", example: 3170 }),
    finished: z.boolean().meta({ description: 'It reached the finished point in force when it was stored (your finishedPercent, or the credits).', example: false }),
    device: deviceSchema.nullable().meta({ description: 'The device of the session’s first heartbeat that named one, as sent; null when none did.' }),
  })
  .meta({ id: 'Play' });

export type PlayResponse = z.output<typeof playSchema>;

export const playsPageSchema = z
  .object({
    items: z.array(playSchema),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
  })
  .meta({ id: 'PlaysPage' });
