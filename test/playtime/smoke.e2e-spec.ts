import { createTestApp, movieHeartbeat, type TestApp } from '../utils/create-app.js';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts a heartbeat and reads it back', async () => {
    const token = await t.token('u1');
    await t.http().post('/v1/playtime').set('Authorization', `Bearer ${token}`).send(movieHeartbeat()).expect(202);
    const res = await t.http().get('/v1/history/movie/550').set('Authorization', `Bearer ${token}`).expect(200);
    expect(res.body.currentTime).toBe(100);
  });
});
