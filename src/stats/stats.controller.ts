import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../auth/auth.decorators.js';
import type { AuthUser } from '../auth/auth-user.js';
import { ApiErrors } from '../common/api-errors.js';
import { MAX_WINDOW_DAYS } from '../watch/window.js';
import { statsQuerySchema, type StatsQuery } from './dto/stats-query.schema.js';
import { statsResponseSchema } from './dto/stats-response.schema.js';
import { StatsService } from './stats.service.js';

@ApiTags('stats')
@ApiBearerAuth('jwt')
@Controller('v1/stats')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  @Get('me')
  @ApiOperation({
    summary: "The caller's watch statistics over a range of calendar days",
    description: [
      '`from` and `to` are calendar days in `tz` (default `UTC`), both inclusive; without them the window is the last 30 days, today included. ',
      'With only `from`, the window runs to today; with only `to`, it is the 30 days ending on `to`. ',
      `\`from\` after \`to\`, or a window longer than ${MAX_WINDOW_DAYS} days, is a 400.\n\n`,
      'The window runs from midnight at the start of `from` to midnight at the end of `to`, in `tz`. ',
      'Watch time is kept per UTC hour, and an hour counts towards the local day (in `tz`) on which it starts: in a zone ',
      'whose offset is not a whole number of hours, the half hour after local midnight counts towards the day before. ',
      '`byHourOfDay` (24 numbers, hour 0 first) and `byWeekday` (7 numbers, Monday first) sum the window by local hour and weekday, by the same attribution.\n\n',
      '`topTitles` name each item as the watch-hours reports do: the catalogue title, else the most recent title any heartbeat carried for it.\n\n',
      '`itemsStarted` counts history items (movies, episodes) first watched in the window; `itemsFinished` counts items ',
      'that are finished and were last watched in the window. Both count items still in the history (deleted ones are gone).\n\n',
      'Your own heartbeats count at once: what this instance holds for you unflushed is stored before the figures are read.',
    ].join(''),
  })
  @ApiResponse({ status: 200, standardSchema: statsResponseSchema })
  @ApiErrors(400, 401)
  async me(@CurrentUser() user: AuthUser, @Query({ schema: statsQuerySchema }) query: StatsQuery) {
    return this.stats.forUser(user.userId, query);
  }
}
