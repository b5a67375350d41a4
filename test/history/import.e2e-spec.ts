import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { ImportService, laneOf } from '../../src/import/import.service.js';
import { WatchHoursCron } from '../../src/reporting/watch-hours.cron.js';
import { createTestApp, movieHeartbeat, type TestApp } from '../utils/create-app.js';
import { ensureBuilt } from '../utils/child-server.js';
import { createTestDatabase } from '../utils/test-database.js';

const run = promisify(execFile);
const SAMPLE = resolve('samples/legacy-history.ndjson');
const DAY_MS = 86_400_000;

type Doc = Record<string, unknown>;
const ndjson = (docs: (Doc | string)[]) => docs.map((d) => (typeof d === 'string' ? d : JSON.stringify(d))).join('\n') + '\n';

/**
 * Generated documents of a few users: several documents of one item (as a re-watched item might
 * be exported), their `lastWatchedAt` out of order, episodes and movies, finished and not.
 */
function generated(prefix: string, n: number, now: number): Doc[] {
  const docs: Doc[] = [];
  for (let i = 0; i < n; i++) {
    const tv = i % 3 !== 0;
    const totalDuration = tv ? 3000 : 7200;
    const currentTime = (i * 37) % totalDuration;
    docs.push({
      userId: `${prefix}${i % 7}`,
      mediaType: tv ? 'tv' : 'movie',
      mediaId: tv ? 10 + (i % 4) : 500 + (i % 11),
      ...(tv ? { seasonNumber: 1 + (i % 2), episodeNumber: 1 + (i % 9) } : {}),
      progress: Math.round((100 * currentTime) / totalDuration),
      currentTime,
      totalDuration,
      totalPlayedSeconds: 60 + ((i * 53) % 4000),
      finished: i % 5 === 0,
      lastWatchedAt: new Date(now - ((i * 7919) % 40) * DAY_MS - (i % 24) * 3_600_000).toISOString(),
      title: `Title ${i % 13}`,
    });
  }
  return docs;
}

describe('history import (SPEC §9)', () => {
  let t: TestApp;
  let admin: { Authorization: string };
  const as = async (user: string) => ({ Authorization: `Bearer ${await t.token(user)}` });
  const importNdjson = (body: string) =>
    t.http().post('/v1/admin/history/import').set(admin).set('Content-Type', 'application/x-ndjson').send(body).expect(200);

  /** Everything a user sees: history, continue watching, statistics over the sample's days. */
  const reads = async (user: string, from = '2026-11-10', to = '2026-11-30') => {
    const h = await as(user);
    return {
      history: (await t.http().get('/v1/history').query({ limit: 100 }).set(h).expect(200)).body,
      cw: (await t.http().get('/v1/history/continue-watching').set(h).expect(200)).body,
      stats: (await t.http().get('/v1/stats/me').query({ from, to }).set(h).expect(200)).body,
    };
  };
  const report = async (from = '2026-11-10', to = '2026-11-30') =>
    (await t.http().get('/v1/admin/reports/watch-hours').query({ from, to, groupBy: 'media' }).set(admin).expect(200)).body;

  /** What an import left for the users of a prefix, without the prefix: comparable across prefixes. */
  const dump = async (prefix: string) => {
    const q = async (sql: string) => (await t.db.query(sql, [`${prefix}%`, prefix])).rows;
    return {
      history: await q(`SELECT replace(user_id, $2, '') u, media_type, media_id, season_number, episode_number, title, current_time_s, total_duration_s, progress,
                                 finished, completed_count, total_played_s, position_at, first_watched_at, last_watched_at, has_play
                          FROM watch_history WHERE user_id LIKE $1 ORDER BY 1, 2, 3, 4, 5`),
      sessions: await q(`SELECT replace(user_id, $2, '') u, media_type, media_id, season_number, episode_number, credited_s, first_at, current_time_s, completed, is_play, counted
                           FROM watch_sessions WHERE user_id LIKE $1 ORDER BY 1, 2, 3, 4, 5, 7, 6`),
      buckets: await q(`SELECT replace(user_id, $2, '') u, hour, media_type, media_id, season_number, episode_number, seconds, completions
                          FROM watch_buckets WHERE user_id LIKE $1 ORDER BY 1, 2, 3, 4, 5, 6`),
    };
  };

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.get(WatchHoursCron).startUpCatchUp;
    admin = { Authorization: `Bearer ${await t.token('ops', { admin: true })}` };
  });
  afterAll(() => t.close());

  it('imports the sample: history, continue watching, statistics and reports read it back; the bad line is rejected alone', async () => {
    const res = await importNdjson(readFileSync(SAMPLE, 'utf8'));
    expect(res.body).toEqual({
      imported: 5, unchanged: 0, rejected: 1,
      errors: [{ line: 5, field: 'totalDuration', message: expect.stringMatching(/0/) }],
    });
    const ana = await reads('legacy-ana');
    expect(ana.history.items.map((i: Doc) => [i.mediaType, i.episodeNumber])).toEqual([['tv', 3], ['tv', 2], ['tv', 1], ['movie', null]]);
    expect(ana.history.items[0]).toMatchObject({
      mediaId: 1399, seasonNumber: 1, title: 'Lord Snow', currentTime: 1870, totalDuration: 3600, progress: 52, resumeAt: 1870,
      totalPlayedSeconds: 2400, finished: false, completedCount: 0, lastWatchedAt: '2026-11-22T21:14:00.000Z', hidden: false,
    });
    expect(ana.history.items[3]).toMatchObject({ mediaId: 550, finished: true, completedCount: 1, totalPlayedSeconds: 8400, resumeAt: 0 });
    expect(ana.cw.items).toEqual([expect.objectContaining({ mediaId: 1399, episodeNumber: 3, reason: 'resume', resumeAt: 1870 })]);
    expect(ana.stats).toMatchObject({ totalSeconds: 3500 + 3450 + 2400 + 8400, itemsStarted: 4, itemsFinished: 3 });
    expect(ana.stats.daily.find((d: Doc) => d.date === '2026-11-20').seconds).toBe(3500);
    expect(ana.stats.byHourOfDay[20]).toBe(3500); // 20:58 UTC: the hour it ended in
    const ben = await reads('legacy-ben');
    expect(ben.cw.items).toEqual([expect.objectContaining({ mediaId: 603, resumeAt: 3000 })]);

    // each document is one play ending at lastWatchedAt
    const { rows: plays } = await t.db.query(
      `SELECT first_at, last_at, credited_s, current_time_s, is_play, completed FROM watch_sessions WHERE user_id = 'legacy-ana' ORDER BY last_at DESC`);
    expect(plays).toHaveLength(4);
    expect(plays.every((p) => p.is_play)).toBe(true);
    expect(plays[0]).toMatchObject({ credited_s: 2400, current_time_s: 1870, completed: false });
    expect(plays[0].first_at.toISOString()).toBe('2026-11-22T21:14:00.000Z');
    expect(plays[0].last_at.toISOString()).toBe('2026-11-22T21:14:00.000Z');

    const live = await report();
    const fightClub = live.rows.find((r: Doc) => r.mediaId === 550);
    expect(fightClub).toMatchObject({ watchSeconds: 8400, completions: 1, viewers: 1 });
    expect(live.rows.find((r: Doc) => r.mediaId === 1399)).toMatchObject({ watchSeconds: 3500 + 3450 + 2400, completions: 2 });
    await t.http().post('/v1/admin/reports/rollup').query({ date: '2026-11-15' }).set(admin).expect(200);
    expect(await report()).toEqual(live);
  });

  it('changes nothing when the same file is imported again', async () => {
    // On its own, whatever ran before: the sample under users of its own, a month earlier (so the
    // other tests' reports do not see it), imported, one of its days rolled up.
    const sample = readFileSync(SAMPLE, 'utf8').replaceAll('"legacy-', '"again-legacy-').replaceAll('"2026-11-', '"2026-10-');
    expect((await importNdjson(sample)).body).toMatchObject({ imported: 5, unchanged: 0, rejected: 1 });
    await t.http().post('/v1/admin/reports/rollup').query({ date: '2026-10-15' }).set(admin).expect(200);
    const october = ['2026-10-10', '2026-10-31'] as const;
    const snapshot = async () => ({ ana: await reads('again-legacy-ana', ...october), ben: await reads('again-legacy-ben', ...october), report: await report(...october) });
    const before = await snapshot();
    expect(before.ana.history.items).toHaveLength(4);
    expect(before.ana.stats.totalSeconds).toBeGreaterThan(0);
    expect(before.report.rows.length).toBeGreaterThan(0);
    const counts = async () => (await t.db.query(`SELECT (SELECT count(*) FROM watch_sessions) s, (SELECT count(*) FROM watch_buckets) b, (SELECT sum(seconds) FROM watch_buckets) x`)).rows[0];
    const rowsBefore = await counts();
    const res = await importNdjson(sample);
    expect(res.body).toMatchObject({ imported: 0, unchanged: 5, rejected: 1 });
    expect(await counts()).toEqual(rowsBefore);
    expect(await snapshot()).toEqual(before);
    // the rolled-up day stayed rolled up: nothing was added to it
    const { rows } = await t.db.query(`SELECT finished_at FROM report_runs WHERE job = 'watch-hours' AND period = '2026-10-15'`);
    expect(rows[0].finished_at).not.toBeNull();
  });

  it('rejects each bad document alone, naming its line and field', async () => {
    const good = { userId: 'bad-lines', mediaType: 'movie', mediaId: 77, progress: 10, currentTime: 600, totalDuration: 6000, totalPlayedSeconds: 600, finished: false, lastWatchedAt: '2026-11-01T10:00:00Z' };
    const res = await importNdjson(ndjson([
      good,
      '{"userId": "bad-lines", "mediaType": ',
      { ...good, mediaId: 2_147_483_648 },
      '',
      { ...good, title: 'a\u0000b' },
      { ...good, mediaType: 'tv' },
      { ...good, colour: 'red' },
      '[1, 2]',
      { ...good, lastWatchedAt: '2999-01-01T00:00:00Z' },
      { ...good, mediaId: 78, lastWatchedAt: '2026-02-30T10:00:00Z' },
      { ...good, mediaId: 79 },
    ]));
    expect(res.body.imported).toBe(2);
    expect(res.body.rejected).toBe(8);
    const byLine = Object.fromEntries(res.body.errors.map((e: Doc) => [`${e.line} ${e.field}`, e.message]));
    expect(Object.keys(byLine)).toEqual([
      '2 document', '3 mediaId', '5 title', '6 seasonNumber', '6 episodeNumber', '7 colour', '8 document', '9 lastWatchedAt', '10 lastWatchedAt',
    ]);
    expect(byLine['5 title']).toMatch(/NUL/);
    const { rows } = await t.db.query(`SELECT media_id FROM watch_history WHERE user_id = 'bad-lines' ORDER BY 1`);
    expect(rows.map((r) => r.media_id)).toEqual([77, 79]);
  });

  it('ends an import stopped half-way and run again equal to one clean import', async () => {
    const now = t.clock.now();
    const clean = generated('clean-', 2500, now);
    const halves = generated('halves-', 2500, now);
    expect((await importNdjson(ndjson(clean))).body).toMatchObject({ imported: 2500, unchanged: 0, rejected: 0 });
    expect((await importNdjson(ndjson(halves.slice(0, 1234)))).body).toMatchObject({ imported: 1234 });
    expect((await importNdjson(ndjson(halves))).body).toMatchObject({ imported: 2500 - 1234, unchanged: 1234 });

    const a = await dump('clean-');
    const b = await dump('halves-');
    expect(a.history.length).toBeGreaterThan(50);
    expect(a.sessions).toHaveLength(2500);
    expect(b).toEqual(a);
  });

  it('writes in parallel lanes by user, several chunks each, and ends equal to one writer', async () => {
    const now = t.clock.now();
    const service = t.app.get(ImportService);
    // Pairs of documents of one item at the same instant lead: only their order in the file
    // decides the position (the second's), so a user's documents must stay in order across lanes.
    const tie = (prefix: string, mediaId: number, currentTime: number, played: number): Doc => ({
      userId: `${prefix}6`, mediaType: 'movie', mediaId, progress: 0, currentTime, totalDuration: 7200,
      totalPlayedSeconds: played, finished: false, lastWatchedAt: new Date(now - DAY_MS).toISOString(), title: 'Tie',
    });
    const ties = (prefix: string) => [96000, 96001, 96002, 96003, 96004, 96005].flatMap((m) => [tie(prefix, m, 100, 500), tie(prefix, m, 4000, 600)]);
    const incoming = (prefix: string) => [...ties(prefix), ...generated(prefix, 2500, now)].map((value, i) => ({ line: i + 1, value }));
    const lanes = new Set(Array.from({ length: 7 }, (_, u) => laneOf(`lane3-${u}`, 3)));
    expect(lanes.size).toBeGreaterThan(1); // the users really spread over lanes
    const one = await service.importDocuments(incoming('lane1-'), undefined, { writers: 1, chunkSize: 97 });
    const three = await service.importDocuments(incoming('lane3-'), undefined, { writers: 3, chunkSize: 97 });
    expect(one).toEqual({ imported: 2512, unchanged: 0, rejected: 0, errors: [] });
    expect(three).toEqual(one);
    const a = await dump('lane1-');
    expect(a.sessions).toHaveLength(2512);
    const tied = a.history.filter((h) => h.media_id >= 96000);
    expect(tied.map((h) => [h.current_time_s, h.total_played_s])).toEqual(Array(6).fill([4000, 1100]));
    expect(await dump('lane3-')).toEqual(a);
    // and again, in parallel: nothing changes
    expect(await service.importDocuments(incoming('lane3-'), undefined, { writers: 3, chunkSize: 97 })).toMatchObject({ imported: 0, unchanged: 2512 });
    expect(await dump('lane3-')).toEqual(a);
  });

  it('takes a JSON array body (parsed, or streamed as NDJSON content), and keeps a later live position', async () => {
    const user = 'array-user';
    // a live play of movie 900 an hour ago
    await t.http().post('/v1/playtime/batch').set(await as(user)).send({ heartbeats: [
      movieHeartbeat({ mediaId: 900, sessionId: '0d4a3a52-6b1c-4a1e-9f0e-1c2d3e4f5a6b', playedSeconds: 0, currentTime: 100, occurredAt: new Date(t.clock.now() - 3_600_000).toISOString() }),
      movieHeartbeat({ mediaId: 900, sessionId: '0d4a3a52-6b1c-4a1e-9f0e-1c2d3e4f5a6b', playedSeconds: 600, currentTime: 700, occurredAt: new Date(t.clock.now() - 3_000_000).toISOString() }),
    ] }).expect(202);
    await t.batcher.flush();
    const doc = (over: Doc) => ({ userId: user, mediaType: 'movie', mediaId: 900, progress: 90, currentTime: 5400, totalDuration: 6000, totalPlayedSeconds: 5400, finished: true, lastWatchedAt: '2026-11-03T20:00:00Z', ...over });
    const res = await t.http().post('/v1/admin/history/import').set(admin).send([doc({}), doc({ mediaId: 901 }), doc({ mediaId: 0 })]).expect(200);
    expect(res.body).toMatchObject({ imported: 2, rejected: 1, errors: [{ line: 3, field: 'mediaId' }] });
    const streamed = await t.http().post('/v1/admin/history/import').set(admin).set('Content-Type', 'application/x-ndjson; charset=utf-8')
      .send(`  [\n${JSON.stringify(doc({}))},\n${JSON.stringify(doc({ mediaId: 902, title: 'with, a comma ] and "quotes" {' }))}\n]\n`).expect(200);
    expect(streamed.body).toEqual({ imported: 1, unchanged: 1, rejected: 0, errors: [] });
    const item = (await t.http().get('/v1/history/movie/900').set(await as(user)).expect(200)).body;
    // the live play is later: it keeps the position; the imported play adds its time and completion
    expect(item).toMatchObject({ currentTime: 700, totalPlayedSeconds: 600 + 5400, completedCount: 1, finished: false });
    const other = (await t.http().get('/v1/history/movie/902').set(await as(user)).expect(200)).body;
    expect(other).toMatchObject({ title: 'with, a comma ] and "quotes" {', currentTime: 5400, finished: true });
  });

  it('is for admins only', async () => {
    await t.http().post('/v1/admin/history/import').set('Content-Type', 'application/x-ndjson').send('{}\n').expect(401);
    await t.http().post('/v1/admin/history/import').set(await as('someone')).set('Content-Type', 'application/x-ndjson').send('{}\n').expect(403);
  });

  it('imports the sample from a shell (npm run import), with the same idempotence', async () => {
    ensureBuilt();
    const database = await createTestDatabase();
    try {
      const env = { PATH: process.env.PATH ?? '', DATABASE_URL: database.url, NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40) };
      const cli = async (...flags: string[]) => {
        try {
          await run(process.execPath, ['dist/src/cli/import.js', ...flags, SAMPLE], { env });
          return { code: 0, stdout: '', stderr: '' };
        } catch (err) {
          const e = err as { code: number; stdout: string; stderr: string };
          return { code: e.code, stdout: e.stdout, stderr: e.stderr };
        }
      };
      const first = await cli();
      expect(first.code).toBe(3); // one document rejected
      expect(JSON.parse(first.stdout)).toMatchObject({ imported: 5, unchanged: 0, rejected: 1 });
      expect(first.stderr).toContain('line 5: totalDuration');
      expect(first.stderr).toMatch(/documents\/s/);
      const second = await cli();
      expect(JSON.parse(second.stdout)).toMatchObject({ imported: 0, unchanged: 5, rejected: 1 });
      const parallel = await cli('--writers=3');
      expect(JSON.parse(parallel.stdout)).toMatchObject({ imported: 0, unchanged: 5, rejected: 1 });
      const bad = await cli('--writers=0');
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--writers must be a whole number from 1 to 8');
      const db = new pg.Client({ connectionString: database.url });
      await db.connect();
      const { rows } = await db.query(`SELECT user_id, count(*)::int n, sum(total_played_s)::float8 s FROM watch_history GROUP BY 1 ORDER BY 1`);
      await db.end();
      expect(rows).toEqual([{ user_id: 'legacy-ana', n: 4, s: 17750 }, { user_id: 'legacy-ben', n: 1, s: 3100 }]);
    } finally {
      await database.drop();
    }
  });
});
