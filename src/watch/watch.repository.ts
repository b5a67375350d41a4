import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { LOCK_IDS } from './lock-ids.js';

/** This instance's report: the oldest receipt time it holds unflushed, and when it said so. */
export const REPORT_INSTANCE = `
  INSERT INTO ingest_instances (instance_id, low_water, seen_at) VALUES ($1, $2, $3)
  ON CONFLICT (instance_id) DO UPDATE SET low_water = EXCLUDED.low_water, seen_at = EXCLUDED.seen_at`;

export const FORGET_INSTANCE = `DELETE FROM ingest_instances WHERE instance_id = $1`;

/** One instance prunes at a time; the others skip the round. */
export const TRY_PRUNE_LOCK = `SELECT pg_try_advisory_xact_lock(${LOCK_IDS.tombstonePrune}, 0) AS got`;

/**
 * Drops instances not heard from for the lease ($2 ms before $1), then every tombstone older
 * than the oldest low-water mark of the live instances: no instance can still hold data received
 * before that mark, so nothing such a tombstone keeps out can reach a flush any more. With no
 * live instance reported (min is NULL) nothing is pruned.
 *
 * Also the erased sessions (kept only as the baseline of a session that might go on after a
 * delete) whose latest heartbeat is more than 31 days old: a heartbeat may carry an `occurredAt`
 * at most 30 days old, so such a session is over.
 */
export const PRUNE_TOMBSTONES = `
  WITH gone AS (
    DELETE FROM ingest_instances WHERE seen_at <= $1::timestamptz - make_interval(secs => $2::float8 / 1000)
    RETURNING 1
  ),
  horizon AS (
    SELECT min(low_water) AS h FROM ingest_instances
    WHERE seen_at > $1::timestamptz - make_interval(secs => $2::float8 / 1000)
  ),
  pruned AS (
    DELETE FROM history_tombstones WHERE deleted_at < (SELECT h FROM horizon)
    RETURNING 1
  ),
  sessions_over AS (
    DELETE FROM watch_sessions WHERE erased AND last_at < $1::timestamptz - interval '31 days'
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM pruned)::int AS tombstones, (SELECT count(*) FROM gone)::int AS instances,
         (SELECT count(*) FROM sessions_over)::int AS sessions`;

@Injectable()
export class WatchRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async reportInstance(instanceId: string, lowWater: Date, seenAt: Date): Promise<void> {
    await this.dataSource.query(REPORT_INSTANCE, [instanceId, lowWater, seenAt]);
  }

  async forgetInstance(instanceId: string): Promise<void> {
    await this.dataSource.query(FORGET_INSTANCE, [instanceId]);
  }

  /** Null when another instance is pruning right now. */
  async pruneTombstones(now: Date, leaseMs: number): Promise<{ tombstones: number; instances: number; sessions: number } | null> {
    return this.dataSource.transaction(async (m) => {
      const [{ got }] = (await m.query(TRY_PRUNE_LOCK)) as { got: boolean }[];
      if (!got) return null;
      const [counts] = (await m.query(PRUNE_TOMBSTONES, [now, leaseMs])) as { tombstones: number; instances: number; sessions: number }[];
      return counts;
    });
  }
}
