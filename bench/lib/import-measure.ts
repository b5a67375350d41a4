/**
 * The history import's speed and memory (SPEC §9), shared by `npm run bench` (its import section)
 * and `npm run bench:import` (sizes of one's choice).
 *
 * On a fresh migrated database: generates the documents into an NDJSON file (untimed), runs
 * `npm run import`'s program (dist/src/cli/import.js) on it as a child process (timed; its peak
 * RSS sampled), then the ceilings on the same rows (one per document, the session columns):
 * - a plain `COPY ... FROM STDIN` of the CSV file into an unindexed table (pg-copy-streams, what
 *   psql's `\copy` does), timed: the ceiling of the issue's ratio;
 * - from that table, an `INSERT ... SELECT` of the same rows into an empty copy of
 *   `watch_sessions` with its indexes, and again without its GiST span index: what writing one play
 *   row per document costs by itself, before any other table, lock or conflict check.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { legacyDocumentSchema } from '../../src/import/dto/legacy-document.schema.js';
import { legacyPlay } from '../../src/import/legacy-play.js';
import { rssSampler, spawnNode, waitExit } from './util.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'import.js');

export interface ImportSizeResult {
  documents: number;
  users: number;
  fileBytes: number;
  importSeconds: number;
  importDocsPerSec: number;
  copySeconds: number;
  copyRowsPerSec: number;
  /** import docs/s ÷ COPY rows/s (the goal: ≥ 0.3). */
  ratio: number;
  /** The same rows into a copy of watch_sessions with all its indexes: rows/s, and ÷ COPY. */
  sessionsIndexedRowsPerSec?: number;
  sessionsIndexedRatio?: number;
  /** The same, without the GiST span index (its B-tree indexes only). */
  sessionsBtreeRowsPerSec?: number;
  sessionsBtreeRatio?: number;
  peakRssMb: number;
  imported: number;
}

export interface ImportMeasureOptions {
  /** A fresh, migrated database of its own. */
  url: string;
  documents: number;
  users: number;
  /** Where the generated files and the import's log go (deleted after, but the log). */
  workDir: string;
  log: (line: string) => void;
}

/** Document `i` of a run: users round-robin, a mix of episodes and movies over the last year. */
function document(i: number, now: number, users: number): Record<string, unknown> {
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
async function generate(n: number, now: number, users: number, dir: string): Promise<{ ndjson: string; csv: string; bytes: number }> {
  const ndjson = join(dir, `documents-${n}.ndjson`);
  const csv = join(dir, `rows-${n}.csv`);
  const a = createWriteStream(ndjson);
  const b = createWriteStream(csv);
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const doc = document(i, now, users);
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

/** The unindexed table of the COPY ceiling: the session columns of each document's play. */
const COPY_TABLE = `
  CREATE TABLE copy_ceiling (user_id text, session_id uuid, media_type text, media_id int, season_number int, episode_number int,
    title text, at timestamptz, played_s float8, current_time_s float8, total_duration_s float8, peak_progress int2, finished bool)`;

/** The same rows as play rows of an empty copy of watch_sessions ($table), with its indexes. */
const INSERT_SESSIONS = (table: string) => `
  INSERT INTO ${table} (user_id, session_id, media_type, media_id, season_number, episode_number, first_at, last_at,
                        max_played_s, credited_s, current_time_s, total_duration_s, peak_progress, completed, is_play)
  SELECT user_id, session_id, media_type, media_id, season_number, episode_number, at, at,
         played_s, played_s, current_time_s, total_duration_s, peak_progress, finished, true
  FROM copy_ceiling`;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

export async function measureImport(o: ImportMeasureOptions): Promise<ImportSizeResult> {
  const n = o.documents;
  o.log(`import of ${n} documents: generating`);
  const files = await generate(n, Date.now(), o.users, o.workDir);

  o.log(`import of ${n} documents: importing`);
  const env = { PATH: process.env.PATH ?? '', DATABASE_URL: o.url, NODE_ENV: 'production', JWT_SECRET: 'bench-'.repeat(8), LOG_LEVEL: 'warn' };
  const logFile = join(o.workDir, `import-${n}.log`);
  const started = performance.now();
  const child = spawnNode(CLI, [files.ndjson], { env, logFile });
  const rss = rssSampler(child.pid!, 100);
  const exit = await waitExit(child, 6 * 3600_000);
  const importSeconds = (performance.now() - started) / 1000;
  const peak = rss.stop();
  if (exit.code !== 0) throw new Error(`import exited with ${exit.code}: see ${logFile}`);

  const db = new pg.Client({ connectionString: o.url });
  await db.connect();
  try {
    const imported = Number((await db.query('SELECT count(*) FROM watch_sessions')).rows[0].count);
    await db.query(COPY_TABLE);
    o.log(`import of ${n} documents: COPY ceiling`);
    const copySeconds = await timed(() => pipeline(createReadStream(files.csv), db.query(copyFrom('COPY copy_ceiling FROM STDIN WITH (FORMAT csv)'))));
    o.log(`import of ${n} documents: the same rows into copies of watch_sessions`);
    await db.query('CREATE TABLE sessions_indexed (LIKE watch_sessions INCLUDING ALL)');
    const indexedSeconds = await timed(() => db.query(INSERT_SESSIONS('sessions_indexed')));
    await db.query('CREATE TABLE sessions_btree (LIKE watch_sessions INCLUDING ALL)');
    const gist = await db.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'sessions_btree' AND indexdef LIKE '%USING gist%'`);
    for (const { indexname } of gist.rows as { indexname: string }[]) await db.query(`DROP INDEX ${pg.escapeIdentifier(indexname)}`);
    const btreeSeconds = await timed(() => db.query(INSERT_SESSIONS('sessions_btree')));
    await db.query('DROP TABLE copy_ceiling, sessions_indexed, sessions_btree');
    const result: ImportSizeResult = {
      documents: n, users: Math.min(o.users, n), fileBytes: files.bytes, importSeconds, importDocsPerSec: n / importSeconds,
      copySeconds, copyRowsPerSec: n / copySeconds, ratio: copySeconds / importSeconds,
      sessionsIndexedRowsPerSec: n / indexedSeconds, sessionsIndexedRatio: copySeconds / indexedSeconds,
      sessionsBtreeRowsPerSec: n / btreeSeconds, sessionsBtreeRatio: copySeconds / btreeSeconds,
      peakRssMb: peak / 1048576, imported,
    };
    o.log(
      `import of ${n} documents: ${Math.round(result.importDocsPerSec)} docs/s (COPY ${Math.round(result.copyRowsPerSec)} rows/s, ratio ${result.ratio.toFixed(2)}; ` +
        `watch_sessions alone ${Math.round(n / indexedSeconds)} rows/s, ratio ${result.sessionsIndexedRatio!.toFixed(2)}), peak RSS ${result.peakRssMb.toFixed(0)} MB`,
    );
    return result;
  } finally {
    await db.end();
    await rm(files.ndjson, { force: true });
    await rm(files.csv, { force: true });
  }
}

/** The import table of bench/results (latest.md and import.md). */
export function importTable(results: ImportSizeResult[]): string[] {
  const f = (x: number | undefined, d = 0) => (x === undefined ? 'n/a' : x.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d }));
  return [
    '| documents | users | file | import | import docs/s | COPY rows/s (ceiling) | **ratio** (goal ≥ 0.3) | watch_sessions alone: rows/s, ÷ COPY | the same without its GiST index | peak RSS |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map((r) =>
      `| ${f(r.documents)} | ${f(r.users)} | ${f(r.fileBytes / 1048576)} MB | ${r.importSeconds.toFixed(1)} s | ${f(r.importDocsPerSec)} | ${f(r.copyRowsPerSec)} | ` +
        `**${r.ratio.toFixed(2)}** | ${f(r.sessionsIndexedRowsPerSec)}, ${f(r.sessionsIndexedRatio, 2)} | ${f(r.sessionsBtreeRowsPerSec)}, ${f(r.sessionsBtreeRatio, 2)} | ${f(r.peakRssMb)} MB |`),
  ];
}

/** What the import table measures, for the reader of the results. */
export const IMPORT_NOTES = [
  '`npm run import` on an NDJSON file of generated documents (users round-robin, a mix of episodes and movies over the last year), on a fresh migrated database.',
  'Ceiling: a plain `COPY` of the same rows (one per document, the columns of its play) into an unindexed table of the same database. The ratio is import docs/s ÷ COPY rows/s.',
  'Each document is one play: a row of `watch_sessions` (four indexes, one of them the GiST span index of the concurrency report), its hour in `watch_session_hours`, its item in `watch_history` (five indexes) and its hourly bucket in `watch_buckets`. The last two columns insert the same rows, already in the database, into an empty copy of `watch_sessions` alone, with all its indexes and without the GiST one: no other table, no lock, no conflict check. That is the most any import that writes one play per document can reach, whatever else it does; it falls as the table outgrows memory.',
  'Peak RSS is the import process\'s, sampled every 100 ms.',
];
