import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { MediaType } from '../watch/item-key.js';
import type { CatalogEntry, CatalogImportEntry, CatalogSeason } from './dto/catalog-entry.schema.js';
import { LOCK_IDS } from '../watch/lock-ids.js';

const ITEM_COLUMNS = `media_type, media_id, title, overview, release_year, runtime_seconds, credits_start_seconds, genres, poster_url`;

/** One statement, so the item and its episodes come from the same snapshot. */
const SELECT_ITEM = `
  SELECT ${ITEM_COLUMNS},
    CASE WHEN i.media_type = 'tv' THEN (
      SELECT coalesce(json_agg(json_build_object(
               'season_number', e.season_number, 'episode_number', e.episode_number,
               'title', e.title, 'runtime_seconds', e.runtime_seconds, 'credits_start_seconds', e.credits_start_seconds)
             ORDER BY e.season_number, e.episode_number), '[]'::json)
      FROM catalog_episodes e
      WHERE e.media_id = i.media_id) END AS episodes
  FROM catalog_items i
  WHERE i.media_type = $1 AND i.media_id = $2`;

/**
 * Case-insensitive "title contains", titles starting with the term first. `strpos` rather than
 * LIKE so `%` and `_` in the term are plain characters, with nothing to escape. Folded with the
 * ICU root collation because the database's own may be C (the embedded server's is), whose
 * lower() folds ASCII only: 'AMÉ' would miss 'Amélie'. ICU ships with every mainstream
 * PostgreSQL build (distribution packages, the official image, the managed services).
 */
const SEARCH_ITEMS = `
  SELECT ${ITEM_COLUMNS}
  FROM catalog_items
  WHERE ($1::text IS NULL OR strpos(lower(title COLLATE "und-x-icu"), lower($1::text COLLATE "und-x-icu")) > 0)
    AND ($2::text IS NULL OR media_type = $2::text)
  ORDER BY strpos(lower(title COLLATE "und-x-icu"), lower($1::text COLLATE "und-x-icu")) = 1 DESC NULLS LAST,
           lower(title COLLATE "und-x-icu"), media_type, media_id
  LIMIT $3`;

/**
 * Every entry of a batch in one statement, from one JSON parameter: no bind-parameter limit to
 * chunk around, and `genres` arrive as real arrays (unnest cannot carry an array per row).
 * Sorted by key so concurrent imports lock rows in the same order.
 */
const UPSERT_ITEMS = `
  INSERT INTO catalog_items (
    media_type, media_id, title, overview, release_year, runtime_seconds, credits_start_seconds, genres, poster_url, updated_at)
  SELECT e.media_type, e.media_id, e.title, e.overview, e.release_year, e.runtime_seconds, e.credits_start_seconds,
         coalesce(e.genres, '{}'), e.poster_url, now()
  FROM jsonb_to_recordset($1::jsonb) AS e(
    media_type text, media_id int, title text, overview text, release_year int, runtime_seconds int, credits_start_seconds int,
    genres text[], poster_url text)
  ORDER BY e.media_type, e.media_id
  ON CONFLICT (media_type, media_id) DO UPDATE SET
    title = EXCLUDED.title,
    overview = EXCLUDED.overview,
    release_year = EXCLUDED.release_year,
    runtime_seconds = EXCLUDED.runtime_seconds,
    credits_start_seconds = EXCLUDED.credits_start_seconds,
    genres = EXCLUDED.genres,
    poster_url = EXCLUDED.poster_url,
    updated_at = now()`;

const DELETE_EPISODES = `DELETE FROM catalog_episodes WHERE media_id = ANY($1::int[])`;

const INSERT_EPISODES = `
  INSERT INTO catalog_episodes (media_id, season_number, episode_number, title, runtime_seconds, credits_start_seconds)
  SELECT e.media_id, e.season_number, e.episode_number, e.title, e.runtime_seconds, e.credits_start_seconds
  FROM jsonb_to_recordset($1::jsonb) AS e(
    media_id int, season_number int, episode_number int, title text, runtime_seconds int, credits_start_seconds int)
  ORDER BY 1, 2, 3`;

/** One instance at a time seeds an empty catalogue. */
const LOCK_SEED = `SELECT pg_advisory_xact_lock(${LOCK_IDS.catalogSeed}, 0)`;

const CATALOG_IS_EMPTY = `SELECT NOT EXISTS (SELECT 1 FROM catalog_items) AS empty`;

interface ItemRow {
  media_type: MediaType;
  media_id: number;
  title: string;
  overview: string | null;
  release_year: number | null;
  runtime_seconds: number | null;
  credits_start_seconds: number | null;
  genres: string[];
  poster_url: string | null;
}

interface EpisodeRow {
  season_number: number;
  episode_number: number;
  title: string | null;
  runtime_seconds: number | null;
  credits_start_seconds: number | null;
}

@Injectable()
export class CatalogRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** One entry; a show comes with its seasons (possibly none), sorted by season and episode. */
  async findOne(mediaType: MediaType, mediaId: number): Promise<CatalogEntry | null> {
    const [row] = (await this.dataSource.query(SELECT_ITEM, [mediaType, mediaId])) as (ItemRow & { episodes: EpisodeRow[] | null })[];
    if (!row) return null;
    return row.episodes ? { ...toEntry(row), seasons: toSeasons(row.episodes) } : toEntry(row);
  }

  async search(search: string | undefined, mediaType: MediaType | undefined, limit: number): Promise<CatalogEntry[]> {
    const rows = (await this.dataSource.query(SEARCH_ITEMS, [search ?? null, mediaType ?? null, limit])) as ItemRow[];
    return rows.map(toEntry);
  }

  /** Writes the entries (inserting or replacing) in one transaction. */
  async upsertMany(entries: CatalogImportEntry[]): Promise<void> {
    await this.dataSource.transaction((manager) => writeEntries(manager, entries));
  }

  /**
   * Writes the entries only if the catalogue holds nothing, and says whether it did. The lock
   * makes instances starting together on one database seed it once.
   */
  async insertIfEmpty(entries: CatalogImportEntry[]): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(LOCK_SEED);
      const [{ empty }] = (await manager.query(CATALOG_IS_EMPTY)) as { empty: boolean }[];
      if (!empty) return false;
      await writeEntries(manager, entries);
      return true;
    });
  }
}

async function writeEntries(manager: EntityManager, entries: CatalogImportEntry[]): Promise<void> {
  if (!entries.length) return;
  const items = entries.map((e) => ({
    media_type: e.mediaType,
    media_id: e.mediaId,
    title: e.title,
    overview: e.overview,
    release_year: e.releaseYear,
    runtime_seconds: e.runtimeSeconds,
    // A show's own credits are refused at the edge; never store any for one.
    credits_start_seconds: e.mediaType === 'movie' ? (e.creditsStartSeconds ?? null) : null,
    genres: e.genres,
    poster_url: e.posterUrl,
  }));
  // Items first: their row locks serialise concurrent writers of the same show before its
  // episodes are deleted and re-inserted.
  await manager.query(UPSERT_ITEMS, [JSON.stringify(items)]);
  const shows = entries.filter((e) => e.mediaType === 'tv' && e.seasons !== undefined);
  if (!shows.length) return;
  await manager.query(DELETE_EPISODES, [shows.map((s) => s.mediaId)]);
  const episodes = shows.flatMap((show) =>
    show.seasons!.flatMap((season) =>
      season.episodes.map((ep) => ({
        media_id: show.mediaId,
        season_number: season.seasonNumber,
        episode_number: ep.episodeNumber,
        title: ep.title,
        runtime_seconds: ep.runtimeSeconds,
        credits_start_seconds: ep.creditsStartSeconds ?? null,
      })),
    ),
  );
  if (episodes.length) await manager.query(INSERT_EPISODES, [JSON.stringify(episodes)]);
}

function toEntry(r: ItemRow): CatalogEntry {
  return {
    mediaType: r.media_type,
    mediaId: r.media_id,
    title: r.title,
    overview: r.overview,
    releaseYear: r.release_year,
    runtimeSeconds: r.runtime_seconds,
    ...(r.credits_start_seconds === null ? {} : { creditsStartSeconds: r.credits_start_seconds }),
    genres: r.genres,
    posterUrl: r.poster_url,
  };
}

/** Episodes arrive sorted by season then episode: group them in that order. */
function toSeasons(rows: EpisodeRow[]): CatalogSeason[] {
  const seasons: CatalogSeason[] = [];
  for (const r of rows) {
    let season = seasons.at(-1);
    if (season?.seasonNumber !== r.season_number) {
      season = { seasonNumber: r.season_number, episodes: [] };
      seasons.push(season);
    }
    season.episodes.push({
      episodeNumber: r.episode_number,
      title: r.title,
      runtimeSeconds: r.runtime_seconds,
      ...(r.credits_start_seconds === null ? {} : { creditsStartSeconds: r.credits_start_seconds }),
    });
  }
  return seasons;
}
