import { Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerException, type ThrottlerLimitDetail, type ThrottlerOptions, type ThrottlerRequest } from '@nestjs/throttler';
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

/** Route metadata keys of @nestjs/throttler v6 (not exported by its entry point). */
const META = {
  skip: 'THROTTLER:SKIP',
  limit: 'THROTTLER:LIMIT',
  ttl: 'THROTTLER:TTL',
  blockDuration: 'THROTTLER:BLOCK_DURATION',
  tracker: 'THROTTLER:TRACKER',
  keyGenerator: 'THROTTLER:KEY_GENERATOR',
} as const;

type Plan = Omit<ThrottlerRequest, 'context'>;

@Injectable()
export class PlaytimeThrottlerGuard extends ThrottlerGuard {
  /**
   * Per route handler: each throttler's limit, ttl, block, tracker and key, read from the route
   * metadata once. The library reads them on every request (about twenty metadata lookups and six
   * awaits); they cannot change at run time unless a value is a function of the request, in which
   * case the route is left to the library (null).
   */
  private readonly plans = new WeakMap<object, Plan[] | null>();

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const handler = context.getHandler();
    let plan = this.plans.get(handler);
    if (plan === undefined) {
      plan = this.planOf(context);
      this.plans.set(handler, plan);
    }
    if (plan === null) return super.canActivate(context);
    if (await this.shouldSkip(context)) return true;
    for (const p of plan) {
      // handleRequest answers true or throws the 429.
      if (!(await this.handleRequest({ context, ...p }))) return false;
    }
    return true;
  }

  private planOf(context: ExecutionContext): Plan[] | null {
    const targets = [context.getHandler(), context.getClass()];
    const plan: Plan[] = [];
    for (const throttler of this.throttlers) {
      const meta = (key: string) => this.reflector.getAllAndOverride<unknown>(key + throttler.name, targets);
      if (throttler.skipIf || this.commonOptions.skipIf) return null;
      if (meta(META.skip)) continue;
      const limit = meta(META.limit) ?? throttler.limit;
      const ttl = meta(META.ttl) ?? throttler.ttl;
      const block = meta(META.blockDuration) ?? throttler.blockDuration ?? ttl;
      if (![limit, ttl, block].every((v) => typeof v === 'number')) return null;
      plan.push({
        limit: limit as number,
        ttl: ttl as number,
        blockDuration: block as number,
        throttler,
        getTracker: (meta(META.tracker) ?? throttler.getTracker ?? this.commonOptions.getTracker) as Plan['getTracker'],
        generateKey: (meta(META.keyGenerator) ?? throttler.generateKey ?? this.commonOptions.generateKey) as Plan['generateKey'],
      });
    }
    return plan;
  }

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
