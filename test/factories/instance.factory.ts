import { WatchRepository } from '../../src/watch/watch.repository.js';
import type { TestApp } from '../utils/create-app.js';

/**
 * Another instance's report, written as the registry writes it: `lowWater` is the receipt time
 * of the oldest heartbeat it holds unflushed. Returns the row.
 */
export async function instanceReport(t: Pick<TestApp, 'app' | 'db'>, instanceId: string, lowWater: Date, seenAt = lowWater) {
  await t.app.get(WatchRepository).reportInstance(instanceId, lowWater, seenAt);
  const { rows } = await t.db.query<{ instance_id: string; low_water: Date; seen_at: Date }>(
    'SELECT instance_id, low_water, seen_at FROM ingest_instances WHERE instance_id = $1',
    [instanceId],
  );
  return rows[0];
}
