import { z } from 'zod';
import { mediaTypeSchema } from '../../watch/media.js';

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
          mediaType: mediaTypeSchema,
          mediaId: z.number().int().meta({ description: 'For tv, the show.', example: 1399 }),
          title: z.string().nullable().meta({
            description:
              "The catalogue's title when it knows the item, else the most recent title any heartbeat carried for it " +
              '(for a show: for any of its episodes), else null. The same title as in the watch-hours reports.',
            example: 'Game of Thrones',
          }),
          seconds: seconds('Seconds played in the window; for tv, all episodes of the show together.', 9834.5),
        }),
      )
      .meta({ description: 'The 10 most watched titles of the window, most seconds first; episodes count towards their show.' }),
    byHourOfDay: z
      .array(z.number().min(0))
      .length(24)
      .meta({
        description:
          'Seconds played in each local hour of the day in tz, hour 0 (midnight to 1 am) first, 24 numbers summed over the window. ' +
          'Time is kept per UTC hour and counts towards the local hour in which that UTC hour starts.',
        example: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1800, 3600, 7200, 5634.5, 0, 0],
      }),
    byWeekday: z
      .array(z.number().min(0))
      .length(7)
      .meta({
        description: 'Seconds played on each local weekday in tz, Monday first (Monday … Sunday), summed over the window.',
        example: [0, 3600, 0, 1800, 5400, 7434.5, 0],
      }),
  })
  .meta({ id: 'UserStats' });

export type StatsResponse = z.output<typeof statsResponseSchema>;
