import { randomUUID } from 'node:crypto';
import { createTestApp, episodeHeartbeat, movieHeartbeat, type TestApp } from '../utils/create-app.js';
import { expectFieldError, type FieldError } from '../utils/field-error.js';

/** Every request this user makes is invalid: nothing of theirs may ever be stored. */
const REJECTED = 'validation-rejected';

function without(body: Record<string, unknown>, field: string): Record<string, unknown> {
  const copy = { ...body };
  delete copy[field];
  return copy;
}

const isoAgo = (ms: number) => new Date(Date.now() - ms).toISOString();
const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe('write API validation (POST /v1/playtime, /batch, /beacon)', () => {
  let t: TestApp;
  let rejectedToken: string;

  beforeAll(async () => {
    t = await createTestApp();
    rejectedToken = await t.token(REJECTED);
  });
  afterAll(async () => {
    await t.close();
  });

  const auth = async (userId: string) => `Bearer ${await t.token(userId)}`;
  const postHeartbeat = (body: unknown) =>
    t.http().post('/v1/playtime').set('Authorization', `Bearer ${rejectedToken}`).send(body as object);
  const postRaw = (text: string, contentType = 'application/json') =>
    t.http().post('/v1/playtime').set('Authorization', `Bearer ${rejectedToken}`).set('Content-Type', contentType).send(text);
  const postBatch = (heartbeats: unknown) =>
    t.http().post('/v1/playtime/batch').set('Authorization', `Bearer ${rejectedToken}`).send({ heartbeats } as object);

  async function storedCounts(userId: string): Promise<{ history: number; sessions: number; buckets: number }> {
    await t.batcher.flush();
    const count = async (table: string) =>
      Number((await t.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE user_id = $1`, [userId])).rows[0].n);
    return { history: await count('watch_history'), sessions: await count('watch_sessions'), buckets: await count('watch_buckets') };
  }

  describe('POST /v1/playtime: one heartbeat', () => {
    it('accepts a valid heartbeat (the baseline the other cases break)', async () => {
      const res = await t.http().post('/v1/playtime').set('Authorization', await auth('validation-ok')).send(movieHeartbeat()).expect(202);
      expect(res.body).toEqual({ accepted: 1 });
    });

    it.each(['sessionId', 'mediaType', 'mediaId', 'currentTime', 'totalDuration', 'playedSeconds'])(
      'rejects a heartbeat without %s',
      async (field) => {
        const res = await postHeartbeat(without(movieHeartbeat(), field));
        const err = expectFieldError(res, field);
        expect(res.body.errors).toHaveLength(1);
        expect(err.field).toBe(field);
      },
    );

    it('names every missing field at once', async () => {
      const res = await postHeartbeat({ event: 'progress' });
      for (const field of ['sessionId', 'mediaType', 'mediaId', 'currentTime', 'totalDuration', 'playedSeconds']) {
        expectFieldError(res, field);
      }
    });

    it('rejects a sessionId that is not a UUID', async () => {
      expectFieldError(await postHeartbeat(movieHeartbeat({ sessionId: 'not-a-uuid' })), 'sessionId');
      expectFieldError(await postHeartbeat(movieHeartbeat({ sessionId: '6f1c2b7e1d2a4c3b9e8f0a1b2c3d4e5f0' })), 'sessionId');
    });

    it('rejects a mediaType other than movie or tv', async () => {
      expectFieldError(await postHeartbeat(movieHeartbeat({ mediaType: 'music' })), 'mediaType');
      expectFieldError(await postHeartbeat(movieHeartbeat({ mediaType: 'MOVIE' })), 'mediaType');
    });

    it.each([
      ['0', 0],
      ['negative', -7],
      ['not an integer', 1.5],
      ['a numeric string', '550'],
    ])('rejects a mediaId that is %s', async (_label, mediaId) => {
      expectFieldError(await postHeartbeat(movieHeartbeat({ mediaId })), 'mediaId');
    });

    it('rejects a tv heartbeat without seasonNumber', async () => {
      const res = await postHeartbeat(without(episodeHeartbeat(), 'seasonNumber'));
      expectFieldError(res, 'seasonNumber');
      expect(res.body.errors.map((e: FieldError) => e.field)).not.toContain('episodeNumber');
    });

    it('names the tv episode rule together with other bad fields', async () => {
      const res = await postHeartbeat(without(episodeHeartbeat({ mediaId: '1399', currentTime: -1 }), 'seasonNumber'));
      expectFieldError(res, 'mediaId');
      expectFieldError(res, 'currentTime');
      expectFieldError(res, 'seasonNumber');
      expect(res.body.errors).toHaveLength(3);
    });

    it('rejects a tv heartbeat with a null episodeNumber', async () => {
      expectFieldError(await postHeartbeat(episodeHeartbeat({ episodeNumber: null })), 'episodeNumber');
      expectFieldError(await postHeartbeat(without(episodeHeartbeat(), 'episodeNumber')), 'episodeNumber');
    });

    it('rejects a movie heartbeat with a seasonNumber or episodeNumber', async () => {
      expectFieldError(await postHeartbeat(movieHeartbeat({ seasonNumber: 1 })), 'seasonNumber');
      expectFieldError(await postHeartbeat(movieHeartbeat({ episodeNumber: 2 })), 'episodeNumber');
    });

    it('accepts a movie heartbeat with explicit null season and episode, and a tv season 0 (specials)', async () => {
      const authz = await auth('validation-ok');
      await t.http().post('/v1/playtime').set('Authorization', authz).send(movieHeartbeat({ seasonNumber: null, episodeNumber: null })).expect(202);
      await t.http().post('/v1/playtime').set('Authorization', authz).send(episodeHeartbeat({ seasonNumber: 0 })).expect(202);
    });

    it('rejects seasonNumber -1', async () => {
      expectFieldError(await postHeartbeat(episodeHeartbeat({ seasonNumber: -1 })), 'seasonNumber');
    });

    it('rejects episodeNumber 0', async () => {
      expectFieldError(await postHeartbeat(episodeHeartbeat({ episodeNumber: 0 })), 'episodeNumber');
    });

    it('rejects currentTime -1', async () => {
      expectFieldError(await postHeartbeat(movieHeartbeat({ currentTime: -1 })), 'currentTime');
    });

    it('rejects totalDuration 0 (and negative)', async () => {
      expectFieldError(await postHeartbeat(movieHeartbeat({ totalDuration: 0 })), 'totalDuration');
      expectFieldError(await postHeartbeat(movieHeartbeat({ totalDuration: -60 })), 'totalDuration');
    });

    it('rejects playedSeconds -5', async () => {
      expectFieldError(await postHeartbeat(movieHeartbeat({ playedSeconds: -5 })), 'playedSeconds');
    });

    it('rejects an unknown event', async () => {
      expectFieldError(await postHeartbeat(movieHeartbeat({ event: 'rewind' })), 'event');
    });

    it('accepts every known event, and no event at all', async () => {
      const authz = await auth('validation-ok');
      for (const event of ['start', 'progress', 'pause', 'stop']) {
        await t.http().post('/v1/playtime').set('Authorization', authz).send(movieHeartbeat({ mediaId: 551, event })).expect(202);
      }
      await t.http().post('/v1/playtime').set('Authorization', authz).send(without(movieHeartbeat({ mediaId: 551 }), 'event')).expect(202);
    });

    it('rejects a title of 301 characters', async () => {
      expectFieldError(await postHeartbeat(movieHeartbeat({ title: 'x'.repeat(301) })), 'title');
    });

    it('accepts a title of exactly 300 characters and stores it whole', async () => {
      const authz = await auth('validation-title');
      const title = 'y'.repeat(300);
      await t.http().post('/v1/playtime').set('Authorization', authz).send(movieHeartbeat({ mediaId: 552, title })).expect(202);
      const res = await t.http().get('/v1/history/movie/552').set('Authorization', authz).expect(200);
      expect(res.body.title).toBe(title);
    });

    it('rejects an unknown field and names it', async () => {
      const res = await postHeartbeat(movieHeartbeat({ userId: 'someone-else' }));
      const err = expectFieldError(res, 'userId');
      expect(err.message).toMatch(/not a known field/);
    });

    it('names each of several unknown fields', async () => {
      const res = await postHeartbeat(movieHeartbeat({ foo: 1, bar: 2 }));
      expectFieldError(res, 'foo');
      expectFieldError(res, 'bar');
    });

    it('rejects a boolean currentTime', async () => {
      expectFieldError(await postHeartbeat(movieHeartbeat({ currentTime: true })), 'currentTime');
    });

    it('rejects a null playedSeconds', async () => {
      expectFieldError(await postHeartbeat(movieHeartbeat({ playedSeconds: null })), 'playedSeconds');
    });

    it('rejects wrong types for the other fields', async () => {
      expectFieldError(await postHeartbeat(movieHeartbeat({ sessionId: 12345 })), 'sessionId');
      expectFieldError(await postHeartbeat(movieHeartbeat({ totalDuration: '8400' })), 'totalDuration');
      expectFieldError(await postHeartbeat(movieHeartbeat({ title: 42 })), 'title');
      expectFieldError(await postHeartbeat(episodeHeartbeat({ seasonNumber: '1' })), 'seasonNumber');
    });

    it('rejects a huge number that JSON parses to Infinity', async () => {
      const body = JSON.stringify(movieHeartbeat({ currentTime: 0 })).replace('"currentTime":0', '"currentTime":1e400');
      expect(body).toContain('1e400');
      expectFieldError(await postRaw(body), 'currentTime');
    });

    it('rejects -Infinity and Infinity in the other numeric fields', async () => {
      const base = JSON.stringify(movieHeartbeat({ playedSeconds: 0, totalDuration: 1 }));
      expectFieldError(await postRaw(base.replace('"playedSeconds":0', '"playedSeconds":1e400')), 'playedSeconds');
      expectFieldError(await postRaw(base.replace('"totalDuration":1', '"totalDuration":1e999')), 'totalDuration');
      expectFieldError(await postRaw(base.replace('"mediaId":550', '"mediaId":-1e400')), 'mediaId');
    });

    it('rejects a body that is not valid JSON with a JSON 400 naming the body', async () => {
      const res = await postRaw('{"sessionId": "abc", "mediaType": ');
      const err = expectFieldError(res, 'body');
      expect(err.message).toMatch(/JSON/);
      expect(res.body.errors).toHaveLength(1);
    });

    it('rejects a body that is an array', async () => {
      const res = await postHeartbeat([movieHeartbeat()]);
      expectFieldError(res, 'body');
    });

    it('rejects a request without a body', async () => {
      const res = await t.http().post('/v1/playtime').set('Authorization', `Bearer ${rejectedToken}`);
      expectFieldError(res, 'body');
    });

    it('rejects an empty body sent as application/json', async () => {
      expectFieldError(await postRaw(''), 'body');
    });

    it('rejects a body over the size limit with a JSON 413', async () => {
      const res = await postHeartbeat(movieHeartbeat({ title: 'z'.repeat(300 * 1024) }));
      expect(res.status).toBe(413);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
    });

    it('rejects an empty object, naming the required fields', async () => {
      const res = await postHeartbeat({});
      expectFieldError(res, 'sessionId');
      expectFieldError(res, 'playedSeconds');
    });

    it('rejects a JSON null or a string body', async () => {
      expectFieldError(await postRaw('null'), 'body');
      expectFieldError(await postRaw('"hello"'), 'body');
    });

    it('accepts a position past the end and clamps it to the end', async () => {
      const authz = await auth('validation-clamp');
      await t.http()
        .post('/v1/playtime')
        .set('Authorization', authz)
        .send(movieHeartbeat({ mediaId: 553, currentTime: 9000, totalDuration: 8400, playedSeconds: 30 }))
        .expect(202);
      const before = await t.http().get('/v1/history/movie/553').set('Authorization', authz).expect(200);
      expect(before.body).toMatchObject({ currentTime: 8400, totalDuration: 8400, progress: 100 });
      await t.batcher.flush();
      const after = await t.http().get('/v1/history/movie/553').set('Authorization', authz).expect(200);
      expect(after.body).toMatchObject({ currentTime: 8400, totalDuration: 8400, progress: 100 });
    });
  });

  describe('POST /v1/playtime/batch', () => {
    const batchAs = async (userId: string, heartbeats: unknown) =>
      t.http().post('/v1/playtime/batch').set('Authorization', await auth(userId)).send({ heartbeats } as object);

    it('rejects 101 heartbeats', async () => {
      const heartbeats = Array.from({ length: 101 }, (_, i) => movieHeartbeat({ mediaId: 1000 + i }));
      expectFieldError(await postBatch(heartbeats), 'heartbeats');
    });

    it('accepts exactly 100 heartbeats', async () => {
      const heartbeats = Array.from({ length: 100 }, (_, i) => movieHeartbeat({ mediaId: 1000 + i, occurredAt: isoAgo(HOUR) }));
      const res = await batchAs('validation-batch-100', heartbeats);
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ accepted: 100 });
      expect((await storedCounts('validation-batch-100')).history).toBe(100);
    });

    it('rejects an empty array', async () => {
      expectFieldError(await postBatch([]), 'heartbeats');
    });

    it('rejects a missing or non-array heartbeats field and unknown top-level fields', async () => {
      const authz = `Bearer ${rejectedToken}`;
      expectFieldError(await t.http().post('/v1/playtime/batch').set('Authorization', authz).send({}), 'heartbeats');
      expectFieldError(await postBatch(movieHeartbeat()), 'heartbeats');
      const res = await t.http().post('/v1/playtime/batch').set('Authorization', authz).send({ heartbeats: [movieHeartbeat()], deviceId: 'tv' });
      expectFieldError(res, 'deviceId');
    });

    it('rejects the whole batch when the heartbeat at index 3 of 5 is bad, naming its index', async () => {
      const user = 'validation-batch-one-bad';
      const heartbeats = Array.from({ length: 5 }, (_, i) => movieHeartbeat({ mediaId: 2000 + i }));
      heartbeats[3] = movieHeartbeat({ mediaId: 'abc' });
      const res = await batchAs(user, heartbeats);
      expect(res.status).toBe(400);
      const fields = (res.body.errors as FieldError[]).map((e) => e.field);
      expect(fields.length).toBeGreaterThan(0);
      expect(fields.every((f) => f.startsWith('heartbeats[3].'))).toBe(true);
      expectFieldError(res, 'heartbeats[3].mediaId');

      // Nothing of the four valid heartbeats is visible or stored.
      await t.http().get('/v1/history/movie/2000').set('Authorization', await auth(user)).expect(404);
      expect(await storedCounts(user)).toEqual({ history: 0, sessions: 0, buckets: 0 });
    });

    it('names nested fields of a bad heartbeat with their index (episode and unknown-field rules)', async () => {
      const heartbeats = [movieHeartbeat(), episodeHeartbeat({ seasonNumber: null }), movieHeartbeat({ extra: true })];
      const res = await postBatch(heartbeats);
      expectFieldError(res, 'heartbeats[1].seasonNumber');
      expectFieldError(res, 'heartbeats[2].extra');
    });

    it('rejects an occurredAt in the future, naming heartbeats[i].occurredAt', async () => {
      const heartbeats = [movieHeartbeat({ occurredAt: isoAgo(0) }), movieHeartbeat({ occurredAt: isoAgo(-HOUR) })];
      const res = await postBatch(heartbeats);
      expectFieldError(res, 'heartbeats[1].occurredAt');
      expect((res.body.errors as FieldError[]).map((e) => e.field)).toEqual(['heartbeats[1].occurredAt']);
    });

    it('rejects an occurredAt 31 days old', async () => {
      const res = await postBatch([movieHeartbeat({ occurredAt: isoAgo(HOUR) }), movieHeartbeat({ occurredAt: isoAgo(31 * DAY) })]);
      expectFieldError(res, 'heartbeats[1].occurredAt');
    });

    it('rejects an occurredAt that is not ISO 8601', async () => {
      expectFieldError(await postBatch([movieHeartbeat({ occurredAt: 'yesterday' })]), 'heartbeats[0].occurredAt');
      expectFieldError(await postBatch([movieHeartbeat({ occurredAt: 'Mon, 15 Dec 2025 14:30:00 GMT' })]), 'heartbeats[0].occurredAt');
      expectFieldError(await postBatch([movieHeartbeat({ occurredAt: Date.now() - HOUR })]), 'heartbeats[0].occurredAt');
    });

    it('accepts a valid batch with occurredAt an hour ago, answering { accepted: n }, and stores it', async () => {
      const user = 'validation-batch-ok';
      const sessionId = randomUUID();
      const heartbeats = [
        movieHeartbeat({ sessionId, mediaId: 3000, currentTime: 60, playedSeconds: 60, occurredAt: isoAgo(HOUR) }),
        movieHeartbeat({ sessionId, mediaId: 3000, currentTime: 120, playedSeconds: 120, occurredAt: isoAgo(HOUR - 60_000) }),
        episodeHeartbeat({ mediaId: 3001, occurredAt: new Date(Date.now() - HOUR).toISOString().replace('Z', '+00:00') }),
      ];
      const res = await batchAs(user, heartbeats);
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ accepted: 3 });
      const counts = await storedCounts(user);
      expect(counts.history).toBe(2);
      expect(counts.sessions).toBe(2);
      const item = await t.http().get('/v1/history/movie/3000').set('Authorization', await auth(user)).expect(200);
      expect(item.body).toMatchObject({ currentTime: 120, totalPlayedSeconds: 120 });
    });
  });

  describe('POST /v1/playtime/beacon', () => {
    it('rejects an unknown field with a valid accessToken', async () => {
      const res = await t.http().post('/v1/playtime/beacon').send({ ...movieHeartbeat(), accessToken: rejectedToken, deviceId: 'x' });
      expectFieldError(res, 'deviceId');
    });

    it('rejects an invalid heartbeat in a text/plain beacon', async () => {
      const res = await t.http()
        .post('/v1/playtime/beacon')
        .set('Content-Type', 'text/plain')
        .send(JSON.stringify({ ...movieHeartbeat({ mediaId: 0 }), accessToken: rejectedToken }));
      expectFieldError(res, 'mediaId');
    });

    it('rejects a text/plain beacon that is not JSON', async () => {
      const res = await t.http().post('/v1/playtime/beacon').set('Content-Type', 'text/plain').send('not json at all');
      expectFieldError(res, 'body');
    });

    it('accepts a valid JSON beacon with 204 and stores it for the token user', async () => {
      const user = 'validation-beacon';
      const res = await t.http()
        .post('/v1/playtime/beacon')
        .send({ ...movieHeartbeat({ mediaId: 4000, currentTime: 300, playedSeconds: 20 }), accessToken: await t.token(user) });
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      const item = await t.http().get('/v1/history/movie/4000').set('Authorization', await auth(user)).expect(200);
      expect(item.body.currentTime).toBe(300);
      expect((await storedCounts(user)).history).toBe(1);
    });

    it('accepts a valid text/plain beacon (as navigator.sendBeacon sends a string)', async () => {
      const user = 'validation-beacon-text';
      const body = JSON.stringify({ ...episodeHeartbeat({ currentTime: 42 }), accessToken: await t.token(user) });
      await t.http().post('/v1/playtime/beacon').set('Content-Type', 'text/plain;charset=UTF-8').send(body).expect(204);
      const item = await t.http()
        .get('/v1/history/tv/1399')
        .query({ seasonNumber: 1, episodeNumber: 1 })
        .set('Authorization', await auth(user))
        .expect(200);
      expect(item.body.currentTime).toBe(42);
    });
  });

  describe('rejected requests store nothing', () => {
    it('left no trace of the rejected user, before and after a flush', async () => {
      // One refused request per write route (whatever the other tests sent), each carrying a
      // heartbeat that another user sends valid and gets stored.
      const good = movieHeartbeat({ mediaId: 4100, playedSeconds: 30 });
      expectFieldError(await postHeartbeat({ ...good, mediaId: 0 }), 'mediaId');
      await postBatch([good, { ...good, currentTime: -1 }]).expect(400);
      await t.http().post('/v1/playtime/beacon').send({ ...good, totalDuration: 0, accessToken: rejectedToken }).expect(400);
      await t.http().post('/v1/playtime').set('Authorization', await auth('validation-twin')).send(good).expect(202);

      await t.http().get('/v1/history/movie/4100').set('Authorization', `Bearer ${rejectedToken}`).expect(404);
      expect(await storedCounts(REJECTED)).toEqual({ history: 0, sessions: 0, buckets: 0 });
      expect(await storedCounts('validation-twin')).toEqual({ history: 1, sessions: 1, buckets: 1 });
    });
  });
});
