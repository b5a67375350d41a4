import { Inject, Injectable, Optional, UnauthorizedException } from '@nestjs/common';
import { createVerifier, type VerifierOptions } from 'fast-jwt';
import { decodeProtectedHeader, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { Clock } from '../common/clock.js';
import { RetryLaterException } from '../common/errors.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { resolveHmacSecret } from './dev-secret.js';
import type { AuthUser } from './auth-user.js';
import { DEFAULT_JWKS_TIMINGS, JwksKeyStore, KeysUnavailableError, type JwksTimings, type SigningKey } from './jwks-key-store.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

const ASYMMETRIC = ['RS256', 'ES256'];
/** fast-jwt's options for the HS256 verifier, the secret included. */
type HsOptions = Partial<VerifierOptions> & { key: string };
/** Verified tokens kept (about 200 bytes each): far more than the clients of one instance in an hour. */
export const TOKEN_CACHE_ENTRIES = 50_000;

export interface TokenVerifierOptions {
  /** Time for `exp`/`nbf` checks (ms since the epoch). Real time unless a test moves it. */
  tokenTime?: () => number;
  cacheEntries?: number;
  jwks?: Partial<JwksTimings>;
}

/** Optional provider of `TokenVerifierOptions` (tests). */
export const TOKEN_VERIFIER_OPTIONS = Symbol('TOKEN_VERIFIER_OPTIONS');

/** The signature did not verify with any candidate key: for a key id we have, that is a bad token. */
const UNKNOWN_KEY = Symbol('unknown key');

/**
 * Verifies bearer tokens: HS256 with `JWT_SECRET` (or the development secret), RS256/ES256 with
 * the keys at `JWT_JWKS_URL`. `exp` and `sub` are required; `iss`/`aud` are checked when
 * configured. Failures are 401s whose message never echoes the token, except that a token naming
 * a provider key the service does not have yet is a 503 with `Retry-After` until the service has
 * fetched the provider's keys again (providers rotate keys; the token may well be valid).
 */
@Injectable()
export class TokenVerifier {
  /**
   * HS256 tokens are verified by fast-jwt, synchronously with node:crypto's HMAC. jose checks
   * them through WebCrypto, whose every call is a round trip to libuv's thread pool: a viewer's
   * first request (its token not cached yet) cost about 265 µs more of service CPU under load, and
   * continue watching, where most requests are a viewer's first, went from 675 to 842 requests/s.
   * jose keeps the provider (JWKS) tokens, whose keys come as JWKs.
   */
  private readonly hs256: { verify: (token: string) => JWTPayload; options: HsOptions } | null;
  private readonly realTokenTime: boolean;
  readonly jwks: JwksKeyStore | null;
  readonly cache: VerifiedTokenCache;
  readonly devMode: boolean;
  private readonly tokenTime: () => number;
  private readonly claims: JWTVerifyOptions;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    clock: Clock,
    @Optional() @Inject(TOKEN_VERIFIER_OPTIONS) options: TokenVerifierOptions | null = null,
  ) {
    const hmac = resolveHmacSecret(config);
    if (hmac) {
      const hsOptions: HsOptions = {
        key: hmac.secret,
        algorithms: ['HS256'],
        // fast-jwt checks iss and aud only when present: configured, they are required.
        requiredClaims: ['exp', 'sub', ...(config.JWT_ISSUER ? ['iss'] : []), ...(config.JWT_AUDIENCE ? ['aud'] : [])],
        cache: false,
        ...(config.JWT_ISSUER && { allowedIss: config.JWT_ISSUER }),
        ...(config.JWT_AUDIENCE && { allowedAud: config.JWT_AUDIENCE }),
      };
      this.hs256 = { verify: createVerifier(hsOptions) as (token: string) => JWTPayload, options: hsOptions };
    } else {
      this.hs256 = null;
    }
    this.devMode = hmac?.dev ?? false;
    this.jwks = config.JWT_JWKS_URL ? new JwksKeyStore(new URL(config.JWT_JWKS_URL), clock, { ...DEFAULT_JWKS_TIMINGS, ...options?.jwks }) : null;
    this.cache = new VerifiedTokenCache(options?.cacheEntries ?? TOKEN_CACHE_ENTRIES);
    this.tokenTime = options?.tokenTime ?? Date.now;
    this.realTokenTime = !options?.tokenTime;
    this.claims = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, requiredClaims: ['exp', 'sub'] };
  }

  async verify(token: string): Promise<AuthUser> {
    const cacheKey = VerifiedTokenCache.keyOf(token);
    const cached = this.fromCache(cacheKey);
    if (cached) return cached;
    const now = this.tokenTime();
    const { payload, key } = await this.verifySignatureAndClaims(token, now);
    const user = toUser(payload);
    this.cache.set(cacheKey, { user, exp: payload.exp!, key });
    return user;
  }

  /** The user of a token verified earlier and still valid, without any new verification work. */
  cachedUser(token: string): AuthUser | null {
    return this.fromCache(VerifiedTokenCache.keyOf(token));
  }

  private fromCache(cacheKey: string): AuthUser | null {
    const hit = this.cache.get(cacheKey, this.tokenTime());
    if (!hit) return null;
    if (hit.key) {
      // Only as good as the key that verified it: a key the provider stopped publishing ends it.
      if (!this.jwks!.isCurrent(hit.key)) {
        this.cache.delete(cacheKey);
        return null;
      }
      this.jwks!.refreshIfStale();
    }
    return hit.user;
  }

  private async verifySignatureAndClaims(token: string, now: number): Promise<{ payload: JWTPayload; key: SigningKey | null }> {
    let alg: string | undefined;
    let kid: string | undefined;
    try {
      ({ alg, kid } = decodeProtectedHeader(token));
    } catch {
      throw new UnauthorizedException('Malformed token');
    }
    const options: JWTVerifyOptions = { ...this.claims, currentDate: new Date(now) };
    try {
      if (alg === 'HS256' && this.hs256) {
        // A test's clock needs a verifier of its own; the service's checks against real time.
        const verify = this.realTokenTime ? this.hs256.verify : (createVerifier({ ...this.hs256.options, clockTimestamp: now }) as (t: string) => JWTPayload);
        const payload = verify(token);
        // Expired at `exp` itself (RFC 7519, jose, the cache); fast-jwt still accepts that millisecond.
        if (payload.exp! * 1000 <= now) throw Object.assign(new Error('expired'), { code: 'FAST_JWT_EXPIRED' });
        return { payload, key: null };
      }
      if (alg && ASYMMETRIC.includes(alg) && this.jwks) return await this.verifyWithProviderKeys(token, alg, kid, options);
      throw new Error('unsupported algorithm');
    } catch (err) {
      if (err instanceof KeysUnavailableError) throw new RetryLaterException(`Cannot verify the token yet: ${err.message}`, err.retryAfterSeconds);
      const code = (err as { code?: string }).code;
      const expired = code === 'ERR_JWT_EXPIRED' || code === 'FAST_JWT_EXPIRED';
      throw new UnauthorizedException(expired ? 'Token expired' : 'Invalid token');
    }
  }

  /**
   * A key id we do not have (or, without a key id, no key that verifies) makes the key set be
   * fetched again; while that is held back or failing, `KeysUnavailableError`. If the provider's
   * fresh set does not verify the token either, it is wrongly signed.
   */
  private async verifyWithProviderKeys(token: string, alg: string, kid: string | undefined, options: JWTVerifyOptions) {
    const jwks = this.jwks!;
    const keys = await jwks.keySet();
    let outcome = await verifyWithKeys(token, alg, kid, keys, options);
    if (outcome === UNKNOWN_KEY) outcome = await verifyWithKeys(token, alg, kid, await jwks.refetchForUnknownKey(keys), options);
    if (outcome === UNKNOWN_KEY) throw new Error('no published key verifies the token');
    return outcome;
  }
}

async function verifyWithKeys(
  token: string,
  alg: string,
  kid: string | undefined,
  keys: SigningKey[],
  options: JWTVerifyOptions,
): Promise<{ payload: JWTPayload; key: SigningKey } | typeof UNKNOWN_KEY> {
  const named = kid === undefined ? keys : keys.filter((k) => k.kid === kid);
  if (named.length === 0) return UNKNOWN_KEY;
  let failure: unknown = new Error('the key does not sign with this algorithm');
  for (const key of named) {
    if (key.alg !== alg) continue;
    try {
      const { payload } = await jwtVerify(token, key.key as CryptoKey, { ...options, algorithms: [alg] });
      return { payload, key };
    } catch (err) {
      // Claims are checked only after the signature verified: an expired token fails here for good.
      if ((err as { code?: string }).code !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') throw err;
      failure = err;
    }
  }
  if (kid === undefined) return UNKNOWN_KEY;
  throw failure;
}

const MAX_SUB_LENGTH = 256;

function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function toUser(payload: JWTPayload): AuthUser {
  const sub = payload.sub;
  // The user id is stored as text: PostgreSQL refuses NUL in text, and a control character in an
  // id is never legitimate, so such a token is refused here rather than failing every later read.
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_SUB_LENGTH || hasControlCharacter(sub)) {
    throw new UnauthorizedException(`Invalid token: sub must be 1–${MAX_SUB_LENGTH} characters without control characters`);
  }
  const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
  return { userId: sub, roles, isAdmin: roles.includes('admin') };
}
