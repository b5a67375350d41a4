import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { AdminOnly } from '../auth/auth.decorators.js';
import { ApiErrors } from '../common/api-errors.js';
import { NOW_PLAYING_WINDOW_S, nowPlayingQuerySchema, nowPlayingSchema } from './dto/now-playing.schema.js';
import { NowPlayingService } from './now-playing.service.js';

@ApiTags('admin')
@ApiBearerAuth('jwt')
@AdminOnly()
@Controller('v1/admin')
export class NowPlayingController {
  constructor(private readonly nowPlaying: NowPlayingService) {}

  @Get('now-playing')
  @ApiOperation({
    summary: 'Sessions playing now, on every instance',
    description:
      `Admin only. Sessions whose latest heartbeat (by event time) is at most ${NOW_PLAYING_WINDOW_S} s old and is not a \`stop\`, ` +
      'newest first. Read from the database, which every instance flushes to: a heartbeat shows here once its instance has ' +
      'flushed it (one flush interval at most). Deleted items’ sessions are left out.',
  })
  @ApiResponse({ status: 200, standardSchema: nowPlayingSchema })
  @ApiErrors(400, 401, 403)
  list(@Query({ schema: nowPlayingQuerySchema }) q: z.output<typeof nowPlayingQuerySchema>) {
    return this.nowPlaying.list(q.limit);
  }
}
