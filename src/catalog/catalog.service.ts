import { Injectable, NotFoundException } from '@nestjs/common';
import { FieldValidationException } from '../common/errors.js';
import { CatalogCache } from './catalog-cache.js';
import { CatalogRepository } from './catalog.repository.js';
import { DEMO_CATALOG } from './demo-catalog.js';
import {
  catalogImportSchema,
  SHOW_CREDITS_MESSAGE,
  type CatalogEntry,
  type CatalogEntryFields,
  type CatalogImportEntry,
} from './dto/catalog-entry.schema.js';
import type { MediaType } from '../watch/item-key.js';

export interface CatalogSearch {
  /** Part of the title, any case. */
  search?: string;
  mediaType?: MediaType;
  /** 1–100, default 20. */
  limit?: number;
}

/** The catalogue: cached reads, admin writes that invalidate the cache, the demo seed. */
@Injectable()
export class CatalogService {
  constructor(
    private readonly repository: CatalogRepository,
    private readonly cache: CatalogCache,
  ) {}

  /** One entry (a show with its seasons), or null. Cached. */
  find(mediaType: MediaType, mediaId: number): Promise<CatalogEntry | null> {
    return this.cache.item(mediaType, mediaId, () => this.repository.findOne(mediaType, mediaId));
  }

  /** One entry (a show with its seasons); 404 when unknown. Cached. */
  async get(mediaType: MediaType, mediaId: number): Promise<CatalogEntry> {
    const entry = await this.find(mediaType, mediaId);
    if (!entry) throw new NotFoundException(`${mediaType} ${mediaId} is not in the catalogue`);
    return entry;
  }

  /** Entries whose title contains `search` (any case), titles starting with it first. Cached. */
  search({ search, mediaType, limit = 20 }: CatalogSearch = {}): Promise<CatalogEntry[]> {
    const bounded = Number.isFinite(limit) ? Math.min(100, Math.max(1, Math.trunc(limit))) : 20;
    const query = { search: search?.trim() || undefined, mediaType, limit: bounded };
    return this.cache.search(query, () => this.repository.search(query.search, query.mediaType, query.limit));
  }

  /** Inserts or replaces one entry and returns it as stored. */
  async upsert(mediaType: MediaType, mediaId: number, fields: CatalogEntryFields): Promise<CatalogEntry> {
    if (mediaType === 'movie' && fields.seasons !== undefined) {
      throw new FieldValidationException([{ field: 'seasons', message: 'only a tv show has seasons' }]);
    }
    if (mediaType === 'tv' && fields.creditsStartSeconds != null) {
      throw new FieldValidationException([{ field: 'creditsStartSeconds', message: SHOW_CREDITS_MESSAGE }]);
    }
    await this.repository.upsertMany([{ ...fields, mediaType, mediaId }]);
    await this.cache.invalidateAll();
    const stored = await this.repository.findOne(mediaType, mediaId);
    if (!stored) throw new NotFoundException(`${mediaType} ${mediaId} is not in the catalogue`);
    return stored;
  }

  /** Inserts or replaces validated entries (see `catalogImportSchema`) in one transaction; returns how many. */
  async importMany(entries: CatalogImportEntry[]): Promise<number> {
    await this.repository.upsertMany(entries);
    await this.cache.invalidateAll();
    return entries.length;
  }

  /** Loads the demo catalogue when the catalogue is empty; returns how many entries it inserted. */
  async seedDemoIfEmpty(): Promise<number> {
    const entries = catalogImportSchema.parse(DEMO_CATALOG);
    if (!(await this.repository.insertIfEmpty(entries))) return 0;
    await this.cache.invalidateAll();
    return entries.length;
  }

  /** Cache hits and misses of catalogue reads, for metrics. */
  get cacheStats(): { hits: number; misses: number } {
    return this.cache.stats;
  }
}
