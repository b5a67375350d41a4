import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { itemKeyHash } from '../watch/item-key.js';
import type { PendingItem } from '../watch/pending.js';

/** Sets an item aside; every value is plain text the insert cannot refuse (see `keepable`). */
export const INSERT_REJECT = `
  INSERT INTO ingest_rejects (key_hash, user_id, item_key, error_code, error_message, item)
  VALUES ($1, $2, $3, $4, $5, $6)`;

export interface Reject {
  item: PendingItem;
  code: string;
  message: string;
}

/** Text without NUL (PostgreSQL `text` refuses it): written as the six characters `\u0000`. */
function keepable(s: string): string {
  return s.replaceAll('\u0000', '\\u0000');
}

/** The item as JSON: sessions as an object, times as ISO strings where they are finite. */
export function itemJson(item: PendingItem): string {
  return JSON.stringify(item, (_k, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v));
}

/** `ingest_rejects`: items the database refused for their data, kept for an operator. */
@Injectable()
export class IngestRejectsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async setAside(rejects: Reject[]): Promise<void> {
    for (const r of rejects) {
      await this.dataSource.query(INSERT_REJECT, [
        itemKeyHash(r.item.key),
        keepable(r.item.userId),
        keepable(r.item.key),
        keepable(r.code),
        keepable(r.message),
        // JSON.stringify already writes NUL as \u0000; keepable covers keys built by hand.
        keepable(itemJson(r.item)),
      ]);
    }
  }
}
