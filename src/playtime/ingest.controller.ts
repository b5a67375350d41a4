import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { AdminOnly } from '../auth/auth.decorators.js';
import { ApiErrors } from '../common/api-errors.js';
import { PlaytimeBatcher } from './playtime.batcher.js';

const ingestCountersSchema = z
  .object({
    heartbeatsAccepted: z.number().int().meta({ description: 'Heartbeats accepted (202/204) since start.' }),
    pendingItems: z.number().int().meta({ description: 'History items waiting for a flush or in one.' }),
    flushes: z.number().int().meta({ description: 'Flushes committed.' }),
    statements: z.number().int().meta({ description: 'Every SQL statement the flushes sent, BEGIN and COMMIT included.' }),
    rowsWritten: z.number().int().meta({ description: 'Rows inserted or updated by flushes (sessions, history items and hourly buckets).' }),
    lastFlushMs: z.number().int().meta({ description: 'Duration of the last committed flush, retries included.' }),
    flushFailures: z.number().int().meta({ description: 'Flush attempts that failed (retried, or split to find items the database refuses).' }),
    itemsSetAside: z.number().int().meta({ description: 'History items the database refused for their data, set aside in the `ingest_rejects` table instead of blocking later flushes.' }),
  })
  .meta({ id: 'IngestCounters' });

@ApiTags('admin')
@ApiBearerAuth('jwt')
@AdminOnly()
@Controller('v1/admin')
export class IngestController {
  constructor(private readonly batcher: PlaytimeBatcher) {}

  @Get('ingest')
  @ApiOperation({
    summary: 'Live ingest counters of this instance',
    description: 'Admin only. Heartbeats accepted, flushes, statements, rows written and failed flushes since this process started; items pending and the last flush\'s duration now.',
  })
  @ApiResponse({ status: 200, standardSchema: ingestCountersSchema })
  @ApiErrors(401, 403)
  counters() {
    return this.batcher.counts();
  }
}
