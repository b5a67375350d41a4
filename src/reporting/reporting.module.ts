import { Module } from '@nestjs/common';
import { ReportingController } from './reporting.controller.js';
import { ReportingRepository } from './reporting.repository.js';
import { ReportingService } from './reporting.service.js';
import { WatchHoursCron } from './watch-hours.cron.js';

@Module({
  controllers: [ReportingController],
  providers: [ReportingService, ReportingRepository, WatchHoursCron],
  exports: [ReportingService],
})
export class ReportingModule {}
