import { z } from 'zod';
import { hasNul, NUL_MESSAGE } from '../../common/validation.js';
import { MAX_INT4, mediaTypeSchema } from '../../watch/media.js';
/** Runtimes are seconds; the longest films run a few hours, this only rejects nonsense. */
const MAX_RUNTIME_SECONDS = 1_000_000;
/** An import is one transaction; the request body limit (256 KB) bounds it first in practice. */
export const MAX_IMPORT_ENTRIES = 1000;


const runtimeSeconds = z.number().int().min(1).max(MAX_RUNTIME_SECONDS);

/** Where the end credits begin: reaching it counts as finishing (SPEC §7). Movies and episodes only. */
const creditsStartSeconds = runtimeSeconds
  .nullable()
  .optional()
  .meta({ description: 'Seconds from the start where the end credits begin; below `runtimeSeconds`. Reaching it finishes the item.', example: 7920 });

/** Credits that start at or after the end would never be reached: name the field. */
function checkCredits(
  entry: { runtimeSeconds?: number | null; creditsStartSeconds?: number | null },
  ctx: z.RefinementCtx,
  path: (string | number)[] = [],
): void {
  const { runtimeSeconds: runtime, creditsStartSeconds: credits } = entry;
  if (runtime != null && credits != null && credits >= runtime) {
    ctx.addIssue({ code: 'custom', path: [...path, 'creditsStartSeconds'], message: `must be below runtimeSeconds (${runtime})` });
  }
}

const episodeSchema = z
  .strictObject({
    episodeNumber: z.number().int().min(1).max(100_000).meta({ example: 1 }),
    title: z.string().trim().max(300).nullable().default(null).meta({ example: 'A Study in Pink' }),
    runtimeSeconds: runtimeSeconds.nullable().default(null).meta({ example: 5280 }),
    creditsStartSeconds: creditsStartSeconds.meta({ example: 5010 }),
  })
  .meta({ id: 'CatalogEpisode' });

const seasonSchema = z
  .strictObject({
    seasonNumber: z.number().int().min(0).max(100_000).meta({ description: '0 holds specials.', example: 1 }),
    episodes: z.array(episodeSchema).max(1000),
  })
  .meta({ id: 'CatalogSeason' });

type EpisodeChecked = { episodeNumber: number; runtimeSeconds?: number | null; creditsStartSeconds?: number | null };

/**
 * A season or episode number given twice would make the stored list ambiguous: name the second
 * one. Each episode's credits must start before its end.
 */
function checkSeasons(entry: { seasons?: { seasonNumber: number; episodes: EpisodeChecked[] }[] }, ctx: z.RefinementCtx): void {
  const seenSeasons = new Set<number>();
  entry.seasons?.forEach((season, s) => {
    if (seenSeasons.has(season.seasonNumber)) {
      ctx.addIssue({ code: 'custom', path: ['seasons', s, 'seasonNumber'], message: `season ${season.seasonNumber} is listed twice` });
    }
    seenSeasons.add(season.seasonNumber);
    const seenEpisodes = new Set<number>();
    season.episodes.forEach((episode, e) => {
      if (seenEpisodes.has(episode.episodeNumber)) {
        ctx.addIssue({
          code: 'custom',
          path: ['seasons', s, 'episodes', e, 'episodeNumber'],
          message: `episode ${episode.episodeNumber} is listed twice in season ${season.seasonNumber}`,
        });
      }
      seenEpisodes.add(episode.episodeNumber);
      checkCredits(episode, ctx, ['seasons', s, 'episodes', e]);
    });
  });
}

/** A show has no credits of its own: each episode has its own. */
export const SHOW_CREDITS_MESSAGE = 'a show has no credits of its own: give creditsStartSeconds on its episodes';

/** Run the cross-field checks only on an object that parsed, so they never see bad types. */
const onObjects = {
  when: (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value),
};

/**
 * The fields of an entry an admin writes. PUT replaces the entry: an omitted optional field is
 * stored as null (or no genres). `seasons` is the exception: omitted, the show's episodes stay as
 * they are; given (even empty), they replace every stored episode of the show.
 */
const entryFieldsShape = {
  title: z.string().trim().min(1).max(300).meta({ example: 'Fight Club' }),
  overview: z.string().trim().max(5000).nullable().default(null).meta({ example: 'An insomniac office worker and a soap salesman start an underground fight club.' }),
  releaseYear: z.number().int().min(1870).max(2200).nullable().default(null).meta({ example: 1999 }),
  runtimeSeconds: runtimeSeconds
    .nullable()
    .default(null)
    .meta({ description: 'Seconds; for a show, the typical length of an episode.', example: 8340 }),
  creditsStartSeconds: creditsStartSeconds.meta({
    description: 'movie only (a show gives it per episode): seconds from the start where the end credits begin; below `runtimeSeconds`. ' +
      'Reaching it finishes the movie, whatever the percentage.',
    example: 7920,
  }),
  genres: z.array(z.string().trim().min(1).max(50)).max(20).default([]).meta({ example: ['Drama', 'Thriller'] }),
  posterUrl: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .nullable()
    .default(null)
    .meta({ example: null }),
  seasons: z
    .array(seasonSchema)
    .max(200)
    .optional()
    .meta({ description: 'tv only. Replaces every stored episode of the show; omit it to keep them.' }),
};

/** Body of `PUT /v1/admin/catalog/{mediaType}/{mediaId}`: the key comes from the path. */
export const catalogEntryBodySchema = z
  .strictObject(entryFieldsShape)
  .superRefine((entry, ctx) => {
    checkCredits(entry, ctx);
    checkSeasons(entry, ctx);
  }, onObjects)
  .meta({ id: 'CatalogEntryBody' });

export type CatalogEntryFields = z.output<typeof catalogEntryBodySchema>;

const importEntrySchema = z
  .strictObject({
    mediaType: mediaTypeSchema,
    mediaId: z.number().int().min(1).max(MAX_INT4).meta({ example: 550 }),
    ...entryFieldsShape,
  })
  .superRefine((entry, ctx) => {
    if (entry.mediaType === 'movie' && entry.seasons !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['seasons'], message: 'only a tv show has seasons' });
    }
    if (entry.mediaType === 'tv' && entry.creditsStartSeconds != null) {
      ctx.addIssue({ code: 'custom', path: ['creditsStartSeconds'], message: SHOW_CREDITS_MESSAGE });
    }
    checkCredits(entry, ctx);
    checkSeasons(entry, ctx);
  }, onObjects)
  .meta({ id: 'CatalogImportEntry' });

export type CatalogImportEntry = z.output<typeof importEntrySchema>;

/** Body of `POST /v1/admin/catalog/import`: whole entries, validated together before anything is stored. */
export const catalogImportSchema = z
  .array(importEntrySchema)
  .min(1)
  .max(MAX_IMPORT_ENTRIES)
  .superRefine((entries, ctx) => {
    const seen = new Map<string, number>();
    entries.forEach((entry, i) => {
      const key = `${entry.mediaType}/${entry.mediaId}`;
      const first = seen.get(key);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'mediaId'], message: `${key} is already at index ${first}` });
      else seen.set(key, i);
    });
  })
  .meta({ id: 'CatalogImport' });

export const catalogSearchQuerySchema = z.object({
  search: z
    .string()
    .trim()
    .max(200)
    .refine((v) => !hasNul(v), NUL_MESSAGE)
    .optional()
    .transform((v) => v || undefined)
    .meta({ description: 'Part of the title, any case.', example: 'dark' }),
  mediaType: mediaTypeSchema.optional(),
  limit: z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(100))
    .optional()
    .transform((v) => v ?? 20)
    .meta({ description: '1–100, default 20.', example: '20' }),
});

export type CatalogSearchQuery = z.output<typeof catalogSearchQuerySchema>;

const episodeResponseSchema = z.object({
  episodeNumber: z.number().int().meta({ example: 1 }),
  title: z.string().nullable().meta({ example: '1:23:45' }),
  runtimeSeconds: z.number().int().nullable().meta({ example: 3600 }),
  creditsStartSeconds: z.number().int().optional().meta({ description: 'Where the end credits begin, seconds; absent when unknown.', example: 3420 }),
});

const seasonResponseSchema = z.object({
  seasonNumber: z.number().int().meta({ example: 1 }),
  episodes: z.array(episodeResponseSchema).meta({ description: 'By episode number.' }),
});

export const catalogEntrySchema = z
  .object({
    mediaType: mediaTypeSchema,
    mediaId: z.number().int().meta({ example: 550 }),
    title: z.string().meta({ example: 'Fight Club' }),
    overview: z.string().nullable(),
    releaseYear: z.number().int().nullable().meta({ example: 1999 }),
    runtimeSeconds: z.number().int().nullable().meta({ description: 'Seconds; for a show, the typical length of an episode.', example: 8340 }),
    creditsStartSeconds: z
      .number()
      .int()
      .optional()
      .meta({ description: 'movie only: where the end credits begin, seconds; absent when unknown (a show has it per episode).', example: 7920 }),
    genres: z.array(z.string()).meta({ example: ['Drama', 'Thriller'] }),
    posterUrl: z.string().nullable().meta({ example: null }),
    seasons: z.array(seasonResponseSchema).optional().meta({ description: 'tv only, by season number.' }),
  })
  .meta({ id: 'CatalogEntry' });

export type CatalogEntry = z.output<typeof catalogEntrySchema>;
export type CatalogSeason = z.output<typeof seasonResponseSchema>;

export const catalogSearchResponseSchema = z
  .object({ items: z.array(catalogEntrySchema).meta({ description: 'Title matches first by prefix, then by title; without seasons.' }) })
  .meta({ id: 'CatalogSearchResult' });

export const catalogImportedSchema = z
  .object({ imported: z.number().int().meta({ description: 'Entries written (inserted or replaced).', example: 36 }) })
  .meta({ id: 'CatalogImported' });
