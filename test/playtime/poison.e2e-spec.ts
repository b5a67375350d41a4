import { itemKeyHash, itemKeyString } from '../../src/watch/item-key.js';
import { createTestApp, type TestApp } from '../utils/create-app.js';
import { hb } from '../utils/heartbeat.js';

/**
 * Items the database refuses for their data (SPEC §4 "one bad item never blocks the others"),
 * fed to the batcher directly: validation at the edge refuses them, this is the defence behind it.
 */

async function storedUsers(t: TestApp): Promise<string[]> {
  const { rows } = await t.db.query<{ user_id: string }>('SELECT DISTINCT user_id FROM watch_history ORDER BY 1');
  return rows.map((r) => r.user_id);
}

describe('poison items', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('stores the good items of a refused batch, sets the bad ones aside, and the next flush works', async () => {
    for (let i = 0; i < 20; i++) await t.batcher.accept(`good-${String(i).padStart(2, '0')}`, [hb({ mediaId: 100 + i, title: `Film ${i}` })]);
    await t.batcher.accept('bad-nul', [hb({ mediaId: 7, title: 'Bad\u0000Title' })]);
    await t.batcher.accept('bad-int', [hb({ mediaId: 3_000_000_000 })]);
    await t.batcher.flush();

    expect(t.batcher.pendingCount).toBe(0);
    expect(await storedUsers(t)).toEqual(Array.from({ length: 20 }, (_, i) => `good-${String(i).padStart(2, '0')}`));
    const { rows: rejects } = await t.db.query(`SELECT user_id, key_hash, item_key, error_code, item FROM ingest_rejects ORDER BY user_id`);
    expect(rejects.map((r) => [r.user_id, r.error_code])).toEqual([
      ['bad-int', '22003'],
      ['bad-nul', '22021'],
    ]);
    const nulKey = itemKeyString({ userId: 'bad-nul', mediaType: 'movie', mediaId: 7, seasonNumber: null, episodeNumber: null });
    expect(rejects[1].key_hash).toBe(itemKeyHash(nulKey));
    // The item is kept whole as JSON, NUL written as the escape so the row itself can be stored.
    expect(rejects[1].item).toContain('"title":"Bad\\u0000Title"');
    expect(JSON.parse(rejects[1].item)).toMatchObject({ userId: 'bad-nul', mediaId: 7, title: 'Bad\u0000Title' });
    expect(t.batcher.counts().itemsSetAside).toBe(2);
    const metrics = await t.http().get('/metrics').expect(200);
    expect(metrics.text).toContain('playtime_items_set_aside_total{code="22021"} 1');
    expect(metrics.text).toContain('playtime_items_set_aside_total{code="22003"} 1');
    const admin = await t.token('ops', { admin: true });
    const ingest = await t.http().get('/v1/admin/ingest').set('Authorization', `Bearer ${admin}`).expect(200);
    expect(ingest.body).toMatchObject({ itemsSetAside: 2, pendingItems: 0 });

    // Later flushes are not held up, and the same users can go on.
    const before = t.batcher.counts().flushes;
    await t.batcher.accept('bad-nul', [hb({ mediaId: 8, title: 'Fine' })]);
    await t.batcher.accept('good-00', [hb({ mediaId: 100, playedSeconds: 20 })]);
    await t.batcher.flush();
    expect(t.batcher.counts().flushes).toBe(before + 1);
    expect(await storedUsers(t)).toContain('bad-nul');
    expect(t.batcher.counts().itemsSetAside).toBe(2);
  });

  it('logs a set-aside item by the hash of its key, never its user id', async () => {
    const logged: unknown[] = [];
    const logger = (t.batcher as unknown as { logger: { error: (m: unknown) => void } }).logger;
    const original = logger.error.bind(logger);
    logger.error = (m: unknown) => {
      logged.push(m);
      original(m);
    };
    await t.batcher.accept('private-user-4711', [hb({ title: '\u0000' })]);
    await t.batcher.flush();
    const key = itemKeyString({ userId: 'private-user-4711', mediaType: 'movie', mediaId: 1, seasonNumber: null, episodeNumber: null });
    expect(logged).toContainEqual(expect.objectContaining({ keyHash: itemKeyHash(key), code: '22021' }));
    expect(JSON.stringify(logged)).not.toContain('private-user-4711');
  });

  it('finishes the shutdown flush with a poison item pending, storing the others', async () => {
    await t.batcher.accept('sd-good', [hb({ mediaId: 1 }), hb({ mediaId: 2 })]);
    await t.batcher.accept('sd-bad', [hb({ title: 'x\u0000' })]);
    await t.batcher.beforeApplicationShutdown();
    expect(t.batcher.pendingCount).toBe(0);
    expect(await storedUsers(t)).toEqual(['sd-good']);
    const { rows } = await t.db.query(`SELECT user_id FROM ingest_rejects`);
    expect(rows).toEqual([{ user_id: 'sd-bad' }]);
  });

  it('sets a poison item aside in write-through mode too, and stores the rest of the request', async () => {
    await t.close();
    t = await createTestApp({ PLAYTIME_FLUSH_INTERVAL_MS: '0' });
    await t.batcher.accept('wt-user', [hb({ mediaId: 1 }), hb({ mediaId: 2, title: '\u0000' })]);
    expect(t.batcher.pendingCount).toBe(0);
    const { rows } = await t.db.query(`SELECT media_id FROM watch_history WHERE user_id = 'wt-user'`);
    expect(rows).toEqual([{ media_id: 1 }]);
    expect(t.batcher.counts().itemsSetAside).toBe(1);
  });
});
