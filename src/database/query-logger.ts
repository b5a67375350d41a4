import { Logger as NestLogger } from '@nestjs/common';
import type { Logger as TypeOrmLogger } from 'typeorm';
import { describeDbError } from './db-errors.js';

/** The statement, on one line and short: enough to tell which query failed. */
function summary(query: string): string {
  return query.replace(/\s+/g, ' ').trim().slice(0, 120);
}

/**
 * TypeORM's own loggers print a failing query's whole parameter array (user ids, titles) to
 * stdout, outside pino and its redaction. This one sends database messages through the
 * application's logger and never looks at parameters.
 */
export class QueryLogger implements TypeOrmLogger {
  private readonly logger = new NestLogger('Database');

  logQuery(): void {
    // Not logged: every query would be a line, and its parameters are personal data.
  }

  logQueryError(error: string | Error, query: string): void {
    this.logger.warn({ msg: 'query failed', error: describeDbError(error), query: summary(query) });
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn({ msg: 'slow query', ms: time, query: summary(query) });
  }

  // Schema and migration narration: `migrate.ts` reports what it applied itself.
  logSchemaBuild(): void {}

  logMigration(): void {}

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    // Only warnings: the rest is TypeORM narrating migrations, which `migrate.ts` reports itself.
    if (level === 'warn') this.logger.warn(String(message));
  }
}
