/** The caller, from a verified token. */
export interface AuthUser {
  /** The token's `sub`: every user-scoped query uses it, never an id from the request. */
  userId: string;
  roles: string[];
  isAdmin: boolean;
}

export interface AuthenticatedRequest {
  user?: AuthUser;
  body?: unknown;
  headers: Record<string, string | string[] | undefined>;
  ip: string;
}
