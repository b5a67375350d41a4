import { Module } from '@nestjs/common';
import { PlaytimeModule } from '../playtime/playtime.module.js';
import { SettingsModule } from '../settings/settings.module.js';
import { CurationRepository } from './curation.repository.js';
import { HistoryController } from './history.controller.js';
import { HistoryWriteThrottlerGuard } from './history-write-throttler.guard.js';
import { HistoryRepository } from './history.repository.js';
import { HistoryService } from './history.service.js';

@Module({
  imports: [PlaytimeModule, SettingsModule],
  controllers: [HistoryController],
  providers: [HistoryService, HistoryRepository, CurationRepository, HistoryWriteThrottlerGuard],
})
export class HistoryModule {}
