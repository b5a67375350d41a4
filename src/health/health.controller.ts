import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Public } from '../auth/auth.decorators.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { INGEST_STATE, type IngestState } from '../watch/unflushed-items.js';

/** Readiness fails at this share of PLAYTIME_MAX_PENDING, before writes start being refused. */
const SATURATION = 0.8;

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(INGEST_STATE) private readonly ingest: IngestState,
  ) {}

  @Get('live')
  @ApiOperation({
    summary: 'Liveness: the process answers',
    description: 'No token. Answers 200 as long as the process serves requests, whatever the database does: restart the process only when this fails.',
  })
  @ApiResponse({ status: 200, schema: { example: { status: 'ok' } } })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({
    summary: 'Readiness: database reachable, not draining, ingest not saturated',
    description: 'No token. 503 while the database is unreachable, while the instance drains on shutdown, or while pending heartbeats near the limit: send traffic elsewhere meanwhile.',
  })
  @ApiResponse({ status: 200, schema: { example: { status: 'ok', database: 'up', pendingItems: 0, draining: false } } })
  @ApiResponse({ status: 503, description: 'Not ready; the body says why.' })
  async ready() {
    const pendingItems = this.ingest.pendingCount;
    const database = await this.dataSource
      .query('SELECT 1')
      .then(() => 'up')
      .catch(() => 'down');
    const saturated = pendingItems >= SATURATION * this.config.PLAYTIME_MAX_PENDING;
    const body = { status: 'ok', database, pendingItems, draining: this.ingest.isDraining, saturated };
    if (database !== 'up' || body.draining || saturated) {
      throw new ServiceUnavailableException({ ...body, status: 'unavailable' });
    }
    return body;
  }
}
