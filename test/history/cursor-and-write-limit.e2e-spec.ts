import { randomUUID } from 'node:crypto';
import { createTestApp, type TestApp } from '../utils/create-app.js';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('history cursors and the per-user limit on history changes', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ HISTORY_WRITE_RATE_LIMIT: '3' });
  });
  afterAll(() => t.close());

  const auth = async (user: string) => ({ Authorization: `Bearer ${await t.token(user)}` });

  describe('GET /v1/history?cursor=', () => {
    it('pages with the cursors it issues', async () => {
      const user = 'cursor-pager';
      for (let mediaId = 1; mediaId <= 3; mediaId++) {
        t.clock.advance(1000);
        await t.batcher.accept(user, [{
          sessionId: randomUUID(), mediaType: 'movie', mediaId, seasonNumber: null, episodeNumber: null,
          currentTime: 500, totalDuration: 1000, playedSeconds: 10, event: 'progress',
        }]);
      }
      await t.batcher.flush();
      const first = await t.http().get('/v1/history').query({ limit: 2 }).set(await auth(user)).expect(200);
      expect(first.body.items.map((i: { mediaId: number }) => i.mediaId)).toEqual([3, 2]);
      const second = await t.http().get('/v1/history').query({ limit: 2, cursor: first.body.nextCursor }).set(await auth(user)).expect(200);
      expect(second.body).toMatchObject({ items: [{ mediaId: 1 }], nextCursor: null });
    });

    const forged: [string, string][] = [
      ['"1"', '1'],
      ['garbage base64', '!!not*base64~~'],
      ['base64 of garbage', b64('\u00ff\u00fe{[')],
      ['a JSON number', b64(1)],
      ['an impossible date (2020-02-30)', b64(['2020-02-30 10:00:00+00', '5'])],
      ['year 0', b64(['0000-01-01 00:00:00+00', '5'])],
      ['hour 25', b64(['2020-01-01 25:00:00+00', '5'])],
      ['an id past bigint', b64(['2020-01-01 10:00:00+00', '9223372036854775808'])],
      ['a 20-digit id', b64(['2020-01-01 10:00:00+00', '99999999999999999999'])],
      ['id 0', b64(['2020-01-01 10:00:00+00', '0'])],
      ['a numeric id', b64(['2020-01-01 10:00:00+00', 5])],
      ['three elements', b64(['2020-01-01 10:00:00+00', '5', 'x'])],
    ];

    it.each(forged)('answers 400 naming cursor for %s', async (_name, cursor) => {
      const res = await t.http().get('/v1/history').query({ cursor }).set(await auth('cursor-forger'));
      expect({ status: res.status, fields: res.body.errors?.map((e: { field: string }) => e.field) }).toEqual({ status: 400, fields: ['cursor'] });
    });

    it('accepts the largest bigint id', async () => {
      await t.http().get('/v1/history').query({ cursor: b64(['2020-01-01 10:00:00.123456+00', '9223372036854775807']) }).set(await auth('cursor-forger')).expect(200);
    });
  });

  describe('DELETE /v1/history…, PUT and DELETE …/watched', () => {
    it('share one budget per user: past HISTORY_WRITE_RATE_LIMIT a minute, 429 with Retry-After', async () => {
      const flooder = await auth('tombstone-flooder');
      // Three changes of any kind use the budget (a 404 too: the request was made).
      await t.http().delete('/v1/history/movie/1').set(flooder).expect(404);
      await t.http().put('/v1/history/movie/2/watched').set(flooder).expect(404);
      await t.http().delete('/v1/history/movie/2/watched').set(flooder).expect(404);
      for (const call of [
        () => t.http().delete('/v1/history'),
        () => t.http().delete('/v1/history/tv/5'),
        () => t.http().put('/v1/history/movie/2/watched'),
        () => t.http().delete('/v1/history/movie/2/watched'),
      ]) {
        const res = await call().set(flooder).expect(429);
        expect(res.headers['retry-after']).toMatch(/^\d+$/);
        expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
      }
      // Nothing was deleted by the refused calls: the limit is checked before the route runs.
      const tombstones = await t.db.query(`SELECT count(*)::int AS n FROM history_tombstones WHERE user_id = 'tombstone-flooder'`);
      expect(tombstones.rows[0].n).toBeLessThanOrEqual(1);

      // Reads, heartbeats and other users are not held back.
      await t.http().get('/v1/history').set(flooder).expect(200);
      await t.http().post('/v1/playtime').set(flooder).send({
        sessionId: randomUUID(), mediaType: 'movie', mediaId: 3, currentTime: 10, totalDuration: 100, playedSeconds: 0,
      }).expect(202);
      await t.http().delete('/v1/history').set(await auth('someone-else')).expect(204);
    });

    it('documents the 429 on those four routes only', async () => {
      const paths = (await t.http().get('/docs-json').expect(200)).body.paths;
      const limited = [
        paths['/v1/history'].delete,
        paths['/v1/history/{mediaType}/{mediaId}'].delete,
        paths['/v1/history/{mediaType}/{mediaId}/watched'].put,
        paths['/v1/history/{mediaType}/{mediaId}/watched'].delete,
      ];
      for (const op of limited) {
        expect(Object.keys(op.responses)).toContain('429');
        expect(op.description).toMatch(/HISTORY_WRITE_RATE_LIMIT/);
      }
      expect(Object.keys(paths['/v1/history'].get.responses)).not.toContain('429');
      expect(Object.keys(paths['/v1/history/{mediaType}/{mediaId}'].get.responses)).not.toContain('429');
    });
  });
});
