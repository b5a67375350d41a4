import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { QueryLogger } from './query-logger.js';

/** Failures are logged as TypeORM's queries' are: the statement's summary, never its parameters. */
const logger = new QueryLogger();

/**
 * A statement the hot read routes send many times a second: prepared once per pooled connection
 * (a named statement of node-postgres), so PostgreSQL parses it once and, after a few runs, keeps
 * one generic plan for it. Planning the history page (its title, credits and hide-mark probes) cost
 * more than running it: 0.69 ms against 0.26 ms a call on 1M rows. It goes straight to TypeORM's
 * pg pool, which also skips a query runner per call. The name is a hash of the text, so two
 * statements can never share a name, and a text changed by a deploy is a new statement.
 *
 * Write statements in a plan-stable form: a parameter that may be NULL ("no bound") should be
 * folded into a bound that is always there (`col < COALESCE($n, 'infinity')`), or the generic plan
 * runs the index range unbounded and filters it.
 */
export class Prepared {
  readonly name: string;

  constructor(readonly text: string) {
    this.name = `pt_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
  }

  async rows<T>(dataSource: DataSource, values: unknown[]): Promise<T[]> {
    const pool = (dataSource.driver as unknown as { master: PgPool }).master;
    try {
      const result = await pool.query({ name: this.name, text: this.text, values });
      return result.rows as T[];
    } catch (err) {
      logger.logQueryError(err as Error, this.text);
      throw err;
    }
  }
}

/** What this module needs of pg's Pool. */
interface PgPool {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}
