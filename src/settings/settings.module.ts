import { Module } from '@nestjs/common';
import { HistoryWriteThrottlerGuard } from '../history/history-write-throttler.guard.js';
import { SettingsController } from './settings.controller.js';
import { SettingsRepository } from './settings.repository.js';
import { SettingsService } from './settings.service.js';

/** Per-user settings; exports `SettingsService` for the features that read or reset them. */
@Module({
  controllers: [SettingsController],
  providers: [SettingsService, SettingsRepository, HistoryWriteThrottlerGuard],
  exports: [SettingsService],
})
export class SettingsModule {}
