import type { Response } from 'supertest';
import { createTestApp, episodeHeartbeat, movieHeartbeat, type TestApp } from '../utils/create-app.js';
import { newSession, send } from '../utils/playback.js';

const TV = { id: 'a1b2', name: 'Living room TV', platform: 'tizen' };
const PHONE = { id: 'c3d4', name: 'Phone', platform: 'ios' };

interface ExportedSession {
  sessionId: string;
  device: Record<string, string> | null;
}

/** SPEC §4 `device`: accepted on every write route, kept per session (first one wins), exported. */
describe('heartbeat device', () => {
  let t: TestApp;
  let n = 0;
  let user: string;
  let token: string;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(async () => {
    user = `device-user-${++n}`;
    token = await t.token(user);
  });

  const auth = () => ({ Authorization: `Bearer ${token}` });

  async function exportedSessions(): Promise<ExportedSession[]> {
    const res = await t.http().get('/v1/history/export').set(auth()).expect(200);
    return res.body.sessions as ExportedSession[];
  }

  async function storedDevice(sessionId: string): Promise<unknown> {
    const session = (await exportedSessions()).find((s) => s.sessionId === sessionId);
    if (!session) throw new Error(`session ${sessionId} is not in the export`);
    expect(session).toHaveProperty('device');
    return session.device;
  }

  /** A 400 whose errors name `field`, and nothing of the user stored. */
  async function expectRefused(res: Response, field: string) {
    expect(res.status).toBe(400);
    const fields = (res.body.errors as { field: string }[]).map((e) => e.field);
    expect(fields).toContain(field);
    await t.batcher.flush();
    expect(await exportedSessions()).toEqual([]);
  }

  describe('accepted on the three write routes', () => {
    it('POST /v1/playtime', async () => {
      const sessionId = newSession();
      await t.http().post('/v1/playtime').set(auth()).send(movieHeartbeat({ sessionId, device: TV })).expect(202);
      await t.batcher.flush();
      expect(await storedDevice(sessionId)).toEqual(TV);
    });

    it('POST /v1/playtime/batch, per heartbeat', async () => {
      const [a, b] = [newSession(), newSession()];
      const heartbeats = [movieHeartbeat({ sessionId: a, device: TV }), episodeHeartbeat({ sessionId: b, device: { platform: 'web' } })];
      const res = await t.http().post('/v1/playtime/batch').set(auth()).send({ heartbeats }).expect(202);
      expect(res.body).toEqual({ accepted: 2 });
      await t.batcher.flush();
      expect(await storedDevice(a)).toEqual(TV);
      expect(await storedDevice(b)).toEqual({ platform: 'web' });
    });

    it('POST /v1/playtime/beacon, as JSON and as text/plain', async () => {
      const [a, b] = [newSession(), newSession()];
      await t.http().post('/v1/playtime/beacon').send({ ...movieHeartbeat({ sessionId: a, device: TV }), accessToken: token }).expect(204);
      await t.http()
        .post('/v1/playtime/beacon')
        .set('Content-Type', 'text/plain')
        .send(JSON.stringify({ ...episodeHeartbeat({ sessionId: b, device: PHONE }), accessToken: token }))
        .expect(204);
      await t.batcher.flush();
      expect(await storedDevice(a)).toEqual(TV);
      expect(await storedDevice(b)).toEqual(PHONE);
    });

    it('accepts device: null, and exports null for a session that never named one', async () => {
      const [a, b] = [newSession(), newSession()];
      await send(t, token, movieHeartbeat({ sessionId: a, device: null }));
      await send(t, token, movieHeartbeat({ sessionId: b }));
      await t.batcher.flush();
      expect(await storedDevice(a)).toBeNull();
      expect(await storedDevice(b)).toBeNull();
    });

    it('takes an empty device as none, so a later heartbeat can still name it', async () => {
      const sessionId = newSession();
      await send(t, token, movieHeartbeat({ sessionId, device: {} }));
      t.clock.advance(10_000);
      await send(t, token, movieHeartbeat({ sessionId, device: TV }));
      await t.batcher.flush();
      expect(await storedDevice(sessionId)).toEqual(TV);
    });
  });

  describe('a session keeps the device of its first heartbeat that had one', () => {
    it('within one flush, whatever later heartbeats carry', async () => {
      const sessionId = newSession();
      await send(t, token, movieHeartbeat({ sessionId, playedSeconds: 0 }));
      t.clock.advance(10_000);
      await send(t, token, movieHeartbeat({ sessionId, playedSeconds: 10, device: TV }));
      t.clock.advance(10_000);
      await send(t, token, movieHeartbeat({ sessionId, playedSeconds: 20, device: PHONE }));
      await send(t, token, movieHeartbeat({ sessionId, playedSeconds: 25, device: null }));
      await t.batcher.flush();
      expect(await storedDevice(sessionId)).toEqual(TV);
    });

    it('within one batch request, the earlier heartbeat of the array', async () => {
      const sessionId = newSession();
      const heartbeats = [
        movieHeartbeat({ sessionId, playedSeconds: 10, device: PHONE }),
        movieHeartbeat({ sessionId, playedSeconds: 20, device: TV }),
      ];
      await t.http().post('/v1/playtime/batch').set(auth()).send({ heartbeats }).expect(202);
      await t.batcher.flush();
      expect(await storedDevice(sessionId)).toEqual(PHONE);
    });

    it('across two flushes', async () => {
      const sessionId = newSession();
      await send(t, token, movieHeartbeat({ sessionId, playedSeconds: 0, device: TV }));
      await t.batcher.flush();
      t.clock.advance(10_000);
      await send(t, token, movieHeartbeat({ sessionId, playedSeconds: 10, device: PHONE }));
      await t.batcher.flush();
      expect(await storedDevice(sessionId)).toEqual(TV);
    });

    it('when the first flush had none', async () => {
      const sessionId = newSession();
      await send(t, token, movieHeartbeat({ sessionId, playedSeconds: 0 }));
      await t.batcher.flush();
      expect(await storedDevice(sessionId)).toBeNull();
      t.clock.advance(10_000);
      await send(t, token, movieHeartbeat({ sessionId, playedSeconds: 10, device: TV }));
      await t.batcher.flush();
      t.clock.advance(10_000);
      await send(t, token, movieHeartbeat({ sessionId, playedSeconds: 20, device: PHONE }));
      await t.batcher.flush();
      expect(await storedDevice(sessionId)).toEqual(TV);
    });

    it('per session: two sessions of one item keep their own devices', async () => {
      const [a, b] = [newSession(), newSession()];
      await send(t, token, movieHeartbeat({ sessionId: a, device: TV }));
      await send(t, token, movieHeartbeat({ sessionId: b, device: PHONE }));
      await t.batcher.flush();
      expect(await storedDevice(a)).toEqual(TV);
      expect(await storedDevice(b)).toEqual(PHONE);
    });
  });

  describe('refused with a 400 naming the field inside device', () => {
    it('an unknown key', async () => {
      await expectRefused(await t.http().post('/v1/playtime').set(auth()).send(movieHeartbeat({ device: { ...TV, foo: 'x' } })), 'device.foo');
    });

    it('a field over 100 characters (100 is accepted)', async () => {
      await expectRefused(await t.http().post('/v1/playtime').set(auth()).send(movieHeartbeat({ device: { name: 'x'.repeat(101) } })), 'device.name');
      const sessionId = newSession();
      await send(t, token, movieHeartbeat({ sessionId, device: { name: 'x'.repeat(100) } }));
      await t.batcher.flush();
      expect(await storedDevice(sessionId)).toEqual({ name: 'x'.repeat(100) });
    });

    it.each([
      ['id', 42],
      ['platform', { os: 'tizen' }],
      ['name', null],
    ])('a non-string %s', async (key, value) => {
      await expectRefused(await t.http().post('/v1/playtime').set(auth()).send(movieHeartbeat({ device: { [key]: value } })), `device.${key}`);
    });

    it('a device that is not an object', async () => {
      await expectRefused(await t.http().post('/v1/playtime').set(auth()).send(movieHeartbeat({ device: 'tv' })), 'device');
    });

    it('the NUL character', async () => {
      await expectRefused(await t.http().post('/v1/playtime').set(auth()).send(movieHeartbeat({ device: { name: 'a\u0000b' } })), 'device.name');
    });

    it('in a batch, with the index of the heartbeat; nothing of the batch is stored', async () => {
      const heartbeats = [movieHeartbeat({ device: TV }), movieHeartbeat({ device: { platform: 'p'.repeat(101), foo: 1 } })];
      const res = await t.http().post('/v1/playtime/batch').set(auth()).send({ heartbeats });
      const fields = (res.body.errors as { field: string }[] | undefined)?.map((e) => e.field);
      expect(fields).toEqual(expect.arrayContaining(['heartbeats[1].device.foo', 'heartbeats[1].device.platform']));
      await expectRefused(res, 'heartbeats[1].device.foo');
    });

    it('in a beacon', async () => {
      const res = await t.http().post('/v1/playtime/beacon').send({ ...movieHeartbeat({ device: { model: 'x' } }), accessToken: token });
      await expectRefused(res, 'device.model');
    });
  });

  it('is documented in Swagger with an example', async () => {
    const doc = (await t.http().get('/docs-json').expect(200)).body;
    const device = doc.components.schemas.Device;
    expect(Object.keys(device.properties)).toEqual(['id', 'name', 'platform']);
    expect(device.properties.name.maxLength).toBe(100);
    expect(device.additionalProperties).toBe(false);
    expect(device.example).toEqual(TV);
    for (const name of ['Heartbeat', 'HeartbeatBeacon']) {
      expect(JSON.stringify(doc.components.schemas[name].properties.device)).toContain('#/components/schemas/Device');
    }
  });
});
