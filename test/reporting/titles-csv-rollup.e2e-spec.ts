import { randomUUID } from 'node:crypto';
import { ReportingService } from '../../src/reporting/reporting.service.js';
import { WatchHoursCron } from '../../src/reporting/watch-hours.cron.js';
import { csvCell } from '../../src/reporting/watch-hours-report.js';
import { createTestApp, episodeHeartbeat, movieHeartbeat, type TestApp } from '../utils/create-app.js';
import { parseCsv } from '../utils/csv.js';
import { catalogEntry } from '../factories/catalog.factory.js';

const DAY_MS = 86_400_000;
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** SPEC §6: one title rule everywhere, CSV that a spreadsheet cannot run, roll-up of today. */
describe('report titles, CSV cells and the roll-up of today', () => {
  let t: TestApp;
  let admin: { Authorization: string };

  beforeAll(async () => {
    t = await createTestApp();
    admin = { Authorization: `Bearer ${await t.token('ops', { admin: true })}` };
    await t.app.get(WatchHoursCron).startUpCatchUp;
  });
  afterAll(() => t.close());

  const auth = async (user: string) => ({ Authorization: `Bearer ${await t.token(user)}` });
  const post = async (user: string, heartbeats: Record<string, unknown>[]) =>
    t.http().post('/v1/playtime/batch').set(await auth(user)).send({ heartbeats }).expect(202);

  describe('the title of a show', () => {
    const SHOW = 7_000_001;
    const ep = (user: string, episodeNumber: number, title: string, startMs: number) => {
      const sessionId = randomUUID();
      const at = (s: number) => new Date(startMs + s * 1000).toISOString();
      return post(user, [
        episodeHeartbeat({ mediaId: SHOW, sessionId, episodeNumber, title, playedSeconds: 0, currentTime: 0, occurredAt: at(0) }),
        episodeHeartbeat({ mediaId: SHOW, sessionId, episodeNumber, title, playedSeconds: 300, currentTime: 300, occurredAt: at(300) }),
      ]);
    };

    /** The title each place gives the show: JSON report, CSV report, both viewers' statistics, a history item. */
    async function titlesEverywhere(from: string, to: string) {
      const query = { from, to, groupBy: 'media' };
      const json = (await t.http().get('/v1/admin/reports/watch-hours').query(query).set(admin).expect(200)).body;
      const csv = (await t.http().get('/v1/admin/reports/watch-hours').query({ ...query, format: 'csv' }).set(admin).expect(200)).text;
      const stats = async (user: string) =>
        (await t.http().get('/v1/stats/me').query({ from, to }).set(await auth(user)).expect(200)).body.topTitles.find(
          (x: { mediaId: number }) => x.mediaId === SHOW,
        )?.title;
      const history = (
        await t.http().get(`/v1/history/tv/${SHOW}`).query({ seasonNumber: 1, episodeNumber: 1 }).set(await auth('a-viewer')).expect(200)
      ).body.title;
      return {
        json: json.rows.find((r: { mediaId: number }) => r.mediaId === SHOW)?.title,
        csv: parseCsv(csv).find((r) => r.mediaId === String(SHOW))?.title,
        statsA: await stats('a-viewer'),
        statsB: await stats('b-viewer'),
        history,
      };
    }

    it('is the most recent title heard for any episode, then the catalogue’s, the same in JSON, CSV, statistics and history', async () => {
      const today = utcDay(t.clock.now());
      const dayBefore = (n: number) => Date.parse(`${utcDay(t.clock.now() - n * DAY_MS)}T00:00:00Z`);
      const from = utcDay(dayBefore(2));
      // "a-viewer" sorts first: an arbitrary pick of one viewer's row would say "Old Title".
      await ep('a-viewer', 1, 'Old Title', dayBefore(2) + 10 * 3_600_000);
      await ep('a-viewer', 2, 'Old Title', dayBefore(1) + 10 * 3_600_000);
      await ep('b-viewer', 3, 'New Title', dayBefore(1) + 20 * 3_600_000);
      await t.batcher.flush();

      const heard = { json: 'New Title', csv: 'New Title', statsA: 'New Title', statsB: 'New Title', history: 'New Title' };
      expect(await titlesEverywhere(from, today)).toEqual(heard);

      // Rolled-up days name the show as live ones do.
      expect(await t.app.get(ReportingService).catchUp()).toEqual(expect.arrayContaining([utcDay(dayBefore(2)), utcDay(dayBefore(1))]));
      expect(await titlesEverywhere(from, today)).toEqual(heard);

      // A later title wins everywhere, for the closed days too.
      await ep('a-viewer', 4, 'Newest Title', t.clock.now() - 600_000);
      await t.batcher.flush();
      const newest = await titlesEverywhere(from, today);
      expect(newest).toEqual({ json: 'Newest Title', csv: 'Newest Title', statsA: 'Newest Title', statsB: 'Newest Title', history: 'Newest Title' });

      // The catalogue beats every heartbeat; in the CSV a title that starts like a formula is defused.
      const catalogued = '=HYPERLINK("http://example.invalid","Show")';
      await catalogEntry(t, { mediaType: 'tv', mediaId: SHOW, title: catalogued });
      expect(await titlesEverywhere(from, today)).toEqual({
        json: catalogued, csv: `'${catalogued}`, statsA: catalogued, statsB: catalogued, history: catalogued,
      });
    });
  });

  describe('CSV cells', () => {
    it('prefixes text that a spreadsheet would run with a quote, and quotes as RFC 4180 says', async () => {
      const titles = ['=1+1', '+1', '-2', '@SUM(A1)', '\tTab', '\rReturn', 'plain, "quoted"', 'normal'];
      const day = utcDay(t.clock.now() - 3 * DAY_MS);
      for (const [i, title] of titles.entries()) {
        const mediaId = 7_100_000 + i;
        await catalogEntry(t, { mediaType: 'movie', mediaId, title });
        await t.db.query(
          `INSERT INTO watch_buckets (user_id, hour, media_type, media_id, seconds) VALUES ('csv-viewer', $1, 'movie', $2, $3)`,
          [`${day}T12:00:00Z`, mediaId, 1000 - i],
        );
      }
      const res = await t.http().get('/v1/admin/reports/watch-hours').query({ from: day, to: day, groupBy: 'media', format: 'csv' }).set(admin).expect(200);
      const lines = res.text.split('\r\n');
      expect(lines).toEqual(
        expect.arrayContaining([
          "movie,7100000,'=1+1,1000,0.278,1,0",
          "movie,7100001,'+1,999,0.278,1,0",
          "movie,7100002,'-2,998,0.277,1,0",
          "movie,7100003,'@SUM(A1),997,0.277,1,0",
          "movie,7100004,'\tTab,996,0.277,1,0",
          'movie,7100006,"plain, ""quoted""",994,0.276,1,0',
          'movie,7100007,normal,993,0.276,1,0',
        ]),
      );
      // A carriage return inside a cell needs quotes.
      expect(res.text).toContain(`movie,7100005,"'\rReturn",995,0.276,1,0`);
      const parsed = parseCsv(res.text).filter((r) => Number(r.mediaId) >= 7_100_000 && Number(r.mediaId) < 7_100_100);
      expect(parsed.map((r) => r.title)).toEqual(titles.map((x, i) => (i < 6 ? `'${x}` : x)));
    });

    it('keeps numbers numbers: a negative number is not text', () => {
      expect(csvCell(-5)).toBe('-5');
      expect(csvCell(-0.25)).toBe('-0.25');
      expect(csvCell('-5')).toBe("'-5");
      expect(csvCell(null)).toBe('');
    });
  });

  describe('POST /v1/admin/reports/rollup of today', () => {
    it('rolls up the time stored so far, and the day again once it has closed; a future day is a 400', async () => {
      const realNow = t.clock.now();
      const today = utcDay(realNow);
      const todayStart = Date.parse(`${today}T00:00:00Z`);
      const MOVIE = 7_200_001;
      const play = async (seconds: number) => {
        const sessionId = randomUUID();
        await post('rollup-viewer', [movieHeartbeat({ mediaId: MOVIE, sessionId, playedSeconds: 0, currentTime: 0 })]);
        t.clock.advance(seconds * 1000);
        await post('rollup-viewer', [movieHeartbeat({ mediaId: MOVIE, sessionId, playedSeconds: seconds, currentTime: seconds })]);
        await t.batcher.flush();
      };
      const stored = async () =>
        (await t.db.query(`SELECT watch_seconds FROM report_titles WHERE day = $1 AND media_id = $2`, [today, MOVIE])).rows[0]?.watch_seconds;
      const finished = async () =>
        (await t.db.query(`SELECT finished_at FROM report_runs WHERE job = 'watch-hours' AND period = $1`, [today])).rows[0]?.finished_at;
      try {
        t.clock.set(todayStart + 3_600_000); // 01:00 UTC today
        await play(40);
        await t.http().post('/v1/admin/reports/rollup').query({ date: today }).set(admin).expect(200, { date: today, rolledUp: true });
        expect(await stored()).toBe(40);
        expect(await finished()).toBeNull(); // still due: the day is not over

        t.clock.set(todayStart + 2 * 3_600_000);
        await play(60);
        const tomorrow = utcDay(todayStart + DAY_MS);
        const refused = await t.http().post('/v1/admin/reports/rollup').query({ date: tomorrow }).set(admin).expect(400);
        expect(refused.body.errors.map((e: { field: string }) => e.field)).toEqual(['date']);

        // Just after midnight the daily job (its catch-up) rolls the day up again, now closed.
        t.clock.set(todayStart + DAY_MS + 15 * 60_000);
        expect(await t.app.get(ReportingService).catchUp()).toContain(today);
        expect(await stored()).toBe(100);
        expect(await finished()).toBeInstanceOf(Date);
        expect(await t.app.get(ReportingService).catchUp()).not.toContain(today);
      } finally {
        t.clock.set(realNow);
      }
    });
  });
});
