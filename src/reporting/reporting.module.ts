import { Module } from '@nestjs/common';
import { ConcurrencyRepository } from './concurrency.repository.js';
import { NowPlayingController } from './now-playing.controller.js';
import { NowPlayingRepository } from './now-playing.repository.js';
import { NowPlayingService } from './now-playing.service.js';
import { ReportingController } from './reporting.controller.js';
import { ReportingRepository } from './reporting.repository.js';
import { ReportingService } from './reporting.service.js';
import { WatchHoursCron } from './watch-hours.cron.js';

@Module({
  controllers: [ReportingController, NowPlayingController],
  providers: [ReportingService, ReportingRepository, ConcurrencyRepository, NowPlayingService, NowPlayingRepository, WatchHoursCron],
  exports: [ReportingService],
})
export class ReportingModule {}
