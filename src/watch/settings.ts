import { z } from 'zod';
import type { ProgressThresholds } from './progress.js';

/**
 * Per-user settings (SPEC §7). A user stores only what they changed: a NULL column of
 * `user_settings` (or no row) means the service default, so a later change of the default reaches
 * everyone who never picked their own value.
 */

/** The values in force for one user: their own where set, the service's elsewhere. */
export interface EffectiveSettings extends Pick<ProgressThresholds, 'finishedPercent' | 'minResumePercent'> {
  /** Items last watched longer ago than this many days leave continue watching; 0 = never. */
  continueWatchingDays: number;
  /** History items not watched for this many days are deleted, once a day; 0 = never. */
  autoDeleteDays: number;
}

/** The service defaults (from the configuration); auto-delete is off unless a user turns it on. */
export type SettingsDefaults = Omit<EffectiveSettings, 'autoDeleteDays'>;

/** The service defaults of a validated configuration. */
export function settingsDefaults(config: { FINISHED_PERCENT: number; MIN_RESUME_PERCENT: number; CONTINUE_WATCHING_DAYS: number }): SettingsDefaults {
  return {
    finishedPercent: config.FINISHED_PERCENT,
    minResumePercent: config.MIN_RESUME_PERCENT,
    continueWatchingDays: config.CONTINUE_WATCHING_DAYS,
  };
}

/** A `user_settings` row as read; NULL = the service default. */
/** The columns of a `user_settings` row that hold settings, as `UserSettingsRow` names them. */
export const USER_SETTINGS_COLUMNS = 'finished_percent, min_resume_percent, continue_watching_days, auto_delete_days';

export interface UserSettingsRow {
  finished_percent: number | null;
  min_resume_percent: number | null;
  continue_watching_days: number | null;
  auto_delete_days: number | null;
}

export function effectiveSettings(row: UserSettingsRow | null, defaults: SettingsDefaults): EffectiveSettings {
  return {
    finishedPercent: row?.finished_percent ?? defaults.finishedPercent,
    minResumePercent: row?.min_resume_percent ?? defaults.minResumePercent,
    continueWatchingDays: row?.continue_watching_days ?? defaults.continueWatchingDays,
    autoDeleteDays: row?.auto_delete_days ?? 0,
  };
}

export const SETTINGS_RANGES = {
  finishedPercent: { min: 50, max: 100 },
  minResumePercent: { min: 0, max: 50 },
  continueWatchingDays: { min: 0, max: 3650 },
  autoDeleteDays: { min: 30, max: 3650 },
} as const;

const NULL_NOTE = '`null` resets it to the service default.';
const whole = (field: keyof typeof SETTINGS_RANGES) =>
  z.number().int().min(SETTINGS_RANGES[field].min).max(SETTINGS_RANGES[field].max);
const { min: autoMin, max: autoMax } = SETTINGS_RANGES.autoDeleteDays;

/**
 * A PATCH of the settings: any of the four fields, each a whole number in its range or `null`;
 * an absent field is left as it is, an unknown one is refused. Whether `minResumePercent` stays
 * below `finishedPercent` depends on the stored values too: see `crossFieldError`.
 */
export const settingsPatchSchema = z
  .strictObject({
    finishedPercent: whole('finishedPercent')
      .nullable()
      .optional()
      .meta({ description: `Progress (50–100) from which an item counts as finished. ${NULL_NOTE}`, example: 85 }),
    minResumePercent: whole('minResumePercent')
      .nullable()
      .optional()
      .meta({ description: `Progress (0–50, below finishedPercent) from which an unfinished item is offered to resume. ${NULL_NOTE}`, example: 3 }),
    continueWatchingDays: whole('continueWatchingDays')
      .nullable()
      .optional()
      .meta({ description: `0–3650: items last watched longer ago leave continue watching; 0 = never. ${NULL_NOTE}`, example: 30 }),
    autoDeleteDays: z
      .number()
      .int()
      .refine((v) => v === 0 || (v >= autoMin && v <= autoMax), `must be 0 (never) or between ${autoMin} and ${autoMax}`)
      .nullable()
      .optional()
      .meta({ description: `0 (never) or 30–3650: history items not watched for that many days are deleted, once a day. ${NULL_NOTE}`, example: 365 }),
  })
  .meta({
    id: 'SettingsPatch',
    description: `Any of the settings; absent fields keep their value. ${NULL_NOTE}`,
    example: { finishedPercent: 85, continueWatchingDays: null },
  });

export type SettingsPatch = z.output<typeof settingsPatchSchema>;

/**
 * The rule across fields, on the values in force after the patch: `minResumePercent` below
 * `finishedPercent`. Checked only when the patch sets one of the two (a change of the service
 * defaults must not block unrelated changes). The error names `minResumePercent` when the patch
 * sets it, else `finishedPercent`, the field the caller changed.
 */
export function crossFieldError(patch: SettingsPatch, after: EffectiveSettings): { field: string; message: string } | null {
  const setsMin = patch.minResumePercent !== undefined;
  if (!setsMin && patch.finishedPercent === undefined) return null;
  if (after.minResumePercent < after.finishedPercent) return null;
  return setsMin
    ? { field: 'minResumePercent', message: `must be below finishedPercent (${after.finishedPercent})` }
    : { field: 'finishedPercent', message: `must be above minResumePercent (${after.minResumePercent})` };
}

/**
 * SQL of one user's setting with the service default, for statements that need it per user: the
 * user's value when set, else `defaultExpr` (a parameter such as `$3`). The subquery's alias is
 * unusual so it cannot capture an alias of the enclosing statement used in `userIdExpr`.
 */
function userSettingSql(column: keyof UserSettingsRow, userIdExpr: string, defaultExpr: string): string {
  return `COALESCE((SELECT settings_of_user.${column} FROM user_settings settings_of_user WHERE settings_of_user.user_id = ${userIdExpr}), ${defaultExpr})`;
}

export const userFinishedPercentSql = (userIdExpr: string, defaultParam: string) => userSettingSql('finished_percent', userIdExpr, defaultParam);
export const userMinResumePercentSql = (userIdExpr: string, defaultParam: string) => userSettingSql('min_resume_percent', userIdExpr, defaultParam);
export const userContinueWatchingDaysSql = (userIdExpr: string, defaultParam: string) => userSettingSql('continue_watching_days', userIdExpr, defaultParam);
/** Auto-delete is off by default: no parameter needed. */
export const userAutoDeleteDaysSql = (userIdExpr: string) => userSettingSql('auto_delete_days', userIdExpr, '0');
