import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The catalogue: movies and shows (`catalog_items`), and the episodes of shows
 * (`catalog_episodes`, keyed by the show's media id). History reads join it for titles and for the
 * next episode of a show.
 */
export class Catalog1764000001000 implements MigrationInterface {
  name = 'Catalog1764000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE catalog_items (
        media_type       text        NOT NULL CHECK (media_type IN ('movie', 'tv')),
        media_id         integer     NOT NULL CHECK (media_id > 0),
        title            text        NOT NULL,
        overview         text,
        release_year     integer,
        runtime_seconds  integer,
        genres           text[]      NOT NULL DEFAULT '{}',
        poster_url       text,
        updated_at       timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (media_type, media_id)
      )`);
    await q.query(`CREATE INDEX catalog_items_title ON catalog_items (lower(title) text_pattern_ops)`);
    await q.query(`
      CREATE TABLE catalog_episodes (
        media_id         integer NOT NULL,
        season_number    integer NOT NULL CHECK (season_number >= 0),
        episode_number   integer NOT NULL CHECK (episode_number >= 1),
        title            text,
        runtime_seconds  integer,
        PRIMARY KEY (media_id, season_number, episode_number)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE catalog_episodes`);
    await q.query(`DROP TABLE catalog_items`);
  }
}
