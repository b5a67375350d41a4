import {
  ForbiddenException,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { normalizeIp } from '@nestjs/throttler';
import { Clock } from '../common/clock.js';
import { FieldValidationException } from '../common/errors.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ADMIN_ONLY, PUBLIC_ROUTE, TOKEN_IN_BODY } from './auth.decorators.js';
import { AuthFailureLimiter } from './auth-failure-limiter.js';
import type { AuthenticatedRequest, AuthUser } from './auth-user.js';
import { TokenVerifier } from './token-verifier.js';

/**
 * Global guard, registered before the throttler so per-user limits can key on `req.user`.
 * 401 for a missing, malformed, expired or wrongly signed token; 403 for a non-admin on an
 * admin route; 503 with `Retry-After` while a token's provider key is being fetched.
 *
 * After `AUTH_FAILURE_LIMIT` 401s in a minute from one client IP (`req.ip`, which honours
 * `TRUST_PROXY`; an IPv6 address counts by its /64, as the throttler counts it), that IP gets 429
 * with `Retry-After` for the rest of the minute and no token is verified for it, except tokens
 * already verified and still valid: other users behind the same address keep working.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly failures: AuthFailureLimiter;

  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.failures = new AuthFailureLimiter(config.AUTH_FAILURE_LIMIT);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = this.reflector.getAllAndOverride<boolean>(TOKEN_IN_BODY, targets)
      ? tokenFromBody(req)
      : tokenFromHeader(req.headers.authorization);
    req.user = await this.authenticate(token, normalizeIp(req.ip ?? ''), context);
    if (this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, targets) && !req.user.isAdmin) {
      throw new ForbiddenException('This route needs the admin role');
    }
    return true;
  }

  private async authenticate(token: string | null, ip: string, context: ExecutionContext): Promise<AuthUser> {
    const now = this.clock.now();
    const blockedFor = this.failures.retryAfterSeconds(ip, now);
    if (blockedFor > 0) {
      const known = token ? this.verifier.cachedUser(token) : null;
      if (known) return known;
      context.switchToHttp().getResponse<{ header(name: string, value: string): void }>().header('Retry-After', String(blockedFor));
      throw new HttpException(
        {
          statusCode: HttpStatus.TOO_MANY_REQUESTS,
          error: 'Too Many Requests',
          message: 'Too many failed authentications from this address: retry after the number of seconds in Retry-After',
        },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    try {
      if (!token) throw new UnauthorizedException('Missing bearer token');
      return await this.verifier.verify(token);
    } catch (err) {
      if (err instanceof UnauthorizedException) this.failures.recordFailure(ip, now);
      throw err;
    }
  }
}

function tokenFromHeader(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}

/**
 * `navigator.sendBeacon` sends `text/plain` unless given a Blob: parse it as JSON here so the
 * route's schema validates an object either way.
 */
function tokenFromBody(req: AuthenticatedRequest): string | null {
  if (typeof req.body === 'string') {
    try {
      req.body = JSON.parse(req.body);
    } catch {
      throw new FieldValidationException([{ field: 'body', message: 'must be a JSON object' }]);
    }
  }
  const body = req.body as { accessToken?: unknown } | null | undefined;
  return body && typeof body === 'object' && typeof body.accessToken === 'string' && body.accessToken ? body.accessToken : null;
}
