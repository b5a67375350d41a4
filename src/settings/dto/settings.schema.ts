import { z } from 'zod';

export { settingsPatchSchema, type SettingsPatch } from '../../watch/settings.js';

/** The settings in force: the user's own values, the service defaults elsewhere. */
export const settingsSchema = z
  .object({
    finishedPercent: z.number().int().meta({ description: 'Progress from which an item counts as finished.', example: 90 }),
    minResumePercent: z.number().int().meta({ description: 'Progress from which an unfinished item is offered to resume.', example: 5 }),
    continueWatchingDays: z.number().int().meta({ description: 'Items last watched longer ago leave continue watching; 0 = never.', example: 112 }),
    autoDeleteDays: z.number().int().meta({ description: 'History items not watched for this many days are deleted, once a day; 0 = never.', example: 0 }),
  })
  .meta({ id: 'Settings', example: { finishedPercent: 90, minResumePercent: 5, continueWatchingDays: 112, autoDeleteDays: 0 } });
