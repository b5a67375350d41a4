import { CacheModule } from '@nestjs/cache-manager';
import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { RedisModule } from '../redis/redis.module.js';
import { CatalogAdminController } from './catalog-admin.controller.js';
import { CatalogCache } from './catalog-cache.js';
import { catalogCacheStores } from './catalog-cache-stores.js';
import { CatalogController } from './catalog.controller.js';
import { CatalogRepository } from './catalog.repository.js';
import { CatalogService } from './catalog.service.js';

@Module({
  imports: [
    RedisModule,
    // The catalogue's own cache (not global): TTL in ms, stores chosen in one place.
    CacheModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({ ttl: config.CATALOG_CACHE_TTL_MS, stores: catalogCacheStores(config) }),
    }),
  ],
  controllers: [CatalogController, CatalogAdminController],
  providers: [CatalogService, CatalogRepository, CatalogCache],
  exports: [CatalogService],
})
export class CatalogModule {}
