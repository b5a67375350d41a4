import { Module } from '@nestjs/common';
import { DashboardStatic } from './dashboard-static.js';

/**
 * The admin dashboard at `/admin/`: watch hours per day, top titles, platforms, the concurrency
 * curve and who is playing now, drawn from the `/v1/admin` routes.
 */
@Module({ providers: [DashboardStatic] })
export class DashboardModule {}
