import { SettingsService } from '../../src/settings/settings.service.js';
import { userContinueWatchingDaysSql, userFinishedPercentSql, userMinResumePercentSql } from '../../src/watch/settings.js';
import { createTestApp, type TestApp } from '../utils/create-app.js';
import { expectFieldError } from '../utils/field-error.js';

const ROUTE = '/v1/me/settings';

describe('GET and PATCH /v1/me/settings', () => {
  let t: TestApp;
  let defaults: Record<string, number>;

  beforeAll(async () => {
    t = await createTestApp({ CONTINUE_WATCHING_DAYS: '112' });
    defaults = {
      finishedPercent: t.config.FINISHED_PERCENT,
      minResumePercent: t.config.MIN_RESUME_PERCENT,
      continueWatchingDays: t.config.CONTINUE_WATCHING_DAYS,
      autoDeleteDays: 0,
    };
  });
  afterAll(() => t.close());

  const auth = async (user: string) => ({ Authorization: `Bearer ${await t.token(user)}` });
  const get = async (user: string) => (await t.http().get(ROUTE).set(await auth(user)).expect(200)).body as Record<string, number>;
  const patch = async (user: string, body: unknown) => t.http().patch(ROUTE).set(await auth(user)).send(body as object);
  const stored = async (user: string) =>
    (await t.db.query(`SELECT finished_percent, min_resume_percent, continue_watching_days, auto_delete_days FROM user_settings WHERE user_id = $1`, [user])).rows[0];

  it('gives a new user the service defaults, with auto-delete off', async () => {
    expect(defaults).toEqual({ finishedPercent: 90, minResumePercent: 5, continueWatchingDays: 112, autoDeleteDays: 0 });
    expect(await get('settings-new')).toEqual(defaults);
    expect(await stored('settings-new')).toBeUndefined();
  });

  it('answers 200 with the effective settings after a PATCH, and keeps them', async () => {
    const user = 'settings-patcher';
    const first = await patch(user, { finishedPercent: 80, autoDeleteDays: 30 });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ ...defaults, finishedPercent: 80, autoDeleteDays: 30 });
    const second = await patch(user, { minResumePercent: 0, continueWatchingDays: 0 });
    expect(second.body).toEqual({ finishedPercent: 80, minResumePercent: 0, continueWatchingDays: 0, autoDeleteDays: 30 });
    expect(await get(user)).toEqual(second.body);
    expect(await stored(user)).toEqual({ finished_percent: 80, min_resume_percent: 0, continue_watching_days: 0, auto_delete_days: 30 });
    // Every bound itself is accepted.
    for (const body of [
      { finishedPercent: 50, minResumePercent: 49 }, { finishedPercent: 100, minResumePercent: 50 },
      { continueWatchingDays: 3650 }, { autoDeleteDays: 3650 }, { autoDeleteDays: 0 }, {},
    ]) {
      const res = await patch(user, body);
      expect({ body, status: res.status }).toEqual({ body, status: 200 });
      expect(res.body).toMatchObject(body);
    }
    expect(await get(user)).toEqual({ finishedPercent: 100, minResumePercent: 50, continueWatchingDays: 3650, autoDeleteDays: 0 });
  });

  const refused: [string, unknown][] = [
    ['finishedPercent', 49], ['finishedPercent', 101], ['finishedPercent', 89.5], ['finishedPercent', '90'], ['finishedPercent', '\u0000'],
    ['minResumePercent', -1], ['minResumePercent', 51], ['minResumePercent', 4.5], ['minResumePercent', '5'], ['minResumePercent', 'a\u0000'],
    ['continueWatchingDays', -1], ['continueWatchingDays', 3651], ['continueWatchingDays', 7.25], ['continueWatchingDays', '7'], ['continueWatchingDays', '\u0000'],
    ['autoDeleteDays', -1], ['autoDeleteDays', 29], ['autoDeleteDays', 3651], ['autoDeleteDays', 1], ['autoDeleteDays', 30.5], ['autoDeleteDays', '30'], ['autoDeleteDays', '\u0000'],
  ];

  it.each(refused)('refuses %s = %j with a 400 naming it, and changes nothing', async (field, value) => {
    const user = 'settings-refused';
    await patch(user, { continueWatchingDays: 9 }).then((r) => expect(r.status).toBe(200));
    const res = await patch(user, { [field]: value, autoDeleteDays: field === 'autoDeleteDays' ? value : 60 });
    expectFieldError(res, field);
    expect(await get(user)).toEqual({ ...defaults, continueWatchingDays: 9 });
  });

  it('refuses unknown fields (a NUL in a key too), a body that is not an object, and no body', async () => {
    const user = 'settings-unknown';
    expectFieldError(await patch(user, { finishedPercent: 80, finishedPercnt: 80 }), 'finishedPercnt');
    expectFieldError(await patch(user, { 'finished\u0000Percent': 80 }), 'finished\\u0000Percent');
    expectFieldError(await patch(user, [80]), 'body');
    expectFieldError(await t.http().patch(ROUTE).set(await auth(user)), 'body');
    expect(await stored(user)).toBeUndefined();
  });

  it('refuses minResumePercent at or above finishedPercent, naming the field the patch changed', async () => {
    const user = 'settings-cross';
    const both = expectFieldError(await patch(user, { finishedPercent: 50, minResumePercent: 50 }), 'minResumePercent');
    expect(both.message).toBe('must be below finishedPercent (50)');
    await patch(user, { finishedPercent: 60 }).then((r) => expect(r.status).toBe(200));
    await patch(user, { minResumePercent: 50 }).then((r) => expect(r.status).toBe(200));
    // Checked against the stored finishedPercent (60 here), not only the patch.
    await patch(user, { finishedPercent: 50 }).then((r) => expect(r.status).toBe(400));
    const fin = expectFieldError(await patch(user, { finishedPercent: 50, continueWatchingDays: 3 }), 'finishedPercent');
    expect(fin.message).toBe('must be above minResumePercent (50)');
    // Nothing of a refused patch is stored.
    expect(await get(user)).toEqual({ ...defaults, finishedPercent: 60, minResumePercent: 50 });
    expect(await patch(user, { finishedPercent: 51 }).then((r) => r.body)).toMatchObject({ finishedPercent: 51, minResumePercent: 50 });
  });

  it('resets a field to the service default with null', async () => {
    const user = 'settings-null';
    await patch(user, { finishedPercent: 70, minResumePercent: 20, continueWatchingDays: 1, autoDeleteDays: 45 });
    const res = await patch(user, { finishedPercent: null, autoDeleteDays: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...defaults, minResumePercent: 20, continueWatchingDays: 1 });
    expect(await stored(user)).toEqual({ finished_percent: null, min_resume_percent: 20, continue_watching_days: 1, auto_delete_days: null });
    await patch(user, { minResumePercent: null, continueWatchingDays: null });
    expect(await get(user)).toEqual(defaults);
  });

  it('keeps users apart', async () => {
    await patch('settings-alice', { finishedPercent: 75, continueWatchingDays: 10 });
    await patch('settings-bob', { autoDeleteDays: 90 });
    expect(await get('settings-alice')).toEqual({ ...defaults, finishedPercent: 75, continueWatchingDays: 10 });
    expect(await get('settings-bob')).toEqual({ ...defaults, autoDeleteDays: 90 });
    expect(await get('settings-carol')).toEqual(defaults);
  });

  it('answers 401 without a valid token, and stores nothing', async () => {
    await t.http().get(ROUTE).expect(401);
    await t.http().patch(ROUTE).send({ finishedPercent: 80 }).expect(401);
    await t.http().patch(ROUTE).set('Authorization', 'Bearer nope').send({ finishedPercent: 80 }).expect(401);
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM user_settings WHERE finished_percent = 80`);
    expect(rows[0].n).toBe(0);
  });

  it('keeps both of two concurrent PATCHes of different fields', async () => {
    for (let round = 0; round < 10; round++) {
      const user = `settings-race-${round}`;
      const [a, b] = await Promise.all([patch(user, { finishedPercent: 60 + round }), patch(user, { continueWatchingDays: round, autoDeleteDays: 40 })]);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(await get(user)).toEqual({ ...defaults, finishedPercent: 60 + round, continueWatchingDays: round, autoDeleteDays: 40 });
    }
  });

  it('lets only one of two concurrent PATCHes through when together they would break minResumePercent < finishedPercent', async () => {
    for (let round = 0; round < 10; round++) {
      const user = `settings-cross-race-${round}`;
      const results = await Promise.all([patch(user, { finishedPercent: 50 }), patch(user, { minResumePercent: 50 })]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
      const now = await get(user);
      expect(now.minResumePercent).toBeLessThan(now.finishedPercent);
    }
  });

  describe('for the history features', () => {
    it('SettingsService.effective and reset (also inside a transaction that rolls back)', async () => {
      const settings = t.app.get(SettingsService);
      const user = 'settings-service';
      await patch(user, { finishedPercent: 66, autoDeleteDays: 31 });
      expect(await settings.effective(user)).toEqual({ ...defaults, finishedPercent: 66, autoDeleteDays: 31 });

      const client = await t.db.connect();
      try {
        await client.query('BEGIN');
        await settings.reset(user, { query: (sql, params) => client.query(sql, params as unknown[]) });
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
      expect(await settings.effective(user)).toEqual({ ...defaults, finishedPercent: 66, autoDeleteDays: 31 });

      await settings.reset(user);
      expect(await settings.effective(user)).toEqual(defaults);
      expect(await get(user)).toEqual(defaults);
      expect(await stored(user)).toBeUndefined();
    });

    it('the SQL fragments give the user’s value, else the default passed', async () => {
      await patch('settings-sql', { finishedPercent: 77, continueWatchingDays: 0 });
      const sql = `SELECT ${userFinishedPercentSql('u.id', '$2')} AS fin, ${userMinResumePercentSql('u.id', '$3')} AS min,
                          ${userContinueWatchingDaysSql('u.id', '$4')} AS days
                   FROM (VALUES ($1::text)) AS u(id)`;
      const of = async (user: string) => (await t.db.query(sql, [user, 90, 5, 112])).rows[0];
      expect(await of('settings-sql')).toEqual({ fin: 77, min: 5, days: 0 });
      expect(await of('settings-nobody')).toEqual({ fin: 90, min: 5, days: 112 });
    });
  });

  it('documents both routes in Swagger, with examples', async () => {
    const { body: doc } = await t.http().get('/docs-json').expect(200);
    const path = doc.paths[ROUTE];
    expect(Object.keys(path).sort()).toEqual(['get', 'patch']);
    for (const method of ['get', 'patch']) {
      expect(path[method].security).toEqual([{ jwt: [] }]);
      expect(Object.keys(path[method].responses)).toEqual(expect.arrayContaining(['200', '401']));
    }
    expect(Object.keys(path.patch.responses)).toEqual(expect.arrayContaining(['400', '429']));
    const settings = doc.components.schemas.Settings;
    expect(settings.example).toEqual({ finishedPercent: 90, minResumePercent: 5, continueWatchingDays: 112, autoDeleteDays: 0 });
    const body = JSON.stringify(path.patch.requestBody);
    const patchSchema = doc.components.schemas.SettingsPatch;
    expect(body).toContain('SettingsPatch');
    expect(patchSchema.additionalProperties).toBe(false);
    expect(patchSchema.example).toEqual({ finishedPercent: 85, continueWatchingDays: null });
    expect(patchSchema.properties.autoDeleteDays.description).toContain('`null` resets it to the service default');
    expect(path.patch.description).toContain('`autoDeleteDays` 0 (never) or 30–3650');
  });
});

describe('PATCH /v1/me/settings, per-user limit and CORS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ HISTORY_WRITE_RATE_LIMIT: '2', CORS_ORIGINS: 'https://app.example.com' });
  });
  afterAll(() => t.close());

  const auth = async (user: string) => ({ Authorization: `Bearer ${await t.token(user)}` });

  it('shares the budget of history changes: past HISTORY_WRITE_RATE_LIMIT a minute, 429 with Retry-After; reads and other users go on', async () => {
    const flooder = await auth('settings-flooder');
    await t.http().patch(ROUTE).set(flooder).send({ continueWatchingDays: 1 }).expect(200);
    await t.http().patch(ROUTE).set(flooder).send({ continueWatchingDays: 2 }).expect(200);
    const refused = await t.http().patch(ROUTE).set(flooder).send({ continueWatchingDays: 3 }).expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    await t.http().delete('/v1/history/movie/1').set(flooder).expect(429);
    expect((await t.http().get(ROUTE).set(flooder).expect(200)).body.continueWatchingDays).toBe(2);
    await t.http().patch(ROUTE).set(await auth('settings-calm')).send({ continueWatchingDays: 3 }).expect(200);
    t.clock.advance(61_000);
    await t.http().patch(ROUTE).set(flooder).send({ continueWatchingDays: 4 }).expect(200);
  });

  it('lets a browser on an allowed origin send PATCH', async () => {
    const pre = await t
      .http()
      .options(ROUTE)
      .set('Origin', 'https://app.example.com')
      .set('Access-Control-Request-Method', 'PATCH')
      .set('Access-Control-Request-Headers', 'authorization,content-type');
    expect(pre.status).toBeLessThan(300);
    expect(pre.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(pre.headers['access-control-allow-methods']).toMatch(/\bPATCH\b/);
  });
});
