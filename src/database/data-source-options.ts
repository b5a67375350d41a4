import type { DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations/index.js';
import { QueryLogger } from './query-logger.js';

/** Server-side limits per connection, in milliseconds; 0 turns one off. */
export interface SessionTimeouts {
  /** Longest a statement may run (a hung flush or report is cancelled, 57014). */
  statementTimeoutMs: number;
  /** Longest a statement may wait for a lock, advisory locks included (55P03, retried). */
  lockTimeoutMs: number;
  /** Longest a connection may sit idle inside a transaction before the server ends it. */
  idleInTransactionTimeoutMs: number;
}

/**
 * One place that says how we talk to PostgreSQL, used by the service, the CLIs and the tests.
 * No entities: every query that matters is written out in a repository. Never `synchronize`.
 * `timeouts` are for the service; the migration and report CLIs run without them (an index
 * build or a long report is not a hang, and the migrator waits for another one on purpose).
 */
export function dataSourceOptions(url: string, poolSize = 20, timeouts?: SessionTimeouts): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    logging: ['error', 'warn', 'migration'],
    logger: new QueryLogger(),
    extra: {
      max: poolSize,
      connectionTimeoutMillis: 5000,
      // JIT made the flush statements 2x slower in measurements; they are short and planned fresh.
      options: '-c jit=off',
      application_name: 'playtime',
      // Sent as startup parameters; node-postgres leaves a 0 out, so the server's default (off) holds.
      ...(timeouts && {
        statement_timeout: timeouts.statementTimeoutMs,
        lock_timeout: timeouts.lockTimeoutMs,
        idle_in_transaction_session_timeout: timeouts.idleInTransactionTimeoutMs,
      }),
    },
  };
}

/** The service's timeouts from its configuration. */
export function serviceTimeouts(config: {
  DB_STATEMENT_TIMEOUT_MS: number;
  DB_LOCK_TIMEOUT_MS: number;
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: number;
}): SessionTimeouts {
  return {
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    lockTimeoutMs: config.DB_LOCK_TIMEOUT_MS,
    idleInTransactionTimeoutMs: config.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
  };
}
