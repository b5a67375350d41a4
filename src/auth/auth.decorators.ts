import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest, AuthUser } from './auth-user.js';

export const PUBLIC_ROUTE = 'playtime:public';
export const TOKEN_IN_BODY = 'playtime:token-in-body';
export const ADMIN_ONLY = 'playtime:admin-only';

/** No token needed (health, docs). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
/** The token comes in the body's `accessToken` (the beacon route: sendBeacon cannot set headers). */
export const TokenInBody = () => SetMetadata(TOKEN_IN_BODY, true);
/** Needs `"admin"` in the token's `roles`. */
export const AdminOnly = () => SetMetadata(ADMIN_ONLY, true);

/** The authenticated caller, set by `AuthGuard`. */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthUser => {
  return ctx.switchToHttp().getRequest<AuthenticatedRequest>().user!;
});
