import { createHash } from 'node:crypto';
import type { Response } from 'supertest';
import { CatalogService } from '../../src/catalog/catalog.service.js';
import { DEMO_CATALOG } from '../../src/catalog/demo-catalog.js';
import { catalogImportSchema } from '../../src/catalog/dto/catalog-entry.schema.js';
import { createTestApp, type TestApp } from '../utils/create-app.js';
import { expectFieldError, type FieldError } from '../utils/field-error.js';
import { catalogEntry } from '../factories/catalog.factory.js';

const fightClub = {
  title: 'Fight Club',
  overview: 'An office worker and a soap salesman start an underground fight club.',
  releaseYear: 1999,
  runtimeSeconds: 8340,
  genres: ['Drama', 'Thriller'],
  posterUrl: 'https://images.example.com/fight-club.jpg',
};

describe('catalogue API', () => {
  let t: TestApp;
  let admin: string;
  let viewer: string;
  let catalog: CatalogService;

  beforeAll(async () => {
    t = await createTestApp({ CATALOG_CACHE_TTL_MS: '60000' });
    admin = await t.token('catalog-admin', { admin: true });
    viewer = await t.token('catalog-viewer');
    catalog = t.app.get(CatalogService);
  });
  afterAll(async () => {
    await t.close();
  });

  const get = (path: string, token = viewer) => t.http().get(path).set('Authorization', `Bearer ${token}`);
  const put = (path: string, body: unknown, token = admin) => t.http().put(path).set('Authorization', `Bearer ${token}`).send(body as object);
  const importEntries = (entries: unknown, token = admin) =>
    t.http().post('/v1/admin/catalog/import').set('Authorization', `Bearer ${token}`).send(entries as object);
  const rowCount = async (sql: string, params: unknown[] = []) => Number((await t.db.query<{ n: string }>(sql, params)).rows[0].n);

  describe('access', () => {
    it.each([
      ['GET', '/v1/catalog/movie/550'],
      ['GET', '/v1/catalog?search=fight'],
      ['PUT', '/v1/admin/catalog/movie/550'],
      ['POST', '/v1/admin/catalog/import'],
    ])('%s %s needs a token (401)', async (method, path) => {
      const req = method === 'GET' ? t.http().get(path) : method === 'PUT' ? t.http().put(path).send(fightClub) : t.http().post(path).send([]);
      const res = await req;
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    });

    it('PUT by a non-admin is 403 and stores nothing', async () => {
      const res = await put('/v1/admin/catalog/movie/4001', { title: 'Not Allowed' }, viewer);
      expect(res.status).toBe(403);
      expect(await rowCount(`SELECT count(*) AS n FROM catalog_items WHERE media_id = 4001`)).toBe(0);
    });

    it('import by a non-admin is 403 and stores nothing', async () => {
      const res = await importEntries([{ mediaType: 'movie', mediaId: 4002, title: 'Not Allowed' }], viewer);
      expect(res.status).toBe(403);
      expect(await rowCount(`SELECT count(*) AS n FROM catalog_items WHERE media_id = 4002`)).toBe(0);
    });
  });

  describe('GET /v1/catalog/:mediaType/:mediaId', () => {
    it('404 for an entry the catalogue does not hold', async () => {
      const res = await get('/v1/catalog/movie/987654');
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
      expect(res.headers['cache-control']).toBeUndefined();
      expect(res.headers.etag).toBeUndefined();
    });

    it('400 on a bad media type or id', async () => {
      expectFieldError(await get('/v1/catalog/book/550'), 'mediaType');
      expectFieldError(await get('/v1/catalog/movie/abc'), 'mediaId');
      expectFieldError(await get('/v1/catalog/movie/0'), 'mediaId');
      expectFieldError(await get('/v1/catalog/movie/99999999999'), 'mediaId');
    });
  });

  describe('PUT /v1/admin/catalog/:mediaType/:mediaId', () => {
    it('stores a movie and returns it; GET returns the same entry, without seasons', async () => {
      const res = await put('/v1/admin/catalog/movie/1001', fightClub);
      expect(res.status).toBe(200);
      const expected = { mediaType: 'movie', mediaId: 1001, ...fightClub };
      expect(res.body).toEqual(expected);

      const read = await get('/v1/catalog/movie/1001');
      expect(read.status).toBe(200);
      expect(read.body).toEqual(expected);
      expect(read.body).not.toHaveProperty('seasons');

      const { rows } = await t.db.query(`SELECT title, release_year, runtime_seconds, genres, poster_url FROM catalog_items WHERE media_type = 'movie' AND media_id = 1001`);
      expect(rows).toEqual([{ title: 'Fight Club', release_year: 1999, runtime_seconds: 8340, genres: ['Drama', 'Thriller'], poster_url: fightClub.posterUrl }]);
    });

    it('replaces the entry: optional fields left out are stored empty', async () => {
      await put('/v1/admin/catalog/movie/1002', fightClub).expect(200);
      const res = await put('/v1/admin/catalog/movie/1002', { title: '  Fight Club (recut)  ' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        mediaType: 'movie', mediaId: 1002, title: 'Fight Club (recut)', overview: null, releaseYear: null, runtimeSeconds: null, genres: [], posterUrl: null,
      });
      expect((await get('/v1/catalog/movie/1002')).body.title).toBe('Fight Club (recut)');
    });

    it('stores a show with its seasons, sorted by season and episode whatever the input order', async () => {
      const res = await put('/v1/admin/catalog/tv/2001', {
        title: 'Sherlock',
        releaseYear: 2010,
        runtimeSeconds: 5280,
        genres: ['Crime'],
        seasons: [
          { seasonNumber: 2, episodes: [{ episodeNumber: 2, title: 'The Hounds of Baskerville', runtimeSeconds: 5280 }, { episodeNumber: 1, title: 'A Scandal in Belgravia', runtimeSeconds: 5340 }] },
          { seasonNumber: 1, episodes: [{ episodeNumber: 3, title: 'The Great Game' }, { episodeNumber: 1, title: 'A Study in Pink', runtimeSeconds: 5280 }] },
        ],
      });
      expect(res.status).toBe(200);
      const seasons = [
        { seasonNumber: 1, episodes: [{ episodeNumber: 1, title: 'A Study in Pink', runtimeSeconds: 5280 }, { episodeNumber: 3, title: 'The Great Game', runtimeSeconds: null }] },
        { seasonNumber: 2, episodes: [{ episodeNumber: 1, title: 'A Scandal in Belgravia', runtimeSeconds: 5340 }, { episodeNumber: 2, title: 'The Hounds of Baskerville', runtimeSeconds: 5280 }] },
      ];
      expect(res.body).toMatchObject({ mediaType: 'tv', mediaId: 2001, title: 'Sherlock', seasons });
      const read = await get('/v1/catalog/tv/2001');
      expect(read.status).toBe(200);
      expect(read.body.seasons).toEqual(seasons);
    });

    it('seasons replace every episode of the show; leaving them out keeps them', async () => {
      const path = '/v1/admin/catalog/tv/2002';
      await put(path, { title: 'Show', seasons: [{ seasonNumber: 1, episodes: [{ episodeNumber: 1 }, { episodeNumber: 2 }, { episodeNumber: 3 }] }] }).expect(200);
      expect(await rowCount(`SELECT count(*) AS n FROM catalog_episodes WHERE media_id = 2002`)).toBe(3);

      const replaced = await put(path, { title: 'Show', seasons: [{ seasonNumber: 2, episodes: [{ episodeNumber: 1, title: 'Only' }] }] });
      expect(replaced.body.seasons).toEqual([{ seasonNumber: 2, episodes: [{ episodeNumber: 1, title: 'Only', runtimeSeconds: null }] }]);
      expect(await rowCount(`SELECT count(*) AS n FROM catalog_episodes WHERE media_id = 2002`)).toBe(1);

      const kept = await put(path, { title: 'Show, renamed' });
      expect(kept.body).toMatchObject({ title: 'Show, renamed', seasons: [{ seasonNumber: 2, episodes: [{ episodeNumber: 1, title: 'Only' }] }] });

      const cleared = await put(path, { title: 'Show, renamed', seasons: [] });
      expect(cleared.body.seasons).toEqual([]);
      expect(await rowCount(`SELECT count(*) AS n FROM catalog_episodes WHERE media_id = 2002`)).toBe(0);
    });

    it.each([
      ['a missing title', { overview: 'no title' }, 'title'],
      ['an empty title', { title: '   ' }, 'title'],
      ['an unknown field', { title: 'X', director: 'Fincher' }, 'director'],
      ['mediaType in the body (it comes from the path)', { title: 'X', mediaType: 'movie' }, 'mediaType'],
      ['a wrong type', { title: 'X', releaseYear: '1999' }, 'releaseYear'],
      ['a negative runtime', { title: 'X', runtimeSeconds: -5 }, 'runtimeSeconds'],
      ['a non-URL poster', { title: 'X', posterUrl: 'javascript:alert(1)' }, 'posterUrl'],
      ['a genre that is not a string', { title: 'X', genres: ['Drama', 7] }, 'genres[1]'],
      ['seasons on a movie', { title: 'X', seasons: [] }, 'seasons'],
    ])('400 naming the field for %s, and nothing stored', async (_case, body, field) => {
      const res = await put('/v1/admin/catalog/movie/3001', body);
      expectFieldError(res, field);
      expect(await rowCount(`SELECT count(*) AS n FROM catalog_items WHERE media_id = 3001`)).toBe(0);
    });

    it('400 naming a season or episode given twice', async () => {
      expectFieldError(
        await put('/v1/admin/catalog/tv/3002', { title: 'X', seasons: [{ seasonNumber: 1, episodes: [] }, { seasonNumber: 1, episodes: [] }] }),
        'seasons[1].seasonNumber',
      );
      expectFieldError(
        await put('/v1/admin/catalog/tv/3002', { title: 'X', seasons: [{ seasonNumber: 1, episodes: [{ episodeNumber: 4 }, { episodeNumber: 4 }] }] }),
        'seasons[0].episodes[1].episodeNumber',
      );
      expect(await rowCount(`SELECT count(*) AS n FROM catalog_items WHERE media_id = 3002`)).toBe(0);
    });

    it('400 for a body that is not an object', async () => {
      const res = await put('/v1/admin/catalog/movie/3003', ['Fight Club']);
      expect(res.status).toBe(400);
      expect(await rowCount(`SELECT count(*) AS n FROM catalog_items WHERE media_id = 3003`)).toBe(0);
    });
  });

  describe('POST /v1/admin/catalog/import and GET /v1/catalog', () => {
    const entries = [
      { mediaType: 'movie', mediaId: 5001, title: 'The Dark Knight', releaseYear: 2008, runtimeSeconds: 9120, genres: ['Action', 'Crime'] },
      { mediaType: 'movie', mediaId: 5002, title: 'Dark City', releaseYear: 1998 },
      { mediaType: 'movie', mediaId: 5003, title: 'The Dark Knight Rises', releaseYear: 2012 },
      { mediaType: 'tv', mediaId: 5004, title: 'Dark', releaseYear: 2017, seasons: [{ seasonNumber: 1, episodes: [{ episodeNumber: 1, title: 'Secrets' }] }] },
      { mediaType: 'movie', mediaId: 5005, title: 'Amélie', releaseYear: 2001 },
      { mediaType: 'tv', mediaId: 5006, title: 'Darkwing Duck', releaseYear: 1991 },
    ];

    beforeAll(async () => {
      const res = await importEntries(entries);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ imported: entries.length });
    });

    const search = (query: string) => get(`/v1/catalog?${query}`);
    const titles = (res: Response) => (res.body.items as { title: string }[]).map((i) => i.title);

    it('stored every entry, with the episodes of the show', async () => {
      expect(await rowCount(`SELECT count(*) AS n FROM catalog_items WHERE media_id BETWEEN 5001 AND 5006`)).toBe(6);
      const dark = await get('/v1/catalog/tv/5004');
      expect(dark.body.seasons).toEqual([{ seasonNumber: 1, episodes: [{ episodeNumber: 1, title: 'Secrets', runtimeSeconds: null }] }]);
    });

    it('finds titles containing the term in any case, titles starting with it first', async () => {
      const res = await search('search=DARK');
      expect(res.status).toBe(200);
      expect(titles(res)).toEqual(['Dark', 'Dark City', 'Darkwing Duck', 'The Dark Knight', 'The Dark Knight Rises']);
      expect(res.body.items[0]).not.toHaveProperty('seasons');
      expect(res.body.items).toContainEqual({
        mediaType: 'movie', mediaId: 5001, title: 'The Dark Knight', overview: null, releaseYear: 2008, runtimeSeconds: 9120, genres: ['Action', 'Crime'], posterUrl: null,
      });
      expect(titles(await search('search=knight%20RISES'))).toEqual(['The Dark Knight Rises']);
      expect(titles(await search('search=AMÉ'))).toEqual(['Amélie']);
    });

    it('treats % and _ in the term as plain characters', async () => {
      expect(titles(await search('search=%25'))).toEqual([]);
      expect(titles(await search('search=D_rk'))).toEqual([]);
    });

    it('filters by mediaType and honours limit', async () => {
      expect(titles(await search('search=dark&mediaType=tv'))).toEqual(['Dark', 'Darkwing Duck']);
      expect(titles(await search('search=dark&mediaType=movie'))).toEqual(['Dark City', 'The Dark Knight', 'The Dark Knight Rises']);
      expect(titles(await search('search=dark&limit=2'))).toEqual(['Dark', 'Dark City']);
    });

    it('without a term lists the catalogue by title, 20 by default', async () => {
      const many = Array.from({ length: 25 }, (_, i) => ({ mediaType: 'movie', mediaId: 6000 + i, title: `Zz Filler ${String(i).padStart(2, '0')}` }));
      await importEntries(many).expect(200);
      const res = await search('');
      expect(res.body.items).toHaveLength(20);
      // Other tests of this file may add entries (in any order): compare with the whole list.
      const all = titles(await search('limit=100'));
      expect(all.length).toBeGreaterThanOrEqual(31);
      expect(titles(res)).toEqual(all.slice(0, 20));
      expect(all.indexOf('Amélie')).toBeLessThan(all.indexOf('Dark'));
      expect(all.indexOf('Dark')).toBeLessThan(all.indexOf('Zz Filler 00'));
      expect(all.slice(-25)).toEqual(many.map((m) => m.title));
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=2.5', 'limit'],
      ['mediaType=book', 'mediaType'],
      [`search=${'x'.repeat(201)}`, 'search'],
    ])('400 for %s', async (query, field) => {
      expectFieldError(await search(query), field);
    });

    it('an import with one bad entry is 400 naming its index, and stores nothing', async () => {
      const bad = [
        { mediaType: 'movie', mediaId: 7001, title: 'Good One' },
        { mediaType: 'movie', mediaId: 7002, title: 'Good Two' },
        { mediaType: 'movie', mediaId: 7003, releaseYear: 2000 },
        { mediaType: 'tv', mediaId: 7004, title: 'Good Show', seasons: [{ seasonNumber: 1, episodes: [{ episodeNumber: 1 }] }] },
      ];
      const res = await importEntries(bad);
      expectFieldError(res, '[2].title');
      expect((res.body.errors as FieldError[]).every((e) => e.field.startsWith('[2]'))).toBe(true);
      expect(await rowCount(`SELECT count(*) AS n FROM catalog_items WHERE media_id BETWEEN 7001 AND 7004`)).toBe(0);
      expect(await rowCount(`SELECT count(*) AS n FROM catalog_episodes WHERE media_id = 7004`)).toBe(0);
      expect((await get('/v1/catalog/movie/7001')).status).toBe(404);
    });

    it.each([
      ['an unknown field', [{ mediaType: 'movie', mediaId: 7101, title: 'A' }, { mediaType: 'movie', mediaId: 7102, title: 'B', rating: 5 }], '[1].rating'],
      ['a missing mediaId', [{ mediaType: 'movie', title: 'A' }], '[0].mediaId'],
      ['seasons on a movie', [{ mediaType: 'movie', mediaId: 7103, title: 'A', seasons: [] }], '[0].seasons'],
      ['the same entry twice', [{ mediaType: 'movie', mediaId: 7104, title: 'A' }, { mediaType: 'movie', mediaId: 7104, title: 'B' }], '[1].mediaId'],
      ['an empty array', [], 'body'],
      ['an object instead of an array', { mediaType: 'movie', mediaId: 7105, title: 'A' }, 'body'],
    ])('import: 400 for %s, nothing stored', async (_case, body, field) => {
      const res = await importEntries(body);
      expectFieldError(res, field);
      expect(await rowCount(`SELECT count(*) AS n FROM catalog_items WHERE media_id BETWEEN 7101 AND 7105`)).toBe(0);
    });

    it('re-importing an entry replaces it', async () => {
      // Its own entry: the search tests of this block, in any order, expect the imported titles.
      await importEntries([{ mediaType: 'movie', mediaId: 5102, title: 'Metropolis', releaseYear: 1927 }]).expect(200);
      await importEntries([{ mediaType: 'movie', mediaId: 5102, title: 'Metropolis (Restored)', releaseYear: 1927, genres: ['Science Fiction'] }]).expect(200);
      const res = await get('/v1/catalog/movie/5102');
      expect(res.body).toMatchObject({ title: 'Metropolis (Restored)', genres: ['Science Fiction'] });
      expect(await rowCount(`SELECT count(*) AS n FROM catalog_items WHERE media_type = 'movie' AND media_id = 5102`)).toBe(1);
    });
  });

  describe('caching', () => {
    it('the second read is a hit served without the database; an admin PUT invalidates it', async () => {
      await put('/v1/admin/catalog/movie/8001', { title: 'Original Title' }).expect(200);
      const before = catalog.cacheStats;

      const first = await get('/v1/catalog/movie/8001');
      expect(first.body.title).toBe('Original Title');
      expect(catalog.cacheStats).toEqual({ hits: before.hits, misses: before.misses + 1 });

      // Change the row behind the service's back: a cached read cannot see it.
      await t.db.query(`UPDATE catalog_items SET title = 'Changed In The Database' WHERE media_type = 'movie' AND media_id = 8001`);
      const second = await get('/v1/catalog/movie/8001');
      expect(second.body.title).toBe('Original Title');
      expect(catalog.cacheStats).toEqual({ hits: before.hits + 1, misses: before.misses + 1 });

      await put('/v1/admin/catalog/movie/8001', { title: 'New Title' }).expect(200);
      const third = await get('/v1/catalog/movie/8001');
      expect(third.body.title).toBe('New Title');
      expect(catalog.cacheStats.misses).toBe(before.misses + 2);
    });

    it('search results are cached too, and an import invalidates them', async () => {
      await put('/v1/admin/catalog/movie/8101', { title: 'Quasar Nights' }).expect(200);
      const first = await get('/v1/catalog?search=quasar');
      expect(first.body.items.map((i: { title: string }) => i.title)).toEqual(['Quasar Nights']);

      await t.db.query(`UPDATE catalog_items SET title = 'Quasar Days' WHERE media_type = 'movie' AND media_id = 8101`);
      const hitsBefore = catalog.cacheStats.hits;
      expect((await get('/v1/catalog?search=quasar')).body.items[0].title).toBe('Quasar Nights');
      expect(catalog.cacheStats.hits).toBe(hitsBefore + 1);

      await importEntries([{ mediaType: 'movie', mediaId: 8102, title: 'Quasar Mornings' }]).expect(200);
      const after = await get('/v1/catalog?search=quasar');
      expect(after.body.items.map((i: { title: string }) => i.title)).toEqual(['Quasar Days', 'Quasar Mornings']);
    });

    it('a not-found answer is not cached: an entry added later is found at once', async () => {
      expect((await get('/v1/catalog/movie/8201')).status).toBe(404);
      await catalogEntry(t, { mediaType: 'movie', mediaId: 8201, title: 'Late Arrival' });
      const res = await get('/v1/catalog/movie/8201');
      expect(res.status).toBe(200);
      expect(res.body.title).toBe('Late Arrival');
    });

    it('the service reads through the same cache', async () => {
      await put('/v1/admin/catalog/tv/8301', { title: 'Service Show', seasons: [{ seasonNumber: 1, episodes: [{ episodeNumber: 1 }] }] }).expect(200);
      const before = catalog.cacheStats;
      expect(await catalog.get('tv', 8301)).toMatchObject({ title: 'Service Show', seasons: [{ seasonNumber: 1 }] });
      expect(await catalog.find('tv', 8301)).toMatchObject({ title: 'Service Show' });
      expect(catalog.cacheStats).toEqual({ hits: before.hits + 1, misses: before.misses + 1 });
      await expect(catalog.get('tv', 8399)).rejects.toMatchObject({ status: 404 });
    });
  });

  describe('HTTP caching headers', () => {
    it('answers with Cache-Control and a strong ETag of the body; If-None-Match gives 304 without a body', async () => {
      await put('/v1/admin/catalog/movie/9001', { title: 'Tagged' }).expect(200);
      const res = await get('/v1/catalog/movie/9001');
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('public, max-age=60');
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const etag = res.headers.etag as string;
      expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
      expect(etag).toBe(`"${createHash('sha256').update(res.text).digest('base64url')}"`);

      const again = await get('/v1/catalog/movie/9001');
      expect(again.headers.etag).toBe(etag);

      for (const header of [etag, `W/${etag}`, `"something-else", ${etag}`, '*']) {
        const notModified = await get('/v1/catalog/movie/9001').set('If-None-Match', header);
        expect(notModified.status).toBe(304);
        expect(notModified.text ?? '').toBe('');
        expect(notModified.headers.etag).toBe(etag);
        expect(notModified.headers['cache-control']).toBe('public, max-age=60');
      }

      const other = await get('/v1/catalog/movie/9001').set('If-None-Match', '"not-the-current-one"');
      expect(other.status).toBe(200);
      expect(other.body.title).toBe('Tagged');
    });

    it('a changed entry gets a new ETag, so the old one no longer gives 304', async () => {
      await put('/v1/admin/catalog/movie/9002', { title: 'Before' }).expect(200);
      const oldTag = (await get('/v1/catalog/movie/9002')).headers.etag as string;
      await put('/v1/admin/catalog/movie/9002', { title: 'After' }).expect(200);
      const res = await get('/v1/catalog/movie/9002').set('If-None-Match', oldTag);
      expect(res.status).toBe(200);
      expect(res.body.title).toBe('After');
      expect(res.headers.etag).not.toBe(oldTag);
    });

    it('the search route has the same headers and 304', async () => {
      const res = await get('/v1/catalog?search=tagged');
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('public, max-age=60');
      const etag = res.headers.etag as string;
      expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
      expect((await get('/v1/catalog?search=tagged').set('If-None-Match', etag)).status).toBe(304);
    });

    it('admin writes are not marked cacheable', async () => {
      const res = await put('/v1/admin/catalog/movie/9003', { title: 'Admin' });
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBeUndefined();
      expect(res.headers.etag).toBeUndefined();
    });
  });

  describe('API docs', () => {
    it('documents the catalogue routes with their schemas, errors and the bearer scheme', async () => {
      const doc = (await t.http().get('/docs-json')).body;
      const entry = doc.paths['/v1/catalog/{mediaType}/{mediaId}'].get;
      expect(entry.tags).toEqual(['catalog']);
      expect(entry.security).toEqual([{ jwt: [] }]);
      expect(Object.keys(entry.responses)).toEqual(expect.arrayContaining(['200', '304', '400', '401', '404']));
      expect(doc.paths['/v1/catalog'].get.responses['200']).toBeDefined();
      expect(Object.keys(doc.paths['/v1/admin/catalog/{mediaType}/{mediaId}'].put.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
      expect(doc.paths['/v1/admin/catalog/import'].post.requestBody).toBeDefined();
    });
  });
});

describe('demo catalogue', () => {
  it('has at least 30 movies and 3 shows with full metadata; every show has episodes, one spans seasons', () => {
    const entries = catalogImportSchema.parse(DEMO_CATALOG);
    const movies = entries.filter((e) => e.mediaType === 'movie');
    const shows = entries.filter((e) => e.mediaType === 'tv');
    expect(movies.length).toBeGreaterThanOrEqual(30);
    expect(shows.length).toBeGreaterThanOrEqual(3);
    for (const e of entries) {
      expect(e.title.length).toBeGreaterThan(0);
      expect(e.releaseYear).toEqual(expect.any(Number));
      expect(e.runtimeSeconds).toBeGreaterThan(0);
      expect(e.genres.length).toBeGreaterThan(0);
      expect(e.overview).toEqual(expect.any(String));
    }
    for (const s of shows) {
      const episodes = (s.seasons ?? []).flatMap((season) => season.episodes);
      expect(episodes.length).toBeGreaterThan(0);
      for (const ep of episodes) {
        expect(ep.title).toEqual(expect.any(String));
        expect(ep.runtimeSeconds).toBeGreaterThan(0);
      }
    }
    expect(shows.some((s) => (s.seasons ?? []).filter((season) => season.episodes.length > 0).length >= 2)).toBe(true);
    expect(movies.find((m) => m.mediaId === 550)?.title).toBe('Fight Club');
    expect(movies.find((m) => m.mediaId === 27205)?.title).toBe('Inception');
  });
});

describe('seedDemoIfEmpty', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('loads the demo catalogue into an empty database once, then does nothing', async () => {
    const catalog = t.app.get(CatalogService);
    const token = await t.token('demo-viewer');
    // A miss cached before the seed must not hide the seeded entry afterwards.
    expect((await t.http().get('/v1/catalog/tv/19885').set('Authorization', `Bearer ${token}`)).status).toBe(404);

    const seeded = await catalog.seedDemoIfEmpty();
    expect(seeded).toBeGreaterThanOrEqual(33);
    expect(seeded).toBe(DEMO_CATALOG.length);
    const { rows } = await t.db.query<{ n: string }>(`SELECT count(*) AS n FROM catalog_items`);
    expect(Number(rows[0].n)).toBe(seeded);

    expect(await catalog.seedDemoIfEmpty()).toBe(0);
    expect(Number((await t.db.query<{ n: string }>(`SELECT count(*) AS n FROM catalog_items`)).rows[0].n)).toBe(seeded);

    const sherlock = await t.http().get('/v1/catalog/tv/19885').set('Authorization', `Bearer ${token}`);
    expect(sherlock.status).toBe(200);
    expect(sherlock.body.seasons.map((s: { seasonNumber: number }) => s.seasonNumber)).toEqual([1, 2, 3, 4]);
    expect(sherlock.body.seasons[1].episodes[0]).toEqual({ episodeNumber: 1, title: 'A Scandal in Belgravia', runtimeSeconds: 89 * 60, creditsStartSeconds: 89 * 60 - 90 });

    const fight = await t.http().get('/v1/catalog?search=fight%20club&mediaType=movie').set('Authorization', `Bearer ${token}`);
    expect(fight.body.items).toEqual([expect.objectContaining({ mediaId: 550, title: 'Fight Club', releaseYear: 1999, runtimeSeconds: 139 * 60 })]);
  });

  it('does not seed a catalogue that already holds entries', async () => {
    const other = await createTestApp();
    try {
      await catalogEntry(other, { mediaType: 'movie', mediaId: 1, title: 'Already Here' });
      expect(await other.app.get(CatalogService).seedDemoIfEmpty()).toBe(0);
      expect(Number((await other.db.query<{ n: string }>(`SELECT count(*) AS n FROM catalog_items`)).rows[0].n)).toBe(1);
    } finally {
      await other.close();
    }
  });
});

describe('caching turned off (CATALOG_CACHE_TTL_MS=0)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ CATALOG_CACHE_TTL_MS: '0' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('every read goes to the database and says max-age=0', async () => {
    const admin = await t.token('admin', { admin: true });
    await t.http().put('/v1/admin/catalog/movie/1').set('Authorization', `Bearer ${admin}`).send({ title: 'One' }).expect(200);
    const first = await t.http().get('/v1/catalog/movie/1').set('Authorization', `Bearer ${admin}`);
    expect(first.headers['cache-control']).toBe('public, max-age=0');
    await t.db.query(`UPDATE catalog_items SET title = 'Uno' WHERE media_id = 1`);
    const second = await t.http().get('/v1/catalog/movie/1').set('Authorization', `Bearer ${admin}`);
    expect(second.body.title).toBe('Uno');
    expect(t.app.get(CatalogService).cacheStats.hits).toBe(0);
  });
});
