import { z } from 'zod';

/** The first and last calendar days any query may name. */
export const FIRST_DAY = '1970-01-01';
export const LAST_DAY = '9999-12-31';

/**
 * A real calendar day, YYYY-MM-DD, within FIRST_DAY..LAST_DAY. `z.iso.date()` alone knows month
 * lengths and leap years (2020-02-30 is refused) but accepts year 0000, which PostgreSQL rejects
 * (22008) and which would otherwise surface as a 500. Nothing this service stores predates 1970.
 */
export const calendarDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .pipe(z.iso.date('is not a calendar date'))
  .refine((d) => d >= FIRST_DAY && d <= LAST_DAY, `must be between ${FIRST_DAY} and ${LAST_DAY}`);
