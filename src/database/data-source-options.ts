import type { DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations/index.js';

/**
 * One place that says how we talk to PostgreSQL, used by the service, the CLIs and the tests.
 * No entities: every query that matters is written out in a repository. Never `synchronize`.
 */
export function dataSourceOptions(url: string, poolSize = 20): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    logging: ['error'],
    extra: {
      max: poolSize,
      connectionTimeoutMillis: 5000,
      // JIT made the flush statements 2x slower in measurements; they are short and planned fresh.
      options: '-c jit=off',
      application_name: 'playtime',
    },
  };
}
