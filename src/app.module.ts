import { Module, type DynamicModule } from '@nestjs/common';
import { loggerOptions } from './logging/logger-options.js';
import { LoggingModule } from './logging/logging.module.js';
import { AccessLogModule } from './logging/access-log.js';
import { ScheduleModule } from '@nestjs/schedule';
import { ThrottlerModule, type ThrottlerStorage } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from './auth/auth.module.js';
import { CatalogModule } from './catalog/catalog.module.js';
import { Clock } from './common/clock.js';
import { WindowThrottlerStorage } from './common/window-throttler.storage.js';
import { APP_CONFIG, type AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { DashboardModule } from './dashboard/dashboard.module.js';
import { DemoModule } from './demo/demo.module.js';
import { dataSourceOptions, serviceTimeouts } from './database/data-source-options.js';
import { HealthModule } from './health/health.module.js';
import { HistoryModule } from './history/history.module.js';
import { ImportModule } from './import/import.module.js';
import { playtimeThrottlers } from './playtime/playtime-throttler.guard.js';
import { MaintenanceModule } from './maintenance/maintenance.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { PlaytimeModule } from './playtime/playtime.module.js';
import { RedisModule } from './redis/redis.module.js';
import { SettingsModule } from './settings/settings.module.js';
import { REDIS_THROTTLER_STORAGE } from './redis/redis.constants.js';
import { ReportingModule } from './reporting/reporting.module.js';
import { StatsModule } from './stats/stats.module.js';

export interface AppModuleOptions {
  config: AppConfig;
  databaseUrl: string;
  clock?: Clock;
  /** Pretty-print logs (a terminal); JSON lines otherwise. */
  interactive?: boolean;
}

@Module({})
export class AppModule {
  static forRoot({ config, databaseUrl, clock, interactive = false }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config, clock),
        LoggingModule.forRoot(loggerOptions(config, interactive)),
        AccessLogModule,
        TypeOrmModule.forRoot(dataSourceOptions(databaseUrl, 20, serviceTimeouts(config))),
        ScheduleModule.forRoot(),
        // Limits shared through Redis when REDIS_URL is set (falling back to memory per call while
        // Redis is down); otherwise a fixed-window counter in memory, per instance (O(1) a request,
        // unlike the package's default storage).
        ThrottlerModule.forRootAsync({
          imports: [RedisModule],
          inject: [APP_CONFIG, REDIS_THROTTLER_STORAGE, Clock],
          useFactory: (appConfig: AppConfig, storage: ThrottlerStorage | null, appClock: Clock) => ({
            throttlers: playtimeThrottlers(appConfig),
            storage: storage ?? new WindowThrottlerStorage(() => appClock.now()),
          }),
        }),
        MetricsModule,
        AuthModule,
        PlaytimeModule,
        HistoryModule,
        HealthModule,
        CatalogModule,
        StatsModule,
        DemoModule,
        DashboardModule,
        ReportingModule,
        SettingsModule,
        ImportModule,
        MaintenanceModule,
      ],
    };
  }
}
