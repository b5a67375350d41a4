import pg from 'pg';
import { randomBytes } from 'node:crypto';

export const TEMPLATE_DB = 'playtime_template';

/** The server the tests use: `DATABASE_URL`, or the embedded one started by the global setup. */
export function serverUrl(database = 'postgres'): string {
  const base = process.env.PLAYTIME_TEST_SERVER_URL;
  if (!base) throw new Error('PLAYTIME_TEST_SERVER_URL is not set: run tests through `npm test`');
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withAdminClient<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl('postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh database copied from the migrated template: test files never share state. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  await withAdminClient((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}`));
  return {
    url: serverUrl(name),
    drop: () => withAdminClient((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
