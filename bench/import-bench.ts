/**
 * `npm run bench:import`: the speed and memory of the history import (SPEC §9).
 *
 * For each size (default 100,000 and 1,000,000 documents of 100,000 users), on a fresh migrated
 * database: generates the documents into an NDJSON file (untimed), runs `npm run import`'s
 * program (dist/src/cli/import.js) on it as a child process (timed; its peak RSS sampled), then
 * loads the same rows (one per document, the session columns) with a plain `COPY` into an
 * unindexed table of the same database (psql `\copy`, timed): the ceiling. Writes
 * bench/results/import.{md,json}.
 *
 * Options: --sizes=100000,1000000, --users=100000, --out=<dir>. Uses DATABASE_URL when set (its
 * server must allow CREATE DATABASE), else an embedded server in .data/bench-import.
 */
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { EmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { migrateDatabase } from '../src/database/run-migrations.js';
import { legacyDocumentSchema } from '../src/import/dto/legacy-document.schema.js';
import { legacyPlay } from '../src/import/legacy-play.js';
import { freePort } from '../test/utils/child-server.js';
import { rssSampler, spawnNode, waitExit } from './lib/util.js';

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'import.js');
const WORK = join(ROOT, '.data', 'bench-import');

const args = process.argv.slice(2);
const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const sizes = (option('sizes') ?? '100000,1000000').split(',').map(Number);
const users = Number(option('users') ?? '100000');
const outDir = resolve(option('out') ?? join(ROOT, 'bench', 'results'));
const log = (line: string) => console.log(`[bench:import ${new Date().toISOString().slice(11, 19)}] ${line}`);

interface SizeResult {
  documents: number;
  users: number;
  fileBytes: number;
  importSeconds: number;
  importDocsPerSec: number;
  copySeconds: number;
  copyRowsPerSec: number;
  ratio: number;
  peakRssMb: number;
  imported: number;
}

/** Document `i` of a run: users round-robin, a mix of episodes and movies over the last year. */
function document(i: number, now: number): Record<string, unknown> {
  const tv = i % 3 !== 0;
  const totalDuration = tv ? 2700 : 7200;
  const currentTime = (i * 7919) % totalDuration;
  return {
    userId: `bench-user-${i % users}`,
    mediaType: tv ? 'tv' : 'movie',
    mediaId: tv ? 1 + (i % 500) : 10_000 + (i % 5000),
    ...(tv ? { seasonNumber: 1 + (i % 5), episodeNumber: 1 + ((i >> 3) % 12) } : {}),
    progress: Math.round((100 * currentTime) / totalDuration),
    currentTime,
    totalDuration,
    totalPlayedSeconds: 60 + ((i * 104_729) % totalDuration),
    finished: i % 4 === 0,
    lastWatchedAt: new Date(now - ((i * 37) % 365) * 86_400_000 - (i % 86_400) * 1000).toISOString(),
    title: `Title ${i % 5500}`,
  };
}

/** The NDJSON file, and the CSV of the same rows for COPY. */
async function generate(n: number, now: number): Promise<{ ndjson: string; csv: string; bytes: number }> {
  const ndjson = join(WORK, `documents-${n}.ndjson`);
  const csv = join(WORK, `rows-${n}.csv`);
  const a = createWriteStream(ndjson);
  const b = createWriteStream(csv);
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const doc = document(i, now);
    const line = JSON.stringify(doc) + '\n';
    bytes += Buffer.byteLength(line);
    const p = legacyPlay(legacyDocumentSchema.parse(doc));
    const row = [p.userId, p.sessionId, p.mediaType, p.mediaId, p.seasonNumber ?? '', p.episodeNumber ?? '', `"${p.title}"`,
      new Date(p.at).toISOString(), p.playedSeconds, p.currentTime, p.totalDuration, p.peakProgress, p.finished].join(',') + '\n';
    const okA = a.write(line);
    const okB = b.write(row);
    if (!okA) await once(a, 'drain');
    if (!okB) await once(b, 'drain');
  }
  a.end();
  b.end();
  await Promise.all([once(a, 'finish'), once(b, 'finish')]);
  return { ndjson, csv, bytes };
}

const COPY_TABLE = `
  CREATE TABLE copy_ceiling (user_id text, session_id uuid, media_type text, media_id int, season_number int, episode_number int,
    title text, at timestamptz, played_s float8, current_time_s float8, total_duration_s float8, peak_progress int2, finished bool)`;

async function measure(urlOf: (db: string) => string, n: number): Promise<SizeResult> {
  const name = `bench_import_${n}`;
  const admin = new pg.Client({ connectionString: urlOf('postgres') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = urlOf(name);
  await migrateDatabase(url);
  log(`${n} documents: generating`);
  const files = await generate(n, Date.now());

  log(`${n} documents: importing`);
  const env = { PATH: process.env.PATH ?? '', DATABASE_URL: url, NODE_ENV: 'production', JWT_SECRET: 'bench-'.repeat(8), LOG_LEVEL: 'warn' };
  const logFile = join(WORK, `import-${n}.log`);
  const started = performance.now();
  const child = spawnNode(CLI, [files.ndjson], { env, logFile });
  const rss = rssSampler(child.pid!, 100);
  const exit = await waitExit(child, 6 * 3600_000);
  const importSeconds = (performance.now() - started) / 1000;
  const peak = rss.stop();
  if (exit.code !== 0) throw new Error(`import exited with ${exit.code}: see ${logFile}`);

  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const imported = Number((await db.query('SELECT count(*) FROM watch_sessions')).rows[0].count);
  await db.query(COPY_TABLE);
  await db.end();
  log(`${n} documents: COPY`);
  const copyStarted = performance.now();
  await run('psql', [url, '-q', '-c', `\\copy copy_ceiling FROM '${files.csv}' WITH (FORMAT csv)`], { maxBuffer: 1 << 20 });
  const copySeconds = (performance.now() - copyStarted) / 1000;
  await rm(files.ndjson);
  await rm(files.csv);
  const result: SizeResult = {
    documents: n, users: Math.min(users, n), fileBytes: files.bytes, importSeconds, importDocsPerSec: n / importSeconds,
    copySeconds, copyRowsPerSec: n / copySeconds, ratio: copySeconds / importSeconds, peakRssMb: peak / 1048576, imported,
  };
  log(`${n} documents: ${Math.round(result.importDocsPerSec)} docs/s (COPY ${Math.round(result.copyRowsPerSec)} rows/s, ratio ${result.ratio.toFixed(2)}), peak RSS ${result.peakRssMb.toFixed(0)} MB`);
  return result;
}

function markdown(results: SizeResult[], source: string): string {
  const rows = results.map((r) =>
    `| ${r.documents.toLocaleString('en')} | ${r.users.toLocaleString('en')} | ${(r.fileBytes / 1048576).toFixed(0)} MB | ${r.importSeconds.toFixed(1)} s | ` +
    `${Math.round(r.importDocsPerSec).toLocaleString('en')} | ${Math.round(r.copyRowsPerSec).toLocaleString('en')} | ${r.ratio.toFixed(2)} | ${r.peakRssMb.toFixed(0)} MB |`);
  return [
    '## History import (`npm run bench:import`)',
    '',
    `Generated on ${new Date().toISOString()} (${source}). \`npm run import\` on an NDJSON file of generated documents, on a fresh migrated database,`,
    'against a plain `COPY` of the same rows (one per document) into an unindexed table of the same database: the ceiling.',
    'The ratio is import speed / COPY speed (goal ≥ 0.3). Peak RSS is the import process\'s, sampled every 100 ms.',
    '',
    '| documents | users | file | import | import docs/s | COPY rows/s | ratio | peak RSS |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
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
    const results: SizeResult[] = [];
    for (const n of sizes) results.push(await measure(urlOf, n));
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
