import { Module } from '@nestjs/common';
import { PlaytimeModule } from '../playtime/playtime.module.js';
import { ReportingModule } from '../reporting/reporting.module.js';
import { AutoDeleteCron } from './auto-delete.cron.js';
import { AutoDeleteRepository } from './auto-delete.repository.js';
import { AutoDeleteService } from './auto-delete.service.js';
import { MaintenanceController } from './maintenance.controller.js';

/** Keeping data only as long as wanted (SPEC §9): auto-delete, daily and on demand. */
@Module({
  imports: [PlaytimeModule, ReportingModule],
  controllers: [MaintenanceController],
  providers: [AutoDeleteService, AutoDeleteRepository, AutoDeleteCron],
})
export class MaintenanceModule {}
