import { z } from 'zod';

/** Upper bound of ids and numbers stored as PostgreSQL `integer`. */
export const MAX_INT4 = 2_147_483_647;

export const mediaTypeSchema = z.enum(['movie', 'tv']);

/** A whole number in a path or query string, `min`..`MAX_INT4`; the message names the parameter. */
export const intParam = (name: string, min: number) =>
  z.string().regex(/^\d+$/, `${name} must be a whole number`).transform(Number).pipe(z.number().int().min(min).max(MAX_INT4));

/** `/{mediaType}/{mediaId}`: the path of a movie or show, in the catalogue as in the history. */
export const mediaPathSchema = z.object({
  mediaType: mediaTypeSchema,
  mediaId: intParam('mediaId', 1),
});

export type MediaPath = z.output<typeof mediaPathSchema>;
