import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { migrateDatabase } from '../../src/database/run-migrations.js';
import { migrations } from '../../migrations/index.js';
import { serverUrl, withAdminClient } from '../utils/test-database.js';

describe('migrations', () => {
  const name = `t_${randomBytes(6).toString('hex')}`;
  beforeAll(() => withAdminClient((c) => c.query(`CREATE DATABASE ${name}`)));
  afterAll(() => withAdminClient((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));

  it('run once when two instances start together (advisory lock), and are a no-op afterwards', async () => {
    const url = serverUrl(name);
    const [a, b] = await Promise.all([migrateDatabase(url), migrateDatabase(url)]);
    expect([...a, ...b].sort()).toEqual(migrations.map((m) => new m().name).sort());
    expect(await migrateDatabase(url)).toEqual([]);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'watch_history_item_key'`);
    await client.end();
    expect(rows[0].indexdef).toContain('NULLS NOT DISTINCT');
  });
});
