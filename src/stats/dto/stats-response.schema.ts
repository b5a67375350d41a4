import { z } from 'zod';

const seconds = (description: string, example: number) => z.number().min(0).meta({ description, example });

export const statsResponseSchema = z
  .object({
    totalSeconds: seconds('Seconds played in the window, summed over every item (3 decimals).', 18234.5),
    totalHours: seconds('totalSeconds / 3600, rounded to 2 decimals.', 5.07),
    itemsStarted: z.number().int().min(0).meta({
      description: 'History items (a movie, or one episode) first watched in the window.',
      example: 4,
    }),
    itemsFinished: z.number().int().min(0).meta({
      description:
        'History items that are finished now and whose latest activity (lastWatchedAt) is in the window. ' +
        'An item finished and then played again from an earlier position is not finished any more and is not counted.',
      example: 2,
    }),
    byMediaType: z
      .object({
        movie: seconds('Seconds of movies.', 8400),
        tv: seconds('Seconds of tv episodes.', 9834.5),
      })
      .meta({ description: 'Seconds per media type; both keys are always present.' }),
    daily: z
      .array(
        z.object({
          date: z.string().meta({ format: 'date', example: '2025-06-01' }),
          seconds: seconds('Seconds played during this calendar day in tz.', 3600),
        }),
      )
      .meta({ description: 'Every day of the window in order, days with nothing played included (seconds 0).' }),
    topTitles: z
      .array(
        z.object({
          mediaType: z.enum(['movie', 'tv']),
          mediaId: z.number().int().meta({ description: 'For tv, the show.', example: 1399 }),
          title: z.string().nullable().meta({
            description:
              "The catalogue's title when it knows the item, else the latest title heartbeats reported for it " +
              '(for a show missing from the catalogue: its most recently watched episode), else null.',
            example: 'Game of Thrones',
          }),
          seconds: seconds('Seconds played in the window; for tv, all episodes of the show together.', 9834.5),
        }),
      )
      .meta({ description: 'The 10 most watched titles of the window, most seconds first; episodes count towards their show.' }),
  })
  .meta({ id: 'UserStats' });

export type StatsResponse = z.output<typeof statsResponseSchema>;
