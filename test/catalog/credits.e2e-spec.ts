import { CatalogService } from '../../src/catalog/catalog.service.js';
import { DEMO_CATALOG } from '../../src/catalog/demo-catalog.js';
import { catalogImportSchema } from '../../src/catalog/dto/catalog-entry.schema.js';
import { createTestApp, type TestApp } from '../utils/create-app.js';
import { expectFieldError, type FieldError } from '../utils/field-error.js';

/**
 * `creditsStartSeconds` (SPEC §5 Catalogue, §7 Finished point): where the end credits begin, on
 * movies and on episodes, never on a show itself; below `runtimeSeconds`; present in reads only
 * when known.
 */
describe('catalogue credits', () => {
  let t: TestApp;
  let admin: string;
  let viewer: string;

  beforeAll(async () => {
    t = await createTestApp({ CATALOG_CACHE_TTL_MS: '60000' });
    admin = await t.token('credits-admin', { admin: true });
    viewer = await t.token('credits-viewer');
  });
  afterAll(async () => {
    await t.close();
  });

  const get = (path: string) => t.http().get(path).set('Authorization', `Bearer ${viewer}`);
  const put = (path: string, body: unknown) => t.http().put(path).set('Authorization', `Bearer ${admin}`).send(body as object);
  const importEntries = (entries: unknown) => t.http().post('/v1/admin/catalog/import').set('Authorization', `Bearer ${admin}`).send(entries as object);
  const count = async (sql: string, params: unknown[] = []) => Number((await t.db.query<{ n: string }>(sql, params)).rows[0].n);
  const movieCredits = async (mediaId: number) =>
    (await t.db.query<{ c: number | null }>(`SELECT credits_start_seconds AS c FROM catalog_items WHERE media_type = 'movie' AND media_id = $1`, [mediaId])).rows[0]?.c;
  const episodeCredits = async (mediaId: number) =>
    (
      await t.db.query<{ s: number; e: number; c: number | null }>(
        `SELECT season_number AS s, episode_number AS e, credits_start_seconds AS c FROM catalog_episodes WHERE media_id = $1 ORDER BY 1, 2`,
        [mediaId],
      )
    ).rows;

  describe('movies, through PUT and GET', () => {
    it('stores a movie with its credits; PUT answers them, GET and search read them back', async () => {
      const body = { title: 'Credits Movie One', runtimeSeconds: 8340, creditsStartSeconds: 8010 };
      const res = await put('/v1/admin/catalog/movie/61001', body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ mediaType: 'movie', mediaId: 61001, runtimeSeconds: 8340, creditsStartSeconds: 8010 });
      expect(await movieCredits(61001)).toBe(8010);

      const read = await get('/v1/catalog/movie/61001');
      expect(read.status).toBe(200);
      expect(read.body).toEqual(res.body);
      const found = await get('/v1/catalog?search=credits%20movie%20one');
      expect(found.body.items).toEqual([expect.objectContaining({ mediaId: 61001, creditsStartSeconds: 8010 })]);
    });

    it('credits are absent (not null) when unknown; a PUT without them clears them', async () => {
      await put('/v1/admin/catalog/movie/61002', { title: 'Credits Movie Two', runtimeSeconds: 6000, creditsStartSeconds: 5700 }).expect(200);
      expect((await get('/v1/catalog/movie/61002')).body.creditsStartSeconds).toBe(5700);

      const replaced = await put('/v1/admin/catalog/movie/61002', { title: 'Credits Movie Two', runtimeSeconds: 6000 });
      expect(replaced.status).toBe(200);
      expect(replaced.body).not.toHaveProperty('creditsStartSeconds');
      const read = await get('/v1/catalog/movie/61002');
      expect(read.body).not.toHaveProperty('creditsStartSeconds');
      expect(read.body.runtimeSeconds).toBe(6000);
      expect(await movieCredits(61002)).toBeNull();

      // null says "unknown" just as well
      await put('/v1/admin/catalog/movie/61002', { title: 'Credits Movie Two', creditsStartSeconds: 5500 }).expect(200);
      await put('/v1/admin/catalog/movie/61002', { title: 'Credits Movie Two', creditsStartSeconds: null }).expect(200);
      expect(await movieCredits(61002)).toBeNull();
    });

    it('credits without a runtime are accepted (the runtime may be unknown)', async () => {
      const res = await put('/v1/admin/catalog/movie/61003', { title: 'No Runtime', creditsStartSeconds: 4000 });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ runtimeSeconds: null, creditsStartSeconds: 4000 });
    });

    it('a cached GET sees new credits at once after a PUT (the cache is invalidated)', async () => {
      await put('/v1/admin/catalog/movie/61004', { title: 'Cached Credits', runtimeSeconds: 7200, creditsStartSeconds: 6900 }).expect(200);
      expect((await get('/v1/catalog/movie/61004')).body.creditsStartSeconds).toBe(6900);
      const catalog = t.app.get(CatalogService);
      const hits = catalog.cacheStats.hits;
      expect((await get('/v1/catalog/movie/61004')).body.creditsStartSeconds).toBe(6900);
      expect(catalog.cacheStats.hits).toBe(hits + 1);

      await put('/v1/admin/catalog/movie/61004', { title: 'Cached Credits', runtimeSeconds: 7200, creditsStartSeconds: 6600 }).expect(200);
      expect((await get('/v1/catalog/movie/61004')).body.creditsStartSeconds).toBe(6600);
      await importEntries([{ mediaType: 'movie', mediaId: 61004, title: 'Cached Credits', runtimeSeconds: 7200 }]).expect(200);
      expect((await get('/v1/catalog/movie/61004')).body).not.toHaveProperty('creditsStartSeconds');
    });

    it.each([
      ['at the runtime', { runtimeSeconds: 6000, creditsStartSeconds: 6000 }],
      ['past the runtime', { runtimeSeconds: 6000, creditsStartSeconds: 6001 }],
      ['zero', { creditsStartSeconds: 0 }],
      ['negative', { creditsStartSeconds: -30 }],
      ['not whole', { creditsStartSeconds: 120.5 }],
      ['a string', { creditsStartSeconds: '120' }],
      ['absurdly large', { creditsStartSeconds: 5_000_000 }],
    ])('PUT: 400 naming creditsStartSeconds when it is %s, nothing stored', async (_case, fields) => {
      const res = await put('/v1/admin/catalog/movie/61100', { title: 'Bad Credits', ...fields });
      const error = expectFieldError(res, 'creditsStartSeconds');
      if (_case.includes('runtime')) expect(error.message).toContain('below runtimeSeconds (6000)');
      expect(await count(`SELECT count(*) AS n FROM catalog_items WHERE media_id = 61100`)).toBe(0);
    });
  });

  describe('shows: credits belong to episodes', () => {
    const seasons = [
      {
        seasonNumber: 1,
        episodes: [
          { episodeNumber: 2, title: 'Second', runtimeSeconds: 3000 },
          { episodeNumber: 1, title: 'First', runtimeSeconds: 3600, creditsStartSeconds: 3480 },
        ],
      },
      { seasonNumber: 2, episodes: [{ episodeNumber: 1, title: 'Third', creditsStartSeconds: 2500 }] },
    ];

    it('PUT stores episode credits; GET lists them where known and leaves them out elsewhere', async () => {
      const res = await put('/v1/admin/catalog/tv/62001', { title: 'Credits Show', runtimeSeconds: 3600, seasons });
      expect(res.status).toBe(200);
      expect(res.body).not.toHaveProperty('creditsStartSeconds');
      const expected = [
        {
          seasonNumber: 1,
          episodes: [
            { episodeNumber: 1, title: 'First', runtimeSeconds: 3600, creditsStartSeconds: 3480 },
            { episodeNumber: 2, title: 'Second', runtimeSeconds: 3000 },
          ],
        },
        { seasonNumber: 2, episodes: [{ episodeNumber: 1, title: 'Third', runtimeSeconds: null, creditsStartSeconds: 2500 }] },
      ];
      expect(res.body.seasons).toEqual(expected);
      const read = await get('/v1/catalog/tv/62001');
      expect(read.body.seasons).toEqual(expected);
      expect(read.body).not.toHaveProperty('creditsStartSeconds');
      expect(await episodeCredits(62001)).toEqual([
        { s: 1, e: 1, c: 3480 },
        { s: 1, e: 2, c: null },
        { s: 2, e: 1, c: 2500 },
      ]);
    });

    it('PUT without seasons keeps the episodes and their credits', async () => {
      await put('/v1/admin/catalog/tv/62002', { title: 'Kept', seasons }).expect(200);
      await put('/v1/admin/catalog/tv/62002', { title: 'Kept (renamed)' }).expect(200);
      const read = await get('/v1/catalog/tv/62002');
      expect(read.body.title).toBe('Kept (renamed)');
      expect(read.body.seasons[0].episodes[0].creditsStartSeconds).toBe(3480);
    });

    it('PUT: 400 naming creditsStartSeconds on the show itself, nothing stored', async () => {
      const res = await put('/v1/admin/catalog/tv/62100', { title: 'Show Credits', runtimeSeconds: 3600, creditsStartSeconds: 3400 });
      const error = expectFieldError(res, 'creditsStartSeconds');
      expect(error.message).toContain('episodes');
      expect(await count(`SELECT count(*) AS n FROM catalog_items WHERE media_id = 62100`)).toBe(0);
    });

    it('PUT: 400 naming the episode whose credits are not below its runtime', async () => {
      const res = await put('/v1/admin/catalog/tv/62101', {
        title: 'Bad Episode',
        seasons: [{ seasonNumber: 1, episodes: [{ episodeNumber: 1, runtimeSeconds: 1500 }, { episodeNumber: 2, runtimeSeconds: 1500, creditsStartSeconds: 1500 }] }],
      });
      const error = expectFieldError(res, 'seasons[0].episodes[1].creditsStartSeconds');
      expect(error.message).toContain('below runtimeSeconds (1500)');
      expectFieldError(
        await put('/v1/admin/catalog/tv/62101', { title: 'Bad Episode', seasons: [{ seasonNumber: 3, episodes: [{ episodeNumber: 1, creditsStartSeconds: 0 }] }] }),
        'seasons[0].episodes[0].creditsStartSeconds',
      );
      expect(await count(`SELECT count(*) AS n FROM catalog_items WHERE media_id = 62101`)).toBe(0);
      expect(await count(`SELECT count(*) AS n FROM catalog_episodes WHERE media_id = 62101`)).toBe(0);
    });
  });

  describe('import', () => {
    it('round trip: movie and episode credits imported are read back by GET; re-import replaces them', async () => {
      const res = await importEntries([
        { mediaType: 'movie', mediaId: 63001, title: 'Imported Movie', runtimeSeconds: 5400, creditsStartSeconds: 5100 },
        { mediaType: 'movie', mediaId: 63002, title: 'Imported Movie Without', runtimeSeconds: 5400 },
        {
          mediaType: 'tv',
          mediaId: 63003,
          title: 'Imported Show',
          seasons: [{ seasonNumber: 1, episodes: [{ episodeNumber: 1, runtimeSeconds: 1800, creditsStartSeconds: 1740 }, { episodeNumber: 2 }] }],
        },
      ]);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ imported: 3 });
      expect((await get('/v1/catalog/movie/63001')).body).toMatchObject({ runtimeSeconds: 5400, creditsStartSeconds: 5100 });
      expect((await get('/v1/catalog/movie/63002')).body).not.toHaveProperty('creditsStartSeconds');
      expect((await get('/v1/catalog/tv/63003')).body.seasons).toEqual([
        {
          seasonNumber: 1,
          episodes: [
            { episodeNumber: 1, title: null, runtimeSeconds: 1800, creditsStartSeconds: 1740 },
            { episodeNumber: 2, title: null, runtimeSeconds: null },
          ],
        },
      ]);

      await importEntries([
        { mediaType: 'movie', mediaId: 63001, title: 'Imported Movie', runtimeSeconds: 5400, creditsStartSeconds: 5000 },
        { mediaType: 'tv', mediaId: 63003, title: 'Imported Show', seasons: [{ seasonNumber: 1, episodes: [{ episodeNumber: 1, runtimeSeconds: 1800 }] }] },
      ]).expect(200);
      expect(await movieCredits(63001)).toBe(5000);
      expect(await episodeCredits(63003)).toEqual([{ s: 1, e: 1, c: null }]);
    });

    it.each([
      ['credits on a show', [{ mediaType: 'tv', mediaId: 63101, title: 'S', creditsStartSeconds: 100 }], '[0].creditsStartSeconds'],
      [
        'movie credits at the runtime',
        [
          { mediaType: 'movie', mediaId: 63102, title: 'Fine', creditsStartSeconds: 100 },
          { mediaType: 'movie', mediaId: 63103, title: 'M', runtimeSeconds: 100, creditsStartSeconds: 100 },
        ],
        '[1].creditsStartSeconds',
      ],
      [
        'episode credits past the runtime',
        [{ mediaType: 'tv', mediaId: 63104, title: 'S', seasons: [{ seasonNumber: 2, episodes: [{ episodeNumber: 1, runtimeSeconds: 60, creditsStartSeconds: 61 }] }] }],
        '[0].seasons[0].episodes[0].creditsStartSeconds',
      ],
      ['negative credits', [{ mediaType: 'movie', mediaId: 63105, title: 'M', creditsStartSeconds: -1 }], '[0].creditsStartSeconds'],
    ])('400 for %s, naming the field; nothing stored', async (_case, body, field) => {
      const res = await importEntries(body);
      expectFieldError(res, field);
      expect((res.body.errors as FieldError[]).every((e) => e.field.endsWith('creditsStartSeconds'))).toBe(true);
      expect(await count(`SELECT count(*) AS n FROM catalog_items WHERE media_id BETWEEN 63101 AND 63105`)).toBe(0);
    });
  });

  describe('API docs', () => {
    it('documents creditsStartSeconds on entries, bodies, imports and episodes, with examples', async () => {
      const doc = (await t.http().get('/docs-json')).body;
      const schemas = doc.components.schemas as Record<string, { properties: Record<string, { example?: unknown; description?: string }>; required?: string[] }>;
      for (const name of ['CatalogEntry', 'CatalogEntryBody', 'CatalogImportEntry', 'CatalogEpisode']) {
        const prop = schemas[name]?.properties?.creditsStartSeconds;
        expect({ name, prop }).toEqual({ name, prop: expect.objectContaining({ example: expect.any(Number) }) });
        expect(schemas[name].required ?? []).not.toContain('creditsStartSeconds');
      }
      expect(schemas.CatalogEntry.properties.creditsStartSeconds.description).toMatch(/absent when unknown/);
      expect(schemas.CatalogEntryBody.properties.creditsStartSeconds.description).toMatch(/below `runtimeSeconds`/);
      const json = JSON.stringify(schemas);
      // the episode's read shape says it too
      expect(json).toMatch(/"creditsStartSeconds":\{[^}]*"description":"Where the end credits begin, seconds; absent when unknown."/);
    });
  });
});

describe('demo catalogue credits', () => {
  it('movies and episodes carry plausible credits: below the runtime, within its last fifth; shows none of their own', () => {
    const entries = catalogImportSchema.parse(DEMO_CATALOG);
    const movies = entries.filter((e) => e.mediaType === 'movie');
    const withCredits = movies.filter((m) => m.creditsStartSeconds != null);
    expect(withCredits.length).toBeGreaterThanOrEqual(20);
    for (const m of withCredits) {
      expect(m.creditsStartSeconds!).toBeLessThan(m.runtimeSeconds!);
      expect(m.creditsStartSeconds!).toBeGreaterThan(m.runtimeSeconds! * 0.8);
    }
    expect(movies.find((m) => m.mediaId === 27205)?.creditsStartSeconds).toBe(148 * 60 - 540);
    const shows = entries.filter((e) => e.mediaType === 'tv');
    for (const s of shows) {
      expect(s.creditsStartSeconds ?? null).toBeNull();
      for (const ep of (s.seasons ?? []).flatMap((season) => season.episodes)) {
        expect(ep.creditsStartSeconds!).toBeLessThan(ep.runtimeSeconds!);
        expect(ep.creditsStartSeconds!).toBeGreaterThan(ep.runtimeSeconds! * 0.8);
      }
    }
  });

  it('seeded, the demo credits are read back by GET', async () => {
    const t = await createTestApp();
    try {
      await t.app.get(CatalogService).seedDemoIfEmpty();
      const token = await t.token('credits-demo');
      const inception = await t.http().get('/v1/catalog/movie/27205').set('Authorization', `Bearer ${token}`).expect(200);
      expect(inception.body.creditsStartSeconds).toBe(148 * 60 - 540);
      const sherlock = await t.http().get('/v1/catalog/tv/19885').set('Authorization', `Bearer ${token}`).expect(200);
      expect(sherlock.body).not.toHaveProperty('creditsStartSeconds');
      expect(sherlock.body.seasons[0].episodes[0]).toEqual({ episodeNumber: 1, title: 'A Study in Pink', runtimeSeconds: 88 * 60, creditsStartSeconds: 88 * 60 - 90 });
    } finally {
      await t.close();
    }
  });
});
