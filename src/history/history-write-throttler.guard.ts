import { Inject, Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerException,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { AuthenticatedRequest } from '../auth/auth-user.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

const MINUTE_MS = 60_000;

/**
 * One budget per user, `HISTORY_WRITE_RATE_LIMIT` requests a minute, shared by the routes that
 * write tombstones or rewrite history (the DELETEs and PUT/DELETE …/watched), so a flood of them
 * from one user is not free. It uses the application's throttler storage (Redis when configured,
 * so the limit holds across instances) with a throttler of its own: the write routes' limits are
 * not applied here, and these requests do not count against them. The auth guard runs first, so
 * the user is known; without one (never on these routes) the client IP is the key.
 */
@Injectable()
export class HistoryWriteThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const common = Array.isArray(options) ? {} : options;
    super(
      {
        ...common,
        throttlers: [
          {
            name: 'history-write',
            ttl: MINUTE_MS,
            limit: config.HISTORY_WRITE_RATE_LIMIT,
            getTracker: (req) => {
              const r = req as AuthenticatedRequest;
              return r.user ? `user:${r.user.userId}` : `ip:${r.ip}`;
            },
          },
        ],
      },
      storage,
      reflector,
    );
  }

  /** One key per user for all four routes (the default key is per route). */
  protected override generateKey(_context: ExecutionContext, tracker: string, name: string): string {
    return `history:${name}:${tracker}`;
  }

  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const res = context.switchToHttp().getResponse<{ header(name: string, value: string): void }>();
    res.header('Retry-After', String(Math.max(1, detail.timeToBlockExpire)));
    throw new ThrottlerException('Too many history changes: retry after the number of seconds in Retry-After');
  }
}
