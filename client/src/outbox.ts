import type { Heartbeat } from './api-types.js';

/** A heartbeat waiting to be sent. */
export interface OutboxEntry {
  /** The heartbeat, without `occurredAt` (added when it goes out through the batch route). */
  hb: Heartbeat;
  /** When it was produced, epoch ms on this device's clock. */
  at: number;
  /** `sub` of the token it was produced under, so a later user never sends it; null = not known yet. */
  owner: string | null;
}

/** Minimal Storage: `localStorage` fits. */
export interface KeyValueStorage {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The service refuses `occurredAt` older than 30 days: keep a margin for the trip. */
export const MAX_AGE_MS = 29.5 * 24 * 3600 * 1000;

/**
 * Heartbeats not delivered yet (offline, rate-limited, server busy), oldest first, optionally
 * persisted so they survive a page close.
 *
 * Each page keeps its own storage key (`prefix` + a random id), so two open tabs never overwrite
 * each other; a new page takes over every key it finds (left by closed pages) and sends their
 * entries. Should it take over a tab that is still open, both send the same heartbeats, which
 * the service ignores (a session's total is its largest `playedSeconds`).
 *
 * Bounded: past `max` entries, the oldest heartbeat that is neither the first nor the latest of
 * its session is dropped. `playedSeconds` is cumulative, so the latest heartbeat of a session
 * carries everything it played, and the first one keeps the session's time span (the service
 * caps a session's credit by that span); only the hourly attribution of the time loses detail.
 */
export class Outbox {
  private entries: OutboxEntry[] = [];
  private readonly key: string;

  constructor(
    private readonly max: number,
    private readonly storage: KeyValueStorage | null,
    private readonly prefix: string,
    instanceId: string,
  ) {
    this.key = prefix + instanceId;
    this.load();
  }

  get size(): number {
    return this.entries.length;
  }

  all(): readonly OutboxEntry[] {
    return this.entries;
  }

  push(entry: OutboxEntry): void {
    this.entries.push(entry);
    while (this.entries.length > this.max) this.dropOne();
    this.save();
  }

  /** Gives entries of no known owner to `owner` (the first user to send them). */
  adopt(owner: string | null): void {
    if (owner === null) return;
    let changed = false;
    for (const e of this.entries) {
      if (e.owner === null) {
        e.owner = owner;
        changed = true;
      }
    }
    if (changed) this.save();
  }

  /** Up to `n` oldest entries `owner` may send. */
  take(owner: string | null, n: number): OutboxEntry[] {
    return this.entries.filter((e) => e.owner === null || e.owner === owner).slice(0, n);
  }

  remove(sent: readonly OutboxEntry[]): void {
    const gone = new Set(sent);
    this.entries = this.entries.filter((e) => !gone.has(e));
    this.save();
  }

  /** Drops entries the service would refuse as too old. Returns how many. */
  dropExpired(nowMs: number): number {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => nowMs - e.at <= MAX_AGE_MS);
    if (this.entries.length !== before) this.save();
    return before - this.entries.length;
  }

  private dropOne(): void {
    const first = new Map<string, OutboxEntry>();
    const last = new Map<string, OutboxEntry>();
    for (const e of this.entries) {
      if (!first.has(e.hb.sessionId)) first.set(e.hb.sessionId, e);
      last.set(e.hb.sessionId, e);
    }
    const i = this.entries.findIndex((e) => first.get(e.hb.sessionId) !== e && last.get(e.hb.sessionId) !== e);
    this.entries.splice(i >= 0 ? i : 0, 1);
  }

  /** Takes over what earlier pages left in storage. */
  private load(): void {
    if (!this.storage) return;
    try {
      const keys: string[] = [];
      for (let i = 0; i < this.storage.length; i++) {
        const k = this.storage.key(i);
        if (k !== null && k.startsWith(this.prefix)) keys.push(k);
      }
      for (const k of keys) {
        const parsed: unknown = JSON.parse(this.storage.getItem(k) ?? '[]');
        if (Array.isArray(parsed)) this.entries.push(...parsed.filter(isEntry));
        this.storage.removeItem(k);
      }
    } catch {
      // Unreadable storage: start empty.
    }
    this.entries.sort((a, b) => a.at - b.at);
    while (this.entries.length > this.max) this.dropOne();
    this.save();
  }

  private save(): void {
    if (!this.storage) return;
    try {
      if (this.entries.length) this.storage.setItem(this.key, JSON.stringify(this.entries));
      else this.storage.removeItem(this.key);
    } catch {
      // Storage full or disabled (private mode): the entries stay in memory.
    }
  }
}

function isEntry(e: unknown): e is OutboxEntry {
  if (!e || typeof e !== 'object') return false;
  const { at, hb, owner } = e as Partial<OutboxEntry>;
  return typeof at === 'number' && !!hb && typeof hb.sessionId === 'string' && (owner === null || typeof owner === 'string');
}
