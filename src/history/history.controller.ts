import { Controller, Delete, Get, Header, HttpCode, NotFoundException, Param, Put, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { CurrentUser } from '../auth/auth.decorators.js';
import type { AuthUser } from '../auth/auth-user.js';
import { ApiErrors } from '../common/api-errors.js';
import { FieldValidationException } from '../common/errors.js';
import type { ItemKey } from '../watch/item-key.js';
import { mediaPathSchema, type MediaPath } from '../watch/media.js';
import {
  continueQuerySchema,
  continueWatchingSchema,
  episodeQuerySchema,
  historyItemSchema,
  historyPageSchema,
  listQuerySchema,
} from './dto/history-item.schema.js';
import { playsPageSchema, playsQuerySchema, type PlaysQuery } from './dto/plays.schema.js';
import { HistoryWriteThrottlerGuard } from './history-write-throttler.guard.js';
import { HistoryService } from './history.service.js';
import { PlaysService } from './plays.service.js';

type EpisodeQuery = z.output<typeof episodeQuerySchema>;

const EPISODE_NOTE = 'For tv, name the episode with `seasonNumber` and `episodeNumber` in the query.';
const WRITE_LIMIT_NOTE =
  ' Limited per user, together with the other history changes (DELETEs, PUT/DELETE …/watched), to HISTORY_WRITE_RATE_LIMIT requests a minute: 429 with Retry-After beyond it.';

@ApiTags('history')
@ApiBearerAuth('jwt')
@Controller('v1/history')
export class HistoryController {
  constructor(
    private readonly history: HistoryService,
    private readonly plays: PlaysService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Your history, newest first',
    description: 'Keyset-paginated by `lastWatchedAt`: pass `nextCursor` back as `cursor`. The first page also shows heartbeats not flushed yet.',
  })
  @ApiResponse({ status: 200, standardSchema: historyPageSchema })
  @ApiErrors(400, 401)
  async list(@CurrentUser() user: AuthUser, @Query({ schema: listQuerySchema }) q: z.output<typeof listQuerySchema>) {
    return this.history.list(user.userId, q);
  }

  @Get('continue-watching')
  @ApiOperation({
    summary: 'What to continue, newest first',
    description:
      'Items with a play (a session of at least MIN_PLAY_SECONDS) and your minResumePercent ≤ progress that are not finished, newest first, ' +
      'one entry per TV show (its most recent episode with a play). Left out: hidden items and shows, items last watched more than your ' +
      'continueWatchingDays ago (0: never stale), items shorter than MIN_RESUME_DURATION_SECONDS. ' +
      'When a show’s most recent episode is finished and the catalogue knows the next one, that episode is listed with `reason: "next-episode"`.',
  })
  @ApiResponse({ status: 200, standardSchema: continueWatchingSchema })
  @ApiErrors(400, 401)
  async continueWatching(@CurrentUser() user: AuthUser, @Query({ schema: continueQuerySchema }) q: z.output<typeof continueQuerySchema>) {
    return { items: await this.history.continueWatching(user.userId, q.limit) };
  }

  @Get('plays')
  @ApiOperation({
    summary: 'Your plays, newest first',
    description:
      'Each play (a session credited at least MIN_PLAY_SECONDS) with when it started and ended (its first and latest heartbeat), the seconds it ' +
      'was credited, the positions it went from and to, whether it reached the finished point, and the device it played on. Keyset-paginated by ' +
      '`endedAt`: pass `nextCursor` back as `cursor`. `from`/`to` bound `endedAt` (a day, or a date-time with offset). For tv, `seasonNumber` ' +
      'and `episodeNumber` narrow to a season or an episode of the show `mediaId`. Reflects heartbeats accepted by this instance even before they are flushed.',
  })
  @ApiResponse({ status: 200, standardSchema: playsPageSchema })
  @ApiErrors(400, 401)
  async listPlays(@CurrentUser() user: AuthUser, @Query({ schema: playsQuerySchema }) q: PlaysQuery) {
    return this.plays.list(user.userId, q);
  }

  @Get('export')
  @Header('Content-Disposition', 'attachment; filename="playtime-export.json"')
  @ApiProduces('application/json')
  @ApiOperation({ summary: 'All your data as a JSON download', description: 'Your effective settings, history items, plays (as `GET /v1/history/plays` lists them), playback sessions (each with the `device` it played on, null when none was named) and hourly statistics.' })
  @ApiResponse({ status: 200, description: '`{ userId, exportedAt, settings, history, plays, sessions, hourlyStatistics }`' })
  @ApiErrors(401)
  async export(@CurrentUser() user: AuthUser) {
    return this.history.export(user.userId);
  }

  @Delete()
  @HttpCode(204)
  @UseGuards(HistoryWriteThrottlerGuard)
  @ApiOperation({ summary: 'Delete your whole history and statistics', description: `Heartbeats received before this never bring anything back.${WRITE_LIMIT_NOTE}` })
  @ApiResponse({ status: 204, description: 'Deleted.' })
  @ApiErrors(401, 429)
  async deleteAll(@CurrentUser() user: AuthUser) {
    await this.history.delete(user.userId, null);
  }

  @Get(':mediaType/:mediaId')
  @ApiOperation({ summary: 'One history item, to resume playback', description: `${EPISODE_NOTE} Reflects heartbeats accepted by this instance even before they are flushed.` })
  @ApiResponse({ status: 200, standardSchema: historyItemSchema })
  @ApiErrors(400, 401, 404)
  async getItem(@CurrentUser() user: AuthUser, @Param({ schema: mediaPathSchema }) p: MediaPath, @Query({ schema: episodeQuerySchema }) q: EpisodeQuery) {
    return this.history.getItem(itemKey(user, p, q, true));
  }

  @Put(':mediaType/:mediaId/watched')
  @UseGuards(HistoryWriteThrottlerGuard)
  @ApiOperation({ summary: 'Mark as watched (finished)', description: `${EPISODE_NOTE} An item never played is created from the catalogue's runtime.${WRITE_LIMIT_NOTE}` })
  @ApiResponse({ status: 200, standardSchema: historyItemSchema })
  @ApiErrors(400, 401, 404, 429)
  async markWatched(@CurrentUser() user: AuthUser, @Param({ schema: mediaPathSchema }) p: MediaPath, @Query({ schema: episodeQuerySchema }) q: EpisodeQuery) {
    return this.history.markWatched(itemKey(user, p, q, true), true);
  }

  @Delete(':mediaType/:mediaId/watched')
  @UseGuards(HistoryWriteThrottlerGuard)
  @ApiOperation({ summary: 'Mark as unwatched (position 0, not finished)', description: `${EPISODE_NOTE}${WRITE_LIMIT_NOTE}` })
  @ApiResponse({ status: 200, standardSchema: historyItemSchema })
  @ApiErrors(400, 401, 404, 429)
  async markUnwatched(@CurrentUser() user: AuthUser, @Param({ schema: mediaPathSchema }) p: MediaPath, @Query({ schema: episodeQuerySchema }) q: EpisodeQuery) {
    return this.history.markWatched(itemKey(user, p, q, true), false);
  }

  @Put(':mediaType/:mediaId/hidden')
  @HttpCode(204)
  @UseGuards(HistoryWriteThrottlerGuard)
  @ApiOperation({
    summary: 'Hide from continue watching',
    description:
      'Keeps the position, totals and the place in your history; the item (tv with `seasonNumber`/`episodeNumber`: that episode; without them: the whole show, ' +
      'its episodes and its next episode) is left out of continue watching and carries `hidden: true`. A heartbeat of it (for a show: of any episode) ' +
      `received after the hide unhides it. 404 if you never watched it.${WRITE_LIMIT_NOTE}`,
  })
  @ApiResponse({ status: 204, description: 'Hidden.' })
  @ApiErrors(400, 401, 404, 429)
  async hide(@CurrentUser() user: AuthUser, @Param({ schema: mediaPathSchema }) p: MediaPath, @Query({ schema: episodeQuerySchema }) q: EpisodeQuery) {
    await this.history.setHidden(itemKey(user, p, q, false), true);
  }

  @Delete(':mediaType/:mediaId/hidden')
  @HttpCode(204)
  @UseGuards(HistoryWriteThrottlerGuard)
  @ApiOperation({
    summary: 'Unhide',
    description: `Undoes a hide (for a whole show: the show's and each of its episodes'). 404 if you never watched it.${WRITE_LIMIT_NOTE}`,
  })
  @ApiResponse({ status: 204, description: 'Unhidden.' })
  @ApiErrors(400, 401, 404, 429)
  async unhide(@CurrentUser() user: AuthUser, @Param({ schema: mediaPathSchema }) p: MediaPath, @Query({ schema: episodeQuerySchema }) q: EpisodeQuery) {
    await this.history.setHidden(itemKey(user, p, q, false), false);
  }

  @Delete(':mediaType/:mediaId')
  @HttpCode(204)
  @UseGuards(HistoryWriteThrottlerGuard)
  @ApiOperation({
    summary: 'Delete one item, or a whole show',
    description:
      'For tv without `seasonNumber`/`episodeNumber`, every episode of the show. Heartbeats received before the delete never bring it back; later ones start a new history.' +
      WRITE_LIMIT_NOTE,
  })
  @ApiResponse({ status: 204, description: 'Deleted.' })
  @ApiErrors(400, 401, 404, 429)
  async deleteItem(@CurrentUser() user: AuthUser, @Param({ schema: mediaPathSchema }) p: MediaPath, @Query({ schema: episodeQuerySchema }) q: EpisodeQuery) {
    const key = itemKey(user, p, q, false);
    const found = await this.history.delete(user.userId, key);
    if (!found) throw new NotFoundException('Nothing to delete');
  }
}

/** The item named by the path and query; for tv, season and episode both or (when allowed) neither. */
function itemKey(user: AuthUser, p: MediaPath, q: EpisodeQuery, episodeRequired: boolean): ItemKey {
  const seasonNumber = q.seasonNumber ?? null;
  const episodeNumber = q.episodeNumber ?? null;
  const errors: { field: string; message: string }[] = [];
  if (p.mediaType === 'movie') {
    if (seasonNumber !== null) errors.push({ field: 'seasonNumber', message: 'must be absent for a movie' });
    if (episodeNumber !== null) errors.push({ field: 'episodeNumber', message: 'must be absent for a movie' });
  } else if (episodeRequired || (seasonNumber === null) !== (episodeNumber === null)) {
    if (seasonNumber === null) errors.push({ field: 'seasonNumber', message: episodeRequired ? 'is required for tv' : 'goes with episodeNumber' });
    if (episodeNumber === null) errors.push({ field: 'episodeNumber', message: episodeRequired ? 'is required for tv' : 'goes with seasonNumber' });
  }
  if (errors.length) throw new FieldValidationException(errors);
  return { userId: user.userId, mediaType: p.mediaType, mediaId: p.mediaId, seasonNumber, episodeNumber };
}
