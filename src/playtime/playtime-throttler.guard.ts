import { Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerException, type ThrottlerLimitDetail, type ThrottlerOptions } from '@nestjs/throttler';
import type { AppConfig } from '../config/app-config.js';
import type { AuthenticatedRequest } from '../auth/auth-user.js';

const MINUTE_MS = 60_000;

/**
 * Two limits on the write routes: per user (the token's `sub`; the auth guard runs first) and,
 * looser, per client IP. `req.ip` honours `TRUST_PROXY` hops only, so a client cannot pick its
 * own bucket through `X-Forwarded-For`.
 */
export function playtimeThrottlers(config: AppConfig): ThrottlerOptions[] {
  return [
    {
      name: 'user',
      ttl: MINUTE_MS,
      limit: config.PLAYTIME_RATE_LIMIT,
      getTracker: (req) => {
        const r = req as AuthenticatedRequest;
        return r.user ? `user:${r.user.userId}` : `ip:${r.ip}`;
      },
    },
    // No getTracker: the guard's own one keys on `req.ip` with an IPv6 address reduced to its /64
    // (one subscriber's allocation), so a client cannot get fresh buckets by rotating addresses.
    { name: 'ip', ttl: MINUTE_MS, limit: config.PLAYTIME_IP_RATE_LIMIT },
  ];
}

@Injectable()
export class PlaytimeThrottlerGuard extends ThrottlerGuard {
  /** One budget per user across the three write routes (a batch counts as one request). */
  protected override generateKey(_context: ExecutionContext, tracker: string, name: string): string {
    return `playtime:${name}:${tracker}`;
  }

  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const res = context.switchToHttp().getResponse<{ header(name: string, value: string): void }>();
    res.header('Retry-After', String(Math.max(1, detail.timeToBlockExpire)));
    throw new ThrottlerException('Too many requests: slow down and retry after the number of seconds in Retry-After');
  }
}
