import { ForbiddenException, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FieldValidationException } from '../common/errors.js';
import { ADMIN_ONLY, PUBLIC_ROUTE, TOKEN_IN_BODY } from './auth.decorators.js';
import type { AuthenticatedRequest } from './auth-user.js';
import { TokenVerifier } from './token-verifier.js';

/**
 * Global guard, registered before the throttler so per-user limits can key on `req.user`.
 * 401 for a missing, malformed, expired or wrongly signed token; 403 for a non-admin on an
 * admin route.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = this.reflector.getAllAndOverride<boolean>(TOKEN_IN_BODY, targets)
      ? tokenFromBody(req)
      : tokenFromHeader(req.headers.authorization);
    if (!token) throw new UnauthorizedException('Missing bearer token');
    req.user = await this.verifier.verify(token);
    if (this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, targets) && !req.user.isAdmin) {
      throw new ForbiddenException('This route needs the admin role');
    }
    return true;
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
