import { randomUUID } from 'node:crypto';
import { HistoryRepository, type DeleteScope } from '../../src/history/history.repository.js';
import type { TestApp } from '../utils/create-app.js';

/**
 * A delete of the user's history (all of it, or `scope`) at `at`, by the service's repository,
 * as an instance holding data of that scope makes it: so it always leaves a tombstone. Returns
 * the tombstone row.
 */
export async function tombstone(t: Pick<TestApp, 'app' | 'config' | 'db'>, userId: string, at: Date, scope: DeleteScope = null) {
  await t.app.get(HistoryRepository).delete(userId, scope, at, { heldHere: true, instanceId: randomUUID(), leaseMs: t.config.INSTANCE_LEASE_MS });
  const { rows } = await t.db.query(
    `SELECT * FROM history_tombstones WHERE user_id = $1 AND media_type IS NOT DISTINCT FROM $2 AND media_id IS NOT DISTINCT FROM $3
       AND season_number IS NOT DISTINCT FROM $4 AND episode_number IS NOT DISTINCT FROM $5`,
    [userId, scope?.mediaType ?? null, scope?.mediaId ?? null, scope?.seasonNumber ?? null, scope?.episodeNumber ?? null],
  );
  return rows[0] as Record<string, unknown>;
}
