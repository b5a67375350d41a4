/*
 * What SPEC §7 adds to an item at read time besides its stored row: the catalogue's credits, and
 * the hide marks of the item and of its show; and hiding and unhiding.
 */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { creditsStartSql } from '../watch/credits.js';
import { itemKeyString, type ItemKey, type MediaType } from '../watch/item-key.js';

/**
 * What decides, at read time, whether an item is finished and hidden (SPEC §7): the catalogue's
 * credits, and when the item itself or its show was hidden (index probes on history_hidden).
 * `userId` is a parameter (`$1`): whether the user hid anything at all is then asked once per
 * statement (an InitPlan), and most users, who hid nothing, skip the two probes of every item.
 */
export function keyFactsSql(userId: string, t: string): string {
  const hidesAny = `EXISTS (SELECT 1 FROM history_hidden hx WHERE hx.user_id = ${userId})`;
  return `${creditsStartSql(`${t}.media_type`, `${t}.media_id`, `${t}.season_number`, `${t}.episode_number`)} AS credits_start,
         CASE WHEN ${hidesAny} THEN (SELECT hh.hidden_at FROM history_hidden hh
           WHERE hh.user_id = ${userId} AND hh.media_type = ${t}.media_type AND hh.media_id = ${t}.media_id
             AND hh.season_number IS NOT DISTINCT FROM ${t}.season_number AND hh.episode_number IS NOT DISTINCT FROM ${t}.episode_number) END AS item_hidden_at,
         CASE WHEN ${hidesAny} THEN (SELECT hh.hidden_at FROM history_hidden hh
           WHERE ${t}.media_type = 'tv' AND hh.user_id = ${userId} AND hh.media_type = 'tv' AND hh.media_id = ${t}.media_id
             AND hh.season_number IS NULL AND hh.episode_number IS NULL) END AS show_hidden_at`;
}

/** Credits and hide marks for keys, stored or not (an unflushed item has no row yet). */
const KEY_FACTS = `
  SELECT k.media_type, k.media_id, k.season_number, k.episode_number, ${keyFactsSql('$1', 'k')}
  FROM unnest($2::text[], $3::int[], $4::int[], $5::int[]) AS k(media_type, media_id, season_number, episode_number)`;

/** Hide marks of a deleted item or show (a show's own mark and its episodes'). */
export const DELETE_HIDDEN = `
  DELETE FROM history_hidden
  WHERE user_id = $1 AND media_type = $2 AND media_id = $3
    AND ($4::int IS NULL OR (season_number = $4 AND episode_number = $5))`;

/**
 * Hides an item, or a show (season and episode NULL), if the user has a history row for it: a
 * heartbeat of it received after `hidden_at` unhides it (the flush removes the mark).
 */
const HIDE = `
  INSERT INTO history_hidden (user_id, media_type, media_id, season_number, episode_number, hidden_at)
  SELECT $1, $2, $3, $4, $5, $6
  WHERE EXISTS (SELECT 1 FROM watch_history h
                WHERE h.user_id = $1 AND h.media_type = $2 AND h.media_id = $3
                  AND ($4::int IS NULL OR (h.season_number = $4 AND h.episode_number = $5)))
  ON CONFLICT (user_id, media_type, media_id, season_number, episode_number)
    DO UPDATE SET hidden_at = GREATEST(history_hidden.hidden_at, EXCLUDED.hidden_at)
  RETURNING 1`;

const HAS_HISTORY = `
  SELECT EXISTS (SELECT 1 FROM watch_history h
                 WHERE h.user_id = $1 AND h.media_type = $2 AND h.media_id = $3
                   AND ($4::int IS NULL OR (h.season_number = $4 AND h.episode_number = $5))) AS found`;

/** What a read needs to know of an item besides its stored row: credits and hide marks (epoch ms). */
export interface KeyFacts {
  creditsStart: number | null;
  itemHiddenAt: number | null;
  showHiddenAt: number | null;
}

type FactsRow = { credits_start: number | null; item_hidden_at: Date | null; show_hidden_at: Date | null };

export function factsOf(r: FactsRow): KeyFacts {
  return {
    creditsStart: r.credits_start,
    itemHiddenAt: r.item_hidden_at ? r.item_hidden_at.getTime() : null,
    showHiddenAt: r.show_hidden_at ? r.show_hidden_at.getTime() : null,
  };
}

@Injectable()
export class CurationRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Per `itemKeyString`: credits and hide marks of the given keys of this user. */
  async keyFacts(userId: string, keys: Omit<ItemKey, 'userId'>[]): Promise<Map<string, KeyFacts>> {
    if (!keys.length) return new Map();
    const rows = (await this.dataSource.query(KEY_FACTS, [
      userId, keys.map((k) => k.mediaType), keys.map((k) => k.mediaId), keys.map((k) => k.seasonNumber), keys.map((k) => k.episodeNumber),
    ])) as (KeyRow & FactsRow)[];
    return new Map(rows.map((r) => [itemKeyString({ userId, mediaType: r.media_type, mediaId: r.media_id, seasonNumber: r.season_number, episodeNumber: r.episode_number }), factsOf(r)]));
  }

  /** Hides (or, `hide` false, unhides) an item or a whole show. False when the user never watched it. */
  async setHidden(key: ItemKey, hide: boolean, at: Date): Promise<boolean> {
    const params = [key.userId, key.mediaType, key.mediaId, key.seasonNumber, key.episodeNumber];
    if (hide) return ((await this.dataSource.query(HIDE, [...params, at])) as unknown[]).length > 0;
    const [{ found }] = (await this.dataSource.query(HAS_HISTORY, params)) as { found: boolean }[];
    if (found) await this.dataSource.query(DELETE_HIDDEN, params);
    return found;
  }
}

type KeyRow = { media_type: MediaType; media_id: number; season_number: number | null; episode_number: number | null };
