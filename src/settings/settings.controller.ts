import { Body, Controller, Get, Patch, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../auth/auth.decorators.js';
import type { AuthUser } from '../auth/auth-user.js';
import { ApiErrors } from '../common/api-errors.js';
import { HistoryWriteThrottlerGuard } from '../history/history-write-throttler.guard.js';
import { settingsPatchSchema, settingsSchema, type SettingsPatch } from './dto/settings.schema.js';
import { SettingsService } from './settings.service.js';

const RANGES =
  'Ranges: `finishedPercent` 50–100; `minResumePercent` 0–50 and below `finishedPercent` (as in force after the change); ' +
  '`continueWatchingDays` 0–3650 (0 = never stale); `autoDeleteDays` 0 (never) or 30–3650. Whole numbers only.';

@ApiTags('settings')
@ApiBearerAuth('jwt')
@Controller('v1/me/settings')
export class SettingsController {
  constructor(private readonly settings: SettingsService) {}

  @Get()
  @ApiOperation({
    summary: 'Your settings in force',
    description: 'Your own value for each setting you changed, the service default for the others. `DELETE /v1/history` resets them.',
  })
  @ApiResponse({ status: 200, standardSchema: settingsSchema })
  @ApiErrors(401)
  async get(@CurrentUser() user: AuthUser) {
    return this.settings.effective(user.userId);
  }

  @Patch()
  @UseGuards(HistoryWriteThrottlerGuard)
  @ApiOperation({
    summary: 'Change some of your settings',
    description:
      `Send any of the four fields; absent fields keep their value, \`null\` resets one to the service default, unknown fields are a 400. ${RANGES} ` +
      'A value out of range is a 400 naming the field, and nothing is changed. ' +
      'Limited per user, together with the history changes, to HISTORY_WRITE_RATE_LIMIT requests a minute: 429 with Retry-After beyond it.',
  })
  @ApiResponse({ status: 200, description: 'The settings now in force.', standardSchema: settingsSchema })
  @ApiErrors(400, 401, 429)
  async patch(@CurrentUser() user: AuthUser, @Body({ schema: settingsPatchSchema }) body: SettingsPatch) {
    return this.settings.patch(user.userId, body);
  }
}
