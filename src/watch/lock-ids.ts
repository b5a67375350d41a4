/**
 * Every PostgreSQL advisory-lock id the service uses, in one place, so two features can never
 * pick the same one by accident (they did once: the catalogue seed and the report roll-up).
 *
 * Two-key locks (`pg_advisory_xact_lock(namespace, key)`) use the namespace as the first key;
 * the migration lock is a one-key lock. PostgreSQL keeps the one-key and two-key spaces apart,
 * but every value here is distinct anyway. `lock-ids.spec.ts` checks that, and the type below
 * makes a duplicate a compile error.
 */
export const LOCK_IDS = {
  /** One-key session lock: serialises migrations across instances. */
  migrations: 727_001,
  /** Per user (key: hashtext(user_id)), exclusive: flushes (delete wins, per-user ceiling) and history deletes. */
  user: 727_002,
  /** Catalogue seeding (key 0). */
  catalogSeed: 727_003,
  /** Per UTC day of watch buckets (key: days since 1970-01-01): flushes shared, roll-ups exclusive. */
  bucketDay: 727_004,
  /** Tombstone pruning (key 0): one instance prunes at a time. */
  tombstonePrune: 727_005,
} as const;

/** `true` only when no two names share a value: the union of values is as long as the list of names. */
type Distinct<T extends Record<string, number>> = {
  [K in keyof T]: T[K] extends T[Exclude<keyof T, K>] ? false : true;
}[keyof T];
/** Fails to compile if two ids are equal. */
export const LOCK_IDS_ARE_DISTINCT: Distinct<typeof LOCK_IDS> extends true ? true : never = true;
export type LockId = (typeof LOCK_IDS)[keyof typeof LOCK_IDS];

/** The key of a user's lock (namespace `LOCK_IDS.user`) for a `text` SQL expression holding the user id. */
export function userLockKeySql(userId: string): string {
  return `hashtext(${userId})`;
}

/**
 * The key of a UTC day's bucket lock (namespace `LOCK_IDS.bucketDay`) for a `date` SQL expression:
 * days since 1970-01-01, as `utcDayNumber` (src/watch/time.ts) computes it from an instant.
 */
export function dayLockKeySql(date: string): string {
  return `(${date} - DATE '1970-01-01')`;
}
