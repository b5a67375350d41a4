import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { CurrentUser } from '../auth/auth.decorators.js';
import type { AuthUser } from '../auth/auth-user.js';
import { ApiErrors } from '../common/api-errors.js';
import { FieldValidationException } from '../common/errors.js';
import { episodeQuerySchema, historyItemSchema, itemParamsSchema } from './dto/history-item.schema.js';
import { HistoryService } from './history.service.js';

@ApiTags('history')
@ApiBearerAuth('jwt')
@Controller('v1/history')
export class HistoryController {
  constructor(private readonly history: HistoryService) {}

  @Get(':mediaType/:mediaId')
  @ApiOperation({
    summary: 'One history item, to resume playback',
    description: 'For tv, name the episode with `seasonNumber` and `episodeNumber`. Reflects heartbeats accepted by this instance even before they are flushed.',
  })
  @ApiResponse({ status: 200, standardSchema: historyItemSchema })
  @ApiErrors(400, 401, 404)
  async getItem(
    @CurrentUser() user: AuthUser,
    @Param({ schema: itemParamsSchema }) params: z.output<typeof itemParamsSchema>,
    @Query({ schema: episodeQuerySchema }) query: z.output<typeof episodeQuerySchema>,
  ) {
    const { seasonNumber = null, episodeNumber = null } = query;
    if (params.mediaType === 'tv') {
      const missing = [
        ...(seasonNumber === null ? [{ field: 'seasonNumber', message: 'is required for tv' }] : []),
        ...(episodeNumber === null ? [{ field: 'episodeNumber', message: 'is required for tv' }] : []),
      ];
      if (missing.length) throw new FieldValidationException(missing);
    } else if (seasonNumber !== null || episodeNumber !== null) {
      throw new FieldValidationException(
        (['seasonNumber', 'episodeNumber'] as const)
          .filter((f) => query[f] !== undefined)
          .map((field) => ({ field, message: 'must be absent for a movie' })),
      );
    }
    return this.history.getItem({ userId: user.userId, mediaType: params.mediaType, mediaId: params.mediaId, seasonNumber, episodeNumber });
  }
}
