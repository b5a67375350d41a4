import { z } from 'zod';
import { calendarDateSchema } from '../../common/calendar-date.js';
import { mediaTypeSchema } from '../../watch/media.js';
import { reportRangeIssues } from '../../watch/window.js';

const date = calendarDateSchema.meta({ description: 'A UTC calendar day, YYYY-MM-DD (1970-01-01 … 9999-12-31)', example: '2025-12-15' });

export const watchHoursQuerySchema = z
  .object({
    from: date.optional().meta({ description: 'First UTC day (inclusive); default: 6 days before `to`' }),
    to: date.optional().meta({ description: 'Last UTC day (inclusive); default: today' }),
    groupBy: z.enum(['day', 'media', 'mediaType', 'platform']).default('day').meta({
      description: "Rows per UTC day, per title, per media type, or per the sessions' `device.platform` (`unknown` when none).",
      example: 'day',
    }),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .superRefine((q, ctx) => {
    if (!q.from || !q.to) return;
    for (const issue of reportRangeIssues(q.from, q.to)) ctx.addIssue({ code: 'custom', path: [issue.field], message: issue.message });
  });

export const rollupQuerySchema = z.object({
  date: date.meta({ description: 'A UTC day up to today; today is rolled up with the time stored so far, and again once it has closed.' }),
});

const figures = {
  watchSeconds: z.number().meta({ example: 7200 }),
  watchHours: z.number().meta({ example: 2 }),
  viewers: z.number().int().meta({ description: 'Distinct viewers per day; summed over the days a row spans (viewer-days).', example: 3 }),
  completions: z.number().int().meta({ description: 'Sessions that reached FINISHED_PERCENT.', example: 1 }),
};

export const watchHoursReportSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    groupBy: z.enum(['day', 'media', 'mediaType', 'platform']),
    rows: z.array(
      z.union([
        z.object({ date: z.string(), ...figures }),
        z.object({ mediaType: mediaTypeSchema, mediaId: z.number().int(), title: z.string().nullable(), ...figures }),
        z.object({ mediaType: mediaTypeSchema, ...figures }),
        z.object({ platform: z.string().meta({ description: "The sessions' `device.platform` as sent, or `unknown`.", example: 'tizen' }), ...figures }),
      ]),
    ),
  })
  .meta({ id: 'WatchHoursReport' });
