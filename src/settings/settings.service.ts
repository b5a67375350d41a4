import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { FieldValidationException } from '../common/errors.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import {
  crossFieldError,
  effectiveSettings,
  settingsDefaults,
  type EffectiveSettings,
  type SettingsDefaults,
  type SettingsPatch,
  type UserSettingsRow,
} from '../watch/settings.js';
import { SettingsRepository, type SqlRunner } from './settings.repository.js';

/** Per-user settings: what is in force for a user, changing them, and going back to the defaults. */
@Injectable()
export class SettingsService {
  readonly defaults: SettingsDefaults;

  constructor(
    private readonly repository: SettingsRepository,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.defaults = settingsDefaults(config);
  }

  /** The user's settings in force (one primary-key lookup). */
  async effective(userId: string): Promise<EffectiveSettings> {
    return this.fromRow(await this.repository.find(userId));
  }

  /** The settings in force for a `user_settings` row read by another statement (null: none). */
  fromRow(row: UserSettingsRow | null): EffectiveSettings {
    return effectiveSettings(row, this.defaults);
  }

  /** Applies a validated patch; 400 (nothing stored) when minResumePercent would not stay below finishedPercent. */
  async patch(userId: string, patch: SettingsPatch): Promise<EffectiveSettings> {
    return this.repository.patch(userId, patch, new Date(this.clock.now()), (row) => {
      const after = effectiveSettings(row, this.defaults);
      const error = crossFieldError(patch, after);
      if (error) throw new FieldValidationException([error]);
      return after;
    });
  }

  /** Back to the service defaults; pass `runner` to do it inside the caller's transaction. */
  async reset(userId: string, runner?: SqlRunner): Promise<void> {
    await this.repository.reset(userId, runner);
  }
}
