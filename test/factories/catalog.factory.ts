import { CatalogRepository } from '../../src/catalog/catalog.repository.js';
import type { CatalogEntry, CatalogImportEntry } from '../../src/catalog/dto/catalog-entry.schema.js';
import type { TestApp } from '../utils/create-app.js';

type CatalogInput = Pick<CatalogImportEntry, 'mediaType' | 'mediaId' | 'title'> & Partial<CatalogImportEntry>;

/**
 * Catalogue entries written by the service's own repository (as an import does), past the cache:
 * what a test reads afterwards shows whether the service looks them up. Not validated, so a test
 * can store what only older data holds (a title starting with a tab). Returns the entries as the
 * repository reads them back.
 */
export async function catalogEntries(t: Pick<TestApp, 'app'>, entries: CatalogInput[]): Promise<CatalogEntry[]> {
  const repository = t.app.get(CatalogRepository);
  await repository.upsertMany(entries.map((e) => ({ overview: null, releaseYear: null, runtimeSeconds: null, genres: [], posterUrl: null, ...e })));
  return Promise.all(entries.map(async (e) => (await repository.findOne(e.mediaType, e.mediaId))!));
}

export async function catalogEntry(t: Pick<TestApp, 'app'>, entry: CatalogInput): Promise<CatalogEntry> {
  const [row] = await catalogEntries(t, [entry]);
  return row;
}
