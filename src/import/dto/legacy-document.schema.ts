import { z } from 'zod';
import { hasNul, NUL_MESSAGE } from '../../common/validation.js';
import { MAX_SECONDS } from '../../playtime/dto/heartbeat.schema.js';
import { MAX_INT4, mediaTypeSchema } from '../../watch/media.js';

/** The longest user id a token may carry (its `sub`), so every imported user can sign in. */
const MAX_USER_ID_LENGTH = 256;
/** The old system's clock may run a little ahead: up to a minute is taken as "now". */
const CLOCK_SKEW_MS = 60_000;
/** Before this nothing was streamed; PostgreSQL also refuses year 0, which `Date` accepts. */
const EARLIEST_MS = Date.parse('1970-01-01T00:00:00Z');

const text = (max: number) => z.string().max(max).refine((v) => !hasNul(v), NUL_MESSAGE);
const seconds = z.number().min(0).max(MAX_SECONDS);

/**
 * One document of the system Playtime replaces: one user and item, as that system last stored it
 * (SPEC §9). Unknown fields are refused, as everywhere else, so a misspelt field never passes
 * silently; strip the old store's own fields (`_id`, `__v`, ...) when exporting.
 */
export const legacyDocumentSchema = z
  .strictObject({
    userId: text(MAX_USER_ID_LENGTH)
      .min(1)
      // eslint-disable-next-line no-control-regex
      .refine((v) => !/[\u0001-\u001f\u007f]/.test(v), 'must not contain control characters')
      .meta({ description: 'The user, as the `sub` of their tokens (1–256 characters).', example: 'user-42' }),
    mediaType: mediaTypeSchema,
    mediaId: z.number().int().min(1).max(MAX_INT4).meta({ example: 1399 }),
    seasonNumber: z.number().int().min(0).max(100_000).nullable().optional().meta({ description: 'Required for tv, absent or null for movie.', example: 1 }),
    episodeNumber: z.number().int().min(1).max(100_000).nullable().optional().meta({ description: 'Required for tv, absent or null for movie.', example: 3 }),
    progress: z.number().min(0).max(100).meta({ description: 'Percent watched at the last update, 0–100.', example: 52 }),
    currentTime: seconds.meta({ description: 'Position in seconds; a position past the end is clamped.', example: 1870 }),
    totalDuration: z.number().gt(0).max(MAX_SECONDS).meta({ description: 'Duration in seconds.', example: 3600 }),
    totalPlayedSeconds: seconds.meta({ description: 'Seconds played in all, credited as one play (no plausibility clamp).', example: 2400 }),
    finished: z.boolean().meta({ description: 'Whether the old system counted it finished: a completion.', example: false }),
    lastWatchedAt: z.iso
      .datetime({ offset: true })
      .transform((v) => Date.parse(v))
      .refine((ms) => Number.isFinite(ms) && ms >= EARLIEST_MS, 'must be a date from 1970 on')
      .refine((ms) => ms <= Date.now() + CLOCK_SKEW_MS, 'must not be in the future')
      .transform((ms) => Math.min(ms, Date.now()))
      .meta({ description: 'When the item was last watched (ISO 8601 with offset): the end of the play.', example: '2025-11-02T21:14:00Z' }),
    title: text(300).nullable().optional().meta({ example: 'Winter Is Coming' }),
  })
  .superRefine(
    (d, ctx) => {
      for (const field of ['seasonNumber', 'episodeNumber'] as const) {
        const present = d[field] !== undefined && d[field] !== null;
        if (d.mediaType === 'tv' && !present) ctx.addIssue({ code: 'custom', path: [field], message: 'is required for tv' });
        if (d.mediaType === 'movie' && present) ctx.addIssue({ code: 'custom', path: [field], message: 'must be absent or null for a movie' });
      }
    },
    { when: (p) => typeof p.value === 'object' && p.value !== null && !Array.isArray(p.value) },
  )
  .transform((d) => ({ ...d, seasonNumber: d.seasonNumber ?? null, episodeNumber: d.episodeNumber ?? null, title: d.title ?? null }))
  .meta({
    id: 'LegacyHistoryDocument',
    example: {
      userId: 'user-42', mediaType: 'tv', mediaId: 1399, seasonNumber: 1, episodeNumber: 3, progress: 52, currentTime: 1870,
      totalDuration: 3600, totalPlayedSeconds: 2400, finished: false, lastWatchedAt: '2025-11-02T21:14:00Z', title: 'Lord Snow',
    },
  });

export type LegacyDocument = z.output<typeof legacyDocumentSchema>;

export const importErrorSchema = z
  .object({
    line: z.number().int().meta({ description: 'NDJSON: the 1-based line number. JSON array: the 1-based position in the array.', example: 3 }),
    field: z.string().meta({ description: 'The bad field (`document` when the line is not a JSON object).', example: 'totalDuration' }),
    message: z.string().meta({ example: 'Too small: expected number to be >0' }),
  })
  .meta({ id: 'ImportError' });

export const importResultSchema = z
  .object({
    imported: z.number().int().meta({ description: 'Documents stored as new plays.', example: 1998 }),
    unchanged: z.number().int().meta({ description: 'Documents already imported before (or twice in this body): nothing changed.', example: 0 }),
    rejected: z.number().int().meta({ description: 'Bad documents, each rejected alone.', example: 1 }),
    errors: z.array(importErrorSchema).meta({ description: 'The first 100 errors, one per bad field.' }),
  })
  .meta({ id: 'ImportResult' });

export type ImportResult = z.output<typeof importResultSchema>;
export type ImportError = z.output<typeof importErrorSchema>;
