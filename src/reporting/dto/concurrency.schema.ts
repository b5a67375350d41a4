import { z } from 'zod';
import { calendarDateSchema } from '../../common/calendar-date.js';
import { isTimeZone } from '../../stats/dto/stats-query.schema.js';

const day = (description: string, example: string) => calendarDateSchema.meta({ description, example });

export const concurrencyQuerySchema = z.object({
  from: day('First day (inclusive), a calendar day in `tz`. Default: 6 days before `to`.', '2025-12-01').optional(),
  to: day('Last day (inclusive), a calendar day in `tz`. Default: today in `tz`.', '2025-12-07').optional(),
  interval: z.enum(['5m', '1h', '1d']).default('1h').meta({ description: 'Length of each row: 5 minutes, an hour or a day of `tz`.', example: '1h' }),
  tz: z
    .string()
    .max(64)
    .refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris')
    .default('UTC')
    .meta({ description: 'IANA time zone whose days and hours the intervals follow.', example: 'Asia/Kolkata' }),
  format: z.enum(['json', 'csv']).default('json'),
});

export type ConcurrencyQuery = z.output<typeof concurrencyQuerySchema>;

export const concurrencyRowSchema = z.object({
  start: z.string().meta({
    format: 'date-time',
    description: "Start of the interval, in `tz`'s local time with its UTC offset.",
    example: '2025-12-01T20:00:00+05:30',
  }),
  peakViewers: z.number().int().min(0).meta({ description: 'Most distinct users playing at one moment of the interval.', example: 3 }),
  peakSessions: z.number().int().min(0).meta({ description: 'Most sessions playing at one moment of the interval.', example: 4 }),
});

export const concurrencyReportSchema = z
  .object({
    from: z.string().meta({ example: '2025-12-01' }),
    to: z.string().meta({ example: '2025-12-07' }),
    interval: z.enum(['5m', '1h', '1d']),
    tz: z.string().meta({ example: 'Asia/Kolkata' }),
    rows: z.array(concurrencyRowSchema).meta({ description: 'Every interval of the window in order, zeros included.' }),
  })
  .meta({ id: 'ConcurrencyReport' });

export type ConcurrencyReport = z.output<typeof concurrencyReportSchema>;
