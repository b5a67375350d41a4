/**
 * `npm run bench:import`: the speed and memory of the history import (SPEC §9) at sizes of one's
 * choice (`npm run bench` has the same measure as its import section: bench/lib/import-measure.ts).
 *
 * For each size (default 100,000 and 1,000,000 documents of 100,000 users), on a fresh migrated
 * database: the import against its ceilings. Writes bench/results/import.{md,json}.
 *
 * Options: --sizes=100000,1000000, --users=100000, --out=<dir>. Uses DATABASE_URL when set (its
 * server must allow CREATE DATABASE), else an embedded server in .data/bench-import.
 */
import 'reflect-metadata';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { EmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { migrateDatabase } from '../src/database/run-migrations.js';
import { freePort } from '../test/utils/child-server.js';
import { IMPORT_NOTES, importTable, measureImport, type ImportSizeResult } from './lib/import-measure.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const WORK = join(ROOT, '.data', 'bench-import');

const args = process.argv.slice(2);
const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const sizes = (option('sizes') ?? '100000,1000000').split(',').map(Number);
const users = Number(option('users') ?? '100000');
const outDir = resolve(option('out') ?? join(ROOT, 'bench', 'results'));
const log = (line: string) => console.log(`[bench:import ${new Date().toISOString().slice(11, 19)}] ${line}`);

async function freshDatabase(urlOf: (db: string) => string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: urlOf('postgres') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  await admin.end();
  const url = urlOf(name);
  await migrateDatabase(url);
  return url;
}

function markdown(results: ImportSizeResult[], source: string): string {
  return [
    '## History import (`npm run bench:import`)',
    '',
    `Generated on ${new Date().toISOString()} (${source}).`,
    ...IMPORT_NOTES.map((n) => `- ${n}`),
    '',
    ...importTable(results),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  await mkdir(WORK, { recursive: true });
  let embedded: EmbeddedPostgres | null = null;
  let urlOf: (db: string) => string;
  let source: string;
  if (process.env.DATABASE_URL) {
    const base = process.env.DATABASE_URL;
    urlOf = (db) => Object.assign(new URL(base), { pathname: `/${db}` }).toString();
    source = 'DATABASE_URL';
  } else {
    embedded = new EmbeddedPostgres(join(WORK, 'pg-cluster'), await freePort());
    await embedded.start();
    const e = embedded;
    urlOf = (db) => e.url(db);
    source = 'embedded PostgreSQL';
  }
  try {
    const results: ImportSizeResult[] = [];
    for (const n of sizes) {
      const url = await freshDatabase(urlOf, `bench_import_${n}`);
      results.push(await measureImport({ url, documents: n, users, workDir: WORK, log }));
    }
    await mkdir(outDir, { recursive: true });
    await writeFile(join(outDir, 'import.json'), JSON.stringify({ generatedAt: new Date().toISOString(), source, results }, null, 2) + '\n');
    await writeFile(join(outDir, 'import.md'), markdown(results, source));
    log(`written ${join(outDir, 'import.md')}`);
  } finally {
    await embedded?.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
