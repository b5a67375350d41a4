import {
  crossFieldError,
  effectiveSettings,
  settingsDefaults,
  settingsPatchSchema,
  userAutoDeleteDaysSql,
  userContinueWatchingDaysSql,
  userFinishedPercentSql,
  userMinResumePercentSql,
  type EffectiveSettings,
  type UserSettingsRow,
} from './settings.js';

const defaults = { finishedPercent: 90, minResumePercent: 5, continueWatchingDays: 112 };
const row = (over: Partial<UserSettingsRow> = {}): UserSettingsRow => ({
  finished_percent: null, min_resume_percent: null, continue_watching_days: null, auto_delete_days: null, ...over,
});

/** Field paths of the issues a body raises (null when it is valid). */
function fieldsOf(body: unknown): string[] | null {
  const parsed = settingsPatchSchema.safeParse(body);
  if (parsed.success) return null;
  return parsed.error.issues.map((i) => (i.code === 'unrecognized_keys' ? i.keys.join(',') : i.path.join('.')));
}

describe('effective settings', () => {
  it('are the service defaults, and auto-delete off, without a row', () => {
    expect(effectiveSettings(null, defaults)).toEqual({ ...defaults, autoDeleteDays: 0 });
    expect(effectiveSettings(row(), defaults)).toEqual({ ...defaults, autoDeleteDays: 0 });
  });

  it('take each stored value, field by field, and the default for a NULL one', () => {
    expect(effectiveSettings(row({ finished_percent: 80, auto_delete_days: 30 }), defaults)).toEqual({
      finishedPercent: 80, minResumePercent: 5, continueWatchingDays: 112, autoDeleteDays: 30,
    });
    expect(effectiveSettings(row({ min_resume_percent: 0, continue_watching_days: 0, auto_delete_days: 0 }), defaults)).toEqual({
      finishedPercent: 90, minResumePercent: 0, continueWatchingDays: 0, autoDeleteDays: 0,
    });
  });

  it('keep a service default outside the ranges a user may pick', () => {
    const odd = settingsDefaults({ FINISHED_PERCENT: 30, MIN_RESUME_PERCENT: 20, CONTINUE_WATCHING_DAYS: 7 });
    expect(odd).toEqual({ finishedPercent: 30, minResumePercent: 20, continueWatchingDays: 7 });
    expect(effectiveSettings(null, odd)).toEqual({ finishedPercent: 30, minResumePercent: 20, continueWatchingDays: 7, autoDeleteDays: 0 });
  });
});

describe('the PATCH body', () => {
  it.each([
    [{}],
    [{ finishedPercent: 50 }], [{ finishedPercent: 100 }],
    [{ minResumePercent: 0 }], [{ minResumePercent: 50 }],
    [{ continueWatchingDays: 0 }], [{ continueWatchingDays: 3650 }],
    [{ autoDeleteDays: 0 }], [{ autoDeleteDays: 30 }], [{ autoDeleteDays: 3650 }],
    [{ finishedPercent: null, minResumePercent: null, continueWatchingDays: null, autoDeleteDays: null }],
  ])('accepts %j', (body) => {
    expect(fieldsOf(body)).toBeNull();
    expect(settingsPatchSchema.parse(body)).toEqual(body);
  });

  it.each([
    ['finishedPercent', 49], ['finishedPercent', 101], ['finishedPercent', 90.5], ['finishedPercent', '90'], ['finishedPercent', true],
    ['minResumePercent', -1], ['minResumePercent', 51], ['minResumePercent', 2.5], ['minResumePercent', '5'],
    ['continueWatchingDays', -1], ['continueWatchingDays', 3651], ['continueWatchingDays', 1.5], ['continueWatchingDays', []],
    ['autoDeleteDays', -1], ['autoDeleteDays', 1], ['autoDeleteDays', 29], ['autoDeleteDays', 3651], ['autoDeleteDays', 30.5], ['autoDeleteDays', {}],
  ])('refuses %s = %j, naming the field', (field, value) => {
    expect(fieldsOf({ [field]: value })).toEqual([field]);
  });

  it('says what autoDeleteDays takes, and documents null as a reset', () => {
    const parsed = settingsPatchSchema.safeParse({ autoDeleteDays: 29 });
    expect(parsed.error?.issues.map((i) => i.message)).toEqual(['must be 0 (never) or between 30 and 3650']);
    expect(settingsPatchSchema.meta()?.description).toContain('`null` resets it to the service default.');
  });

  it('refuses unknown fields by name, and anything but an object', () => {
    expect(fieldsOf({ finishedPercent: 80, finishedPercnt: 80 })).toEqual(['finishedPercnt']);
    expect(fieldsOf([])).toEqual(['']);
    expect(fieldsOf(null)).toEqual(['']);
  });

  it('keeps an absent field absent (left as it is) and null as null (reset)', () => {
    const parsed = settingsPatchSchema.parse({ minResumePercent: null });
    expect('finishedPercent' in parsed).toBe(false);
    expect(parsed.minResumePercent).toBeNull();
  });
});

describe('minResumePercent below finishedPercent', () => {
  const after = (finishedPercent: number, minResumePercent: number): EffectiveSettings => ({
    finishedPercent, minResumePercent, continueWatchingDays: 112, autoDeleteDays: 0,
  });

  it('holds just below, not at', () => {
    expect(crossFieldError({ minResumePercent: 49 }, after(50, 49))).toBeNull();
    expect(crossFieldError({ minResumePercent: 50 }, after(50, 50))).toEqual({ field: 'minResumePercent', message: 'must be below finishedPercent (50)' });
  });

  it('names minResumePercent when the patch sets it, finishedPercent when only that one changed', () => {
    expect(crossFieldError({ finishedPercent: 50, minResumePercent: 50 }, after(50, 50))?.field).toBe('minResumePercent');
    expect(crossFieldError({ minResumePercent: null }, after(50, 60))?.field).toBe('minResumePercent');
    expect(crossFieldError({ finishedPercent: 50 }, after(50, 50))).toEqual({ field: 'finishedPercent', message: 'must be above minResumePercent (50)' });
    expect(crossFieldError({ finishedPercent: null, autoDeleteDays: 30 }, after(40, 45))?.field).toBe('finishedPercent');
  });

  it('is not checked when the patch touches neither field', () => {
    expect(crossFieldError({ continueWatchingDays: 3, autoDeleteDays: 0 }, after(40, 45))).toBeNull();
    expect(crossFieldError({}, after(40, 45))).toBeNull();
  });
});

describe('settings in SQL', () => {
  it('is the user’s value, else the default given', () => {
    expect(userFinishedPercentSql('h.user_id', '$2')).toBe(
      'COALESCE((SELECT settings_of_user.finished_percent FROM user_settings settings_of_user WHERE settings_of_user.user_id = h.user_id), $2)',
    );
    expect(userMinResumePercentSql('$1', '$3')).toContain('settings_of_user.min_resume_percent FROM user_settings');
    expect(userMinResumePercentSql('$1', '$3')).toMatch(/user_id = \$1\), \$3\)$/);
    expect(userContinueWatchingDaysSql('x.u', '$9')).toMatch(/^COALESCE\(\(SELECT settings_of_user\.continue_watching_days .* = x\.u\), \$9\)$/);
    expect(userAutoDeleteDaysSql('x.u')).toMatch(/^COALESCE\(\(SELECT settings_of_user\.auto_delete_days .* = x\.u\), 0\)$/);
  });
});
