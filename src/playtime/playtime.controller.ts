import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { CurrentUser, TokenInBody } from '../auth/auth.decorators.js';
import type { AuthUser } from '../auth/auth-user.js';
import { ApiErrors } from '../common/api-errors.js';
import { acceptedResponseSchema, beaconSchema, heartbeatBatchSchema, heartbeatSchema } from './dto/heartbeat.schema.js';
import { PlaytimeBatcher } from './playtime.batcher.js';
import { PlaytimeThrottlerGuard } from './playtime-throttler.guard.js';

type HeartbeatBody = z.output<typeof heartbeatSchema>;
type BatchBody = z.output<typeof heartbeatBatchSchema>;
type BeaconBody = z.output<typeof beaconSchema>;

@ApiTags('playtime')
@Controller('v1/playtime')
@UseGuards(PlaytimeThrottlerGuard)
export class PlaytimeController {
  constructor(private readonly batcher: PlaytimeBatcher) {}

  @Post()
  @HttpCode(202)
  @ApiBearerAuth('jwt')
  @ApiOperation({
    summary: 'One heartbeat, every 10–30 s while playing',
    description:
      '`playedSeconds` is cumulative for the session (never a delta); `sessionId` identifies one playback from Play to stop on one device. ' +
      'Unknown fields, wrong types and missing required fields are a 400 naming each field; nothing from a rejected request is stored.',
  })
  @ApiResponse({ status: 202, description: 'Accepted: stored at the next flush, visible to your reads at once.', standardSchema: acceptedResponseSchema })
  @ApiErrors(400, 401, 429, 503)
  async heartbeat(@CurrentUser() user: AuthUser, @Body({ schema: heartbeatSchema }) body: HeartbeatBody) {
    await this.batcher.accept(user.userId, [body]);
    return { accepted: 1 };
  }

  @Post('batch')
  @HttpCode(202)
  @ApiBearerAuth('jwt')
  @ApiOperation({
    summary: 'Up to 100 heartbeats, for apps catching up after being offline',
    description: 'The whole request is validated first: one bad heartbeat rejects it with a 400 naming its index. Counts as one request for rate limiting.',
  })
  @ApiResponse({ status: 202, description: 'Accepted.', standardSchema: acceptedResponseSchema })
  @ApiErrors(400, 401, 429, 503)
  async batch(@CurrentUser() user: AuthUser, @Body({ schema: heartbeatBatchSchema }) body: BatchBody) {
    await this.batcher.accept(user.userId, body.heartbeats);
    return { accepted: body.heartbeats.length };
  }

  @Post('beacon')
  @HttpCode(204)
  @TokenInBody()
  @ApiOperation({
    summary: 'One heartbeat from navigator.sendBeacon on page close',
    description: 'The token travels in the body as `accessToken`. Accepts `text/plain` or `application/json`.',
  })
  @ApiConsumes('application/json', 'text/plain')
  @ApiBody({ standardSchema: beaconSchema } as never)
  @ApiResponse({ status: 204, description: 'Accepted.' })
  @ApiErrors(400, 401, 429, 503)
  async beacon(@CurrentUser() user: AuthUser, @Body({ schema: beaconSchema }) body: BeaconBody) {
    await this.batcher.accept(user.userId, [body]);
  }
}
