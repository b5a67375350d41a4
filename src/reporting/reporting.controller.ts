import { Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { AdminOnly } from '../auth/auth.decorators.js';
import { ApiErrors } from '../common/api-errors.js';
import { FieldValidationException } from '../common/errors.js';
import { rollupQuerySchema, watchHoursQuerySchema, watchHoursReportSchema } from './dto/report-query.schema.js';
import { isWindowIssue, MAX_WINDOW_DAYS, reportWindow } from '../watch/window.js';
import { ReportingService } from './reporting.service.js';
import { csvTable, toCsv } from './watch-hours-report.js';
import { CONCURRENCY_COLUMNS, MAX_5M_WINDOW_DAYS, resolveConcurrencyWindow } from './concurrency.js';
import { concurrencyQuerySchema, concurrencyReportSchema, type ConcurrencyQuery } from './dto/concurrency.schema.js';

@ApiTags('reports')
@ApiBearerAuth('jwt')
@AdminOnly()
@Controller('v1/admin/reports')
export class ReportingController {
  constructor(private readonly reporting: ReportingService) {}

  @Get('watch-hours')
  @ApiOperation({
    summary: 'Watch hours per day, title, media type or platform',
    description:
      'UTC days, `from`..`to` inclusive (default: the last 7 days). Closed days come from the daily roll-up, today (and any day not rolled up yet) live from the raw data; both use the same aggregation. ' +
      'Titles group tv episodes per show. `groupBy=platform` groups by the sessions’ `device.platform` (`unknown` when none), time in the hour it was played in, ' +
      'so its rows add up to the same total as `groupBy=day`; a completion counts on the day of its session’s latest heartbeat. ' +
      '`format=csv` answers `text/csv` with a header row of the same names.',
  })
  @ApiProduces('application/json', 'text/csv')
  @ApiResponse({ status: 200, standardSchema: watchHoursReportSchema })
  @ApiErrors(400, 401, 403)
  async watchHours(@Query({ schema: watchHoursQuerySchema }) q: z.output<typeof watchHoursQuerySchema>, @Res({ passthrough: true }) reply: FastifyReply) {
    const window = reportWindow(q, this.reporting.today);
    if (isWindowIssue(window)) throw new FieldValidationException([window]);
    const { from, to } = window;
    const report = await this.reporting.report(from, to, q.groupBy);
    if (q.format === 'json') return report;
    reply.header('Content-Type', 'text/csv; charset=utf-8');
    reply.header('Content-Disposition', `attachment; filename="watch-hours-${from}-${to}-${q.groupBy}.csv"`);
    return toCsv(q.groupBy, report.rows);
  }

  @Get('concurrency')
  @ApiOperation({
    summary: 'Peak concurrent viewers and sessions per interval',
    description:
      'Per interval of `from`..`to` (calendar days in `tz`, inclusive; default the last 7 days), the most distinct users and the most sessions playing at one moment. ' +
      'A session plays from its first to its latest heartbeat (event time), pauses included; two overlapping sessions of one user are one viewer. ' +
      '`1d` rows are the days of `tz`; `5m` and `1h` rows step from midnight of `from` in `tz` (in a zone half an hour off UTC, hours start at :30 UTC). ' +
      `Every interval is listed, zeros included. \`from\` after \`to\`, or a window longer than ${MAX_WINDOW_DAYS} days (${MAX_5M_WINDOW_DAYS} with \`interval=5m\`), is a 400. ` +
      '`format=csv` answers `text/csv` with the header `start,peakViewers,peakSessions`.',
  })
  @ApiProduces('application/json', 'text/csv')
  @ApiResponse({ status: 200, standardSchema: concurrencyReportSchema })
  @ApiErrors(400, 401, 403)
  async concurrency(@Query({ schema: concurrencyQuerySchema }) q: ConcurrencyQuery, @Res({ passthrough: true }) reply: FastifyReply) {
    const window = resolveConcurrencyWindow(q, this.reporting.now());
    if (isWindowIssue(window)) throw new FieldValidationException([window]);
    const report = await this.reporting.concurrency(window);
    if (q.format === 'json') return report;
    reply.header('Content-Type', 'text/csv; charset=utf-8');
    reply.header('Content-Disposition', `attachment; filename="concurrency-${report.from}-${report.to}-${report.interval}.csv"`);
    return csvTable(CONCURRENCY_COLUMNS, report.rows);
  }

  @Post('rollup')
  @HttpCode(200)
  @ApiOperation({
    summary: "Run a day's roll-up now",
    description:
      'Replaces that day’s rows (idempotent). Any UTC day up to today: today’s roll-up covers the time stored so far, and the day is ' +
      'rolled up again by the daily job once it has closed. A day after today (UTC) is a 400.',
  })
  @ApiResponse({ status: 200, schema: { example: { date: '2025-12-15', rolledUp: true } } })
  @ApiErrors(400, 401, 403)
  async rollup(@Query({ schema: rollupQuerySchema }) q: z.output<typeof rollupQuerySchema>) {
    if (q.date > this.reporting.today) {
      throw new FieldValidationException([{ field: 'date', message: `must not be after today (${this.reporting.today}, UTC)` }]);
    }
    await this.reporting.rollup(q.date);
    return { date: q.date, rolledUp: true };
  }
}
