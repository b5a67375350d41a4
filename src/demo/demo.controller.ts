import { Body, Controller, Get, HttpCode, Inject, NotFoundException, Post, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Public } from '../auth/auth.decorators.js';
import { resolveHmacSecret } from '../auth/dev-secret.js';
import { signToken } from '../auth/sign-token.js';
import { ApiErrors } from '../common/api-errors.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { demoMode } from './demo-mode.js';
import { DemoTokenGuard } from './demo-token.guard.js';

/** Demo tokens last a working day; the page asks for a new one at the next sign-in. */
const DEMO_TOKEN_TTL_SECONDS = 12 * 3600;

export const demoTokenRequestSchema = z
  .strictObject({
    userId: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9._@-]+$/, 'letters, digits and . _ @ - only')
      .meta({ example: 'alice' }),
  })
  .meta({ id: 'DemoTokenRequest' });

export const demoTokenResponseSchema = z
  .object({
    token: z.string().meta({ description: 'An HS256 JWT for `userId`, signed with the development secret; never with the admin role.' }),
    userId: z.string().meta({ example: 'alice' }),
    expiresIn: z.number().int().meta({ description: 'Seconds.', example: DEMO_TOKEN_TTL_SECONDS }),
  })
  .meta({ id: 'DemoToken' });

export const demoRulesSchema = z
  .object({
    minPlaySeconds: z.number().int().meta({ description: '`MIN_PLAY_SECONDS`: credited seconds after which a session is a play.', example: 60 }),
    minResumeDurationSeconds: z
      .number()
      .int()
      .meta({ description: '`MIN_RESUME_DURATION_SECONDS`: shorter items never resume.', example: 300 }),
    finishedPercent: z.number().int().meta({ description: '`FINISHED_PERCENT`, the default of the per-user setting.', example: 90 }),
    minResumePercent: z.number().int().meta({ description: '`MIN_RESUME_PERCENT`, the default of the per-user setting.', example: 5 }),
    continueWatchingDays: z.number().int().meta({ description: '`CONTINUE_WATCHING_DAYS`, the default of the per-user setting.', example: 112 }),
  })
  .meta({ id: 'DemoRules' });

export const demoAdminTokenRequestSchema = z
  .strictObject({
    userId: demoTokenRequestSchema.shape.userId.default('demo-admin').meta({ example: 'demo-admin' }),
  })
  .meta({ id: 'DemoAdminTokenRequest' });

export const demoAdminTokenResponseSchema = z
  .object({
    token: z.string().meta({ description: 'An HS256 JWT for `userId` with `"roles": ["admin"]`, signed with the development secret.' }),
    userId: z.string().meta({ example: 'demo-admin' }),
    expiresIn: z.number().int().meta({ description: 'Seconds.', example: DEMO_TOKEN_TTL_SECONDS }),
  })
  .meta({ id: 'DemoAdminToken' });

/** Who may get a development token (`DemoTokenGuard`, `demoMode`). */
const DEV_ONLY_DESCRIPTION =
  'Answers only in development-token mode (neither `JWT_SECRET` nor `JWT_JWKS_URL` set), and only to clients on the ' +
  'same machine unless `DEMO_ENABLED=true`; `404` otherwise, and always `404` with `DEMO_ENABLED=false`.';

@ApiTags('demo')
@Controller('demo')
export class DemoController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get('rules')
  @Public()
  @ApiOperation({
    summary: 'Demo page only: the thresholds the service runs with',
    description:
      'So the demo page can say how long a session must play to count as a play. The same values any ' +
      'deployment documents; `404` when the demo page is off.',
  })
  @ApiResponse({ status: 200, standardSchema: demoRulesSchema })
  @ApiErrors(404)
  rules(): z.output<typeof demoRulesSchema> {
    if (!demoMode(this.config).pages) throw new NotFoundException();
    const c = this.config;
    return {
      minPlaySeconds: c.MIN_PLAY_SECONDS,
      minResumeDurationSeconds: c.MIN_RESUME_DURATION_SECONDS,
      finishedPercent: c.FINISHED_PERCENT,
      minResumePercent: c.MIN_RESUME_PERCENT,
      continueWatchingDays: c.CONTINUE_WATCHING_DAYS,
    };
  }

  @Post('token')
  @Public()
  @UseGuards(DemoTokenGuard)
  @HttpCode(200)
  @ApiOperation({
    summary: 'Development only: sign in to the demo page as any user',
    description: `${DEV_ONLY_DESCRIPTION} Never issues admin tokens (see \`POST /demo/admin-token\`).`,
  })
  @ApiResponse({ status: 200, description: 'A token for `userId`.', standardSchema: demoTokenResponseSchema })
  @ApiErrors(400, 404)
  async token(@Body({ schema: demoTokenRequestSchema }) body: z.output<typeof demoTokenRequestSchema>) {
    return this.sign(body.userId, false);
  }

  @Post('admin-token')
  @Public()
  @UseGuards(DemoTokenGuard)
  @HttpCode(200)
  @ApiOperation({
    summary: 'Development only: an admin token for the dashboard at /admin/',
    description: `${DEV_ONLY_DESCRIPTION} \`userId\` defaults to \`demo-admin\` (send \`{}\`).`,
  })
  @ApiResponse({ status: 200, description: 'An admin token for `userId`.', standardSchema: demoAdminTokenResponseSchema })
  @ApiErrors(400, 404)
  async adminToken(@Body({ schema: demoAdminTokenRequestSchema }) body: z.output<typeof demoAdminTokenRequestSchema>) {
    return this.sign(body.userId, true);
  }

  private async sign(userId: string, admin: boolean) {
    // The guard already checked the mode; check the secret itself too: a configured secret or
    // JWKS must never sign demo tokens, whatever a future change to the guard does.
    const hmac = resolveHmacSecret(this.config);
    if (!hmac?.dev) throw new NotFoundException();
    const token = await signToken(hmac.secret, userId, {
      admin,
      expiresIn: `${DEMO_TOKEN_TTL_SECONDS}s`,
      issuer: this.config.JWT_ISSUER,
      audience: this.config.JWT_AUDIENCE,
    });
    return { token, userId, expiresIn: DEMO_TOKEN_TTL_SECONDS };
  }
}
