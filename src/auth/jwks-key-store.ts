import { Logger } from '@nestjs/common';
import { importJWK, type CryptoKey, type JWK } from 'jose';
import type { Clock } from '../common/clock.js';

/** A verification key from the provider's key set. */
export interface SigningKey {
  kid?: string;
  alg: 'RS256' | 'ES256';
  key: CryptoKey;
  /** The public key material, to tell whether a refetched set still publishes this key. */
  material: string;
}

export interface JwksTimings {
  /**
   * Least time between two fetches started by the service (an unknown key, a stale set, or a
   * retry after a failure). Bounds what a client sending made-up key ids can make us do.
   */
  minRefetchIntervalMs: number;
  /** After this age the set is refreshed in the background (so removed keys stop working). */
  maxAgeMs: number;
  /** One fetch gives up after this long. */
  fetchTimeoutMs: number;
}

export const DEFAULT_JWKS_TIMINGS: JwksTimings = { minRefetchIntervalMs: 10_000, maxAgeMs: 10 * 60_000, fetchTimeoutMs: 5_000 };

/** The provider's keys cannot be had right now: answer 503 and say when to retry. */
export class KeysUnavailableError extends Error {
  constructor(
    readonly retryAfterSeconds: number,
    reason: string,
  ) {
    super(reason);
    this.name = 'KeysUnavailableError';
  }
}

/**
 * The key set at `JWT_JWKS_URL`, fetched by the service itself rather than by jose's
 * `createRemoteJWKSet`: that one will not refetch within its cooldown (so a token signed with a
 * just-rotated key fails as if wrongly signed) and forgets its keys after `cacheMaxAge` when the
 * provider is down. Here the last good set stays in use whatever happens to later fetches, and a
 * caller that needs a fresher set is told how long until it may have one.
 */
export class JwksKeyStore {
  private readonly logger = new Logger('Jwks');
  private keys: SigningKey[] | null = null;
  /** The keys of the current set, for a cheap "is this key still published?" check. */
  private current = new Set<SigningKey>();
  private fetchedAt = 0;
  /** When the last fetch started, successful or not; -Infinity before the first. */
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly url: URL,
    private readonly clock: Clock,
    private readonly timings: JwksTimings = DEFAULT_JWKS_TIMINGS,
  ) {}

  /** The current set, fetching it first if there is none yet. */
  async keySet(): Promise<SigningKey[]> {
    if (this.keys) {
      this.refreshIfStale();
      return this.keys;
    }
    await this.fetchNowOrExplain('no signing keys from the identity provider yet');
    return this.keys!;
  }

  /**
   * A token names a key we do not have: fetch the set again unless that is held back, in which
   * case (or when the fetch fails) the caller gets `KeysUnavailableError` with the wait.
   * A fetch already under way is joined, not repeated; a set newer than `seen` (the one the
   * caller looked in) is returned as it is.
   */
  async refetchForUnknownKey(seen: SigningKey[]): Promise<SigningKey[]> {
    if (this.keys !== seen) return this.keys!;
    await this.fetchNowOrExplain('the token is signed with a key the service does not have yet');
    return this.keys!;
  }

  /** Resolves once no fetch is under way (whatever its outcome). */
  async whenIdle(): Promise<void> {
    await this.inFlight?.catch(() => undefined);
  }

  /** Whether `key` belongs to the set in use (a cached verification is only as good as its key). */
  isCurrent(key: SigningKey): boolean {
    return this.current.has(key);
  }

  /** Starts a background refresh when the set is older than `maxAgeMs`; failures keep the set. */
  refreshIfStale(): void {
    const now = this.clock.now();
    if (this.inFlight || now - this.fetchedAt < this.timings.maxAgeMs || now - this.lastAttemptAt < this.timings.minRefetchIntervalMs) return;
    this.startFetch().catch(() => undefined);
  }

  private async fetchNowOrExplain(why: string): Promise<void> {
    if (!this.inFlight) {
      const wait = this.lastAttemptAt + this.timings.minRefetchIntervalMs - this.clock.now();
      if (wait > 0) throw new KeysUnavailableError(Math.max(1, Math.ceil(wait / 1000)), `${why}; they are fetched again within Retry-After seconds`);
    }
    try {
      await (this.inFlight ?? this.startFetch());
    } catch {
      throw new KeysUnavailableError(Math.max(1, Math.ceil(this.timings.minRefetchIntervalMs / 1000)), `${why}; the identity provider cannot be reached`);
    }
  }

  private startFetch(): Promise<void> {
    this.lastAttemptAt = this.clock.now();
    const run = this.fetchKeys().then(
      (keys) => {
        this.keys = keys;
        this.current = new Set(keys);
        this.fetchedAt = this.clock.now();
      },
      (err: unknown) => {
        // Where and why only: no token, no credentials of the URL. The last good set stays in use.
        this.logger.warn(`fetching ${this.url.origin}${this.url.pathname} failed (${(err as Error).message}); ${this.keys ? 'keeping the last good key set' : 'no keys yet'}`);
        throw err;
      },
    );
    this.inFlight = run.finally(() => {
      this.inFlight = null;
    });
    this.inFlight.catch(() => undefined);
    return this.inFlight;
  }

  private async fetchKeys(): Promise<SigningKey[]> {
    const res = await fetch(this.url, { signal: AbortSignal.timeout(this.timings.fetchTimeoutMs), headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const body = (await res.json()) as { keys?: unknown };
    if (!Array.isArray(body?.keys)) throw new Error('no "keys" array');
    const keys: SigningKey[] = [];
    for (const jwk of body.keys as JWK[]) {
      const alg = signingAlg(jwk);
      if (!alg) continue;
      const material = JSON.stringify([jwk.kty, jwk.crv, jwk.x, jwk.y, jwk.n, jwk.e]);
      // The same key still published: keep the same object, so verifications cached with it stay valid.
      const previous = this.keys?.find((k) => k.kid === jwk.kid && k.alg === alg && k.material === material);
      try {
        keys.push(previous ?? { kid: jwk.kid, alg, key: (await importJWK(jwk, alg)) as CryptoKey, material });
      } catch {
        // One malformed key must not take the others down with it.
      }
    }
    if (keys.length === 0) throw new Error('no usable RS256/ES256 signing key');
    return keys;
  }
}

/** RS256 for RSA, ES256 for P-256; anything else (encryption keys, other curves) is skipped. */
function signingAlg(jwk: JWK): SigningKey['alg'] | null {
  if (jwk.use && jwk.use !== 'sig') return null;
  if (jwk.kty === 'RSA' && (!jwk.alg || jwk.alg === 'RS256')) return 'RS256';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256' && (!jwk.alg || jwk.alg === 'ES256')) return 'ES256';
  return null;
}
