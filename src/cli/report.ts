import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock.js';
import { ConfigError, loadConfig } from '../config/app-config.js';
import { resolveDatabase } from '../database/database-url.js';
import { dataSourceOptions } from '../database/data-source-options.js';
import { ConcurrencyRepository } from '../reporting/concurrency.repository.js';
import { ReportingRepository } from '../reporting/reporting.repository.js';
import { ReportingService } from '../reporting/reporting.service.js';
import { watchHoursQuerySchema } from '../reporting/dto/report-query.schema.js';
import { toCsv } from '../reporting/watch-hours-report.js';
import { isWindowIssue, reportWindow } from '../watch/window.js';

const USAGE = 'usage: npm run report -- [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--groupBy day|media|mediaType|platform] [--format csv|json]';

/**
 * The watch-hours report from a shell, for system cron or a Kubernetes CronJob: the same query
 * and columns as GET /v1/admin/reports/watch-hours. Exits 2 on bad arguments.
 */
async function main(): Promise<void> {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      options: { from: { type: 'string' }, to: { type: 'string' }, groupBy: { type: 'string' }, format: { type: 'string' } },
      strict: true,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const parsed = watchHoursQuerySchema.safeParse(values);
  if (!parsed.success) {
    console.error(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n') + `\n${USAGE}`);
    process.exit(2);
  }
  const q = parsed.data;
  const config = loadConfig();
  const { url, embedded } = await resolveDatabase(config);
  const dataSource = new DataSource(dataSourceOptions(url, 2));
  await dataSource.initialize();
  try {
    const reporting = new ReportingService(new ReportingRepository(dataSource), new Clock(), new ConcurrencyRepository(dataSource));
    const window = reportWindow(q, reporting.today);
    if (isWindowIssue(window)) {
      console.error(`--from must not be after --to\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    const { from, to } = window;
    const report = await reporting.report(from, to, q.groupBy);
    process.stdout.write(q.format === 'csv' ? toCsv(q.groupBy, report.rows) : JSON.stringify(report, null, 2) + '\n');
  } finally {
    await dataSource.destroy();
    await embedded?.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
