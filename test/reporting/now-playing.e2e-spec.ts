import { randomUUID } from 'node:crypto';
import { createTestApp, type TestApp } from '../utils/create-app.js';
import { expectFieldError } from '../utils/field-error.js';
import { catalogEntry } from '../factories/catalog.factory.js';
import { sessionRow } from '../factories/session-row.factory.js';

/** Now playing from session rows written by SQL: which sessions, in which order, with which fields. */
describe('GET /v1/admin/now-playing', () => {
  let t: TestApp;
  let admin: { Authorization: string };
  let now: number;
  const ago = (s: number) => new Date(now - s * 1000);
  const tvSession = randomUUID();

  beforeAll(async () => {
    t = await createTestApp();
    admin = { Authorization: `Bearer ${await t.token('ops', { admin: true })}` };
    now = Date.parse('2025-12-15T20:30:00.000Z');
    t.clock.set(now);
    await catalogEntry(t, { mediaType: 'movie', mediaId: 550, title: 'Fight Club' });
    await catalogEntry(t, { mediaType: 'tv', mediaId: 1399, title: 'Game of Thrones' });
    await sessionRow(t, {
      userId: 'np-a', first: ago(600), last: ago(10), currentTime: 1260, totalDuration: 3400, event: 'progress',
      device: { id: 'tv-1', name: 'Living room TV', platform: 'tizen' },
    });
    await sessionRow(t, {
      userId: 'np-b', sessionId: tvSession, mediaType: 'tv', mediaId: 1399, seasonNumber: 1, episodeNumber: 3,
      first: ago(100), last: ago(5), currentTime: 90, totalDuration: 3600, event: 'pause',
    });
    await sessionRow(t, { userId: 'np-c', mediaId: 77, first: ago(40), last: ago(30) }); // latest event not known yet
    await sessionRow(t, { userId: 'np-d', first: ago(300), last: ago(60), currentTime: 8400, totalDuration: 8400, event: 'progress' });
    // Not playing: too old, stopped, deleted.
    await sessionRow(t, { userId: 'np-e', first: ago(300), last: ago(61), event: 'progress' });
    await sessionRow(t, { userId: 'np-f', first: ago(300), last: ago(2), event: 'stop' });
    await sessionRow(t, { userId: 'np-g', first: ago(300), last: ago(3), event: 'progress', erased: true });
    await sessionRow(t, { userId: 'np-h', first: ago(7200), last: ago(3600), event: 'pause' });
  });
  afterAll(() => t?.close());

  const get = (query: Record<string, string> = {}) => t.http().get('/v1/admin/now-playing').query(query).set(admin);

  it('lists sessions whose latest heartbeat is at most 60 s old and not a stop, newest first', async () => {
    const { body } = await get().expect(200);
    expect(body.count).toBe(4);
    expect(body.sessions.map((s: { userId: string }) => s.userId)).toEqual(['np-b', 'np-a', 'np-c', 'np-d']);
    expect(body.sessions[0]).toEqual({
      userId: 'np-b', sessionId: tvSession, mediaType: 'tv', mediaId: 1399, seasonNumber: 1, episodeNumber: 3,
      title: 'Game of Thrones', currentTime: 90, totalDuration: 3600, progress: 3, event: 'pause', device: null,
      startedAt: ago(100).toISOString(), lastSeenAt: ago(5).toISOString(),
    });
    expect(body.sessions[1]).toMatchObject({
      title: 'Fight Club', currentTime: 1260, totalDuration: 3400, progress: 37, event: 'progress',
      device: { id: 'tv-1', name: 'Living room TV', platform: 'tizen' }, seasonNumber: null, episodeNumber: null,
    });
    expect(body.sessions[2]).toMatchObject({ mediaId: 77, title: null, currentTime: null, totalDuration: null, progress: null, event: null });
    expect(body.sessions[3]).toMatchObject({ progress: 100, lastSeenAt: ago(60).toISOString() });
  });

  it('follows the clock: 54 s later only what was seen in the last minute is left', async () => {
    t.clock.set(now + 54_000); // np-b was seen 59 s before, np-a 64 s
    try {
      const { body } = await get().expect(200);
      expect(body).toMatchObject({ count: 1, sessions: [{ userId: 'np-b' }] });
    } finally {
      t.clock.set(now);
    }
  });

  it('lists at most `limit` sessions and counts them all', async () => {
    const { body } = await get({ limit: '2' }).expect(200);
    expect(body.count).toBe(4);
    expect(body.sessions.map((s: { userId: string }) => s.userId)).toEqual(['np-b', 'np-a']);
    expectFieldError(await get({ limit: '0' }), 'limit');
    expectFieldError(await get({ limit: '1001' }), 'limit');
    expectFieldError(await get({ limit: 'ten' }), 'limit');
  });

  it('is for admins only', async () => {
    await t.http().get('/v1/admin/now-playing').set('Authorization', `Bearer ${await t.token('np-a')}`).expect(403);
    await t.http().get('/v1/admin/now-playing').expect(401);
  });
});
