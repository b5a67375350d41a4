import { Controller, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { AdminOnly } from '../auth/auth.decorators.js';
import { ApiErrors } from '../common/api-errors.js';
import { AUTO_DELETE_JOB, AutoDeleteService } from './auto-delete.service.js';

export const maintenanceQuerySchema = z
  .strictObject({
    job: z.enum([AUTO_DELETE_JOB]).meta({ description: 'The job to run now.', example: AUTO_DELETE_JOB }),
  });

export const autoDeleteResultSchema = z
  .object({
    job: z.literal(AUTO_DELETE_JOB),
    users: z.number().int().meta({ description: 'Users who had items past their `autoDeleteDays`.', example: 2 }),
    items: z.number().int().meta({ description: 'History items deleted.', example: 14 }),
    sessions: z.number().int().meta({ description: 'Their sessions (plays included) deleted.', example: 31 }),
    buckets: z.number().int().meta({ description: 'Their hourly statistics buckets deleted.', example: 40 }),
    hidden: z.number().int().meta({ description: 'Hide marks deleted (the items\', and a show\'s once none of its episodes is left).', example: 1 }),
  })
  .meta({ id: 'AutoDeleteResult' });

@ApiTags('admin')
@ApiBearerAuth('jwt')
@AdminOnly()
@Controller('v1/admin/maintenance')
export class MaintenanceController {
  constructor(private readonly autoDelete: AutoDeleteService) {}

  @Post('run')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Run a maintenance job now (admin)',
    description:
      '`job=auto-delete`: for every user whose `autoDeleteDays` is above 0, deletes the history items not watched for that many days ' +
      '(neither their position nor any heartbeat of any of their sessions is that recent), with their plays, sessions, statistics and hide marks, ' +
      '500 items per transaction. Closed days are rolled up first; report rows already rolled up keep their totals. ' +
      'The same job runs daily at 02:00 UTC and at start-up, on one instance.',
  })
  @ApiResponse({ status: 200, description: 'What the run deleted.', standardSchema: autoDeleteResultSchema })
  @ApiErrors(400, 401, 403)
  async run(@Query({ schema: maintenanceQuerySchema }) _q: z.output<typeof maintenanceQuerySchema>) {
    return this.autoDelete.run(true);
  }
}
