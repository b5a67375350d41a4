import { Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { AdminOnly } from '../auth/auth.decorators.js';
import { ApiErrors } from '../common/api-errors.js';
import { FieldValidationException } from '../common/errors.js';
import { rollupQuerySchema, watchHoursQuerySchema, watchHoursReportSchema } from './dto/report-query.schema.js';
import { isWindowIssue, reportWindow } from '../watch/window.js';
import { ReportingService } from './reporting.service.js';
import { toCsv } from './watch-hours-report.js';

@ApiTags('reports')
@ApiBearerAuth('jwt')
@AdminOnly()
@Controller('v1/admin/reports')
export class ReportingController {
  constructor(private readonly reporting: ReportingService) {}

  @Get('watch-hours')
  @ApiOperation({
    summary: 'Watch hours per day, title or media type',
    description:
      'UTC days, `from`..`to` inclusive (default: the last 7 days). Closed days come from the daily roll-up, today (and any day not rolled up yet) live from the raw data; both use the same aggregation. ' +
      'Titles group tv episodes per show. `format=csv` answers `text/csv` with a header row of the same names.',
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
