import { hash } from 'node:crypto';
import type { AuthUser } from './auth-user.js';
import type { SigningKey } from './jwks-key-store.js';

export interface CachedVerification {
  user: AuthUser;
  /** The token's `exp` (seconds): the entry is good while `floor(now / 1000) < exp`, as jose checks it. */
  exp: number;
  /** The provider key that verified it (null for HS256): the entry dies with that key. */
  key: SigningKey | null;
}

/**
 * Tokens that verified, so a client's next request with the same token skips the signature
 * check (a client sends one every 10–30 s for an hour or more). Keyed by a SHA-256 of the token,
 * so memory is bounded by the entry count whatever the tokens' size. Least recently used entries
 * go first once `maxEntries` is reached. Only successes are stored.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, CachedVerification>();

  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  static keyOf(token: string): string {
    // One-shot: no Hash object per request (about 1.5 % of a heartbeat's CPU with createHash).
    return hash('sha256', token, 'base64');
  }

  /** The entry, if still within its token's `exp` at `nowMs`; expired entries are dropped. */
  get(key: string, nowMs: number): CachedVerification | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (Math.floor(nowMs / 1000) >= entry.exp) return undefined;
    // Re-inserted: a Map iterates in insertion order, so the first key is the least recently used.
    this.entries.set(key, entry);
    return entry;
  }

  set(key: string, entry: CachedVerification): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value!);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
