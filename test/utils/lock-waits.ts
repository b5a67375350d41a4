import type { TestApp } from './create-app.js';

/**
 * Resolves once at least `count` of the service's queries wait for a lock (pg_stat_activity), or
 * rejects when `stop()` was called first. Polls the database state; it never sleeps to let
 * something happen.
 */
export function waitForLockWaits(t: TestApp, count: number, what = 'Lock'): { done: Promise<void>; stop: () => void } {
  let stopped = false;
  const done = (async () => {
    const end = Date.now() + 20_000;
    for (;;) {
      if (stopped) throw new Error('stopped');
      const { rows } = await t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'playtime' AND wait_event_type = $1`,
        [what],
      );
      if (rows[0].n >= count) return;
      if (Date.now() > end) throw new Error(`expected ${count} waiting queries, saw ${rows[0].n}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  done.catch(() => undefined);
  return { done, stop: () => (stopped = true) };
}
