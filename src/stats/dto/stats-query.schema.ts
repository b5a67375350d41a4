import { z } from 'zod';
import { calendarDateSchema } from '../../common/calendar-date.js';

/**
 * IANA names only (`Europe/Paris`, `Etc/GMT+5`, `UTC`). PostgreSQL also accepts POSIX strings such
 * as `+05:00` and `UTC+5` in `AT TIME ZONE`, with the sign inverted (`+05:00` is five hours *west*
 * of Greenwich), so anything that does not look like a zone name is refused before it gets there.
 */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_]*(?:\/[A-Za-z0-9_+-]+)*$/;

export function isTimeZone(name: string): boolean {
  if (!ZONE_NAME.test(name)) return false;
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const calendarDate = (field: 'from' | 'to', description: string) =>
  calendarDateSchema.meta({ description, example: field === 'from' ? '2025-06-01' : '2025-06-30' });

export const statsQuerySchema = z.object({
  from: calendarDate('from', 'First day of the window (inclusive), a calendar date in `tz`. Default: 29 days before `to`.').optional(),
  to: calendarDate('to', 'Last day of the window (inclusive), a calendar date in `tz`. Default: today in `tz`.').optional(),
  tz: z
    .string()
    .max(64)
    .refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris')
    .default('UTC')
    .meta({ description: 'IANA time zone whose calendar days make up the window and the `daily` series.', example: 'Europe/Paris' }),
});

export type StatsQuery = z.output<typeof statsQuerySchema>;
