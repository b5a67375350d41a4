import 'reflect-metadata';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import cliProgress from 'cli-progress';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from '../config/app-config.js';
import { resolveDatabase } from '../database/database-url.js';
import { dataSourceOptions } from '../database/data-source-options.js';
import { readDocuments } from '../import/document-reader.js';
import { ImportRepository } from '../import/import.repository.js';
import { ImportService } from '../import/import.service.js';

const USAGE = 'usage: npm run import -- [--writers=N] <file.ndjson>   (N: chunks written at once, 1-8, default 1)';

/** Exit codes: 0 every document imported or unchanged, 3 some rejected (listed on stderr), 2 bad arguments, 1 failure. */
async function main(): Promise<void> {
  let file: string;
  let writers = 1;
  try {
    const { positionals, values } = parseArgs({ allowPositionals: true, strict: true, options: { writers: { type: 'string' } } });
    if (positionals.length !== 1) throw new Error('give exactly one file');
    file = positionals[0];
    if (values.writers !== undefined) {
      writers = Number(values.writers);
      if (!Number.isInteger(writers) || writers < 1 || writers > 8) throw new Error('--writers must be a whole number from 1 to 8');
    }
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const size = (await stat(file)).size;
  Logger.overrideLogger(['error']);
  const config = loadConfig();
  const { url, embedded } = await resolveDatabase(config);
  const dataSource = new DataSource(dataSourceOptions(url, writers + 1));
  await dataSource.initialize();
  const bar = new cliProgress.SingleBar(
    {
      format: 'import |{bar}| {percentage}% | {documents} documents | {rate} documents/s | ETA {eta_formatted}',
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  try {
    let bytes = 0;
    async function* counted(stream: AsyncIterable<Buffer>) {
      for await (const chunk of stream) {
        bytes += chunk.length;
        yield chunk;
      }
    }
    const started = performance.now();
    bar.start(Math.max(size, 1), 0, { documents: 0, rate: 0 });
    const service = new ImportService(new ImportRepository(dataSource), config);
    const result = await service.importDocuments(
      readDocuments(counted(createReadStream(file))),
      (c) => {
        const documents = c.imported + c.unchanged + c.rejected;
        bar.update(bytes, { documents, rate: Math.round(documents / Math.max((performance.now() - started) / 1000, 1e-3)) });
      },
      { writers },
    );
    bar.update(Math.max(size, 1));
    bar.stop();
    for (const e of result.errors) console.error(`line ${e.line}: ${e.field}: ${e.message}`);
    if (result.rejected > result.errors.length) console.error(`(${result.rejected} documents rejected; the first ${result.errors.length} errors are listed)`);
    process.stdout.write(JSON.stringify(result) + '\n');
    if (result.rejected > 0) process.exitCode = 3;
  } finally {
    bar.stop();
    await dataSource.destroy();
    await embedded?.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
