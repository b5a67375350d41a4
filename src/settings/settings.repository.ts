import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { USER_SETTINGS_COLUMNS, type SettingsPatch, type UserSettingsRow } from '../watch/settings.js';
import { Prepared } from '../database/prepared.js';

/** Anything that runs a statement: the data source, or a transaction's manager or query runner. */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

const COLUMNS = USER_SETTINGS_COLUMNS;

/** One user's row, by primary key. */
export const SELECT_SETTINGS = `SELECT ${COLUMNS} FROM user_settings WHERE user_id = $1`;
/** Read before every history and statistics read: prepared. */
const SELECT_SETTINGS_PREPARED = new Prepared(SELECT_SETTINGS);

/**
 * One statement that writes only the fields the patch names (`$n` the value, `$n+1` whether it is
 * given): two concurrent PATCHes of different fields both stay, whichever commits first. A new
 * row holds NULL (the default) in every field not given. Returns the row as it now stands.
 */
export const UPSERT_SETTINGS = `
  INSERT INTO user_settings AS us (user_id, ${COLUMNS}, updated_at)
  VALUES ($1, $2::smallint, $4::smallint, $6::integer, $8::integer, $10)
  ON CONFLICT (user_id) DO UPDATE SET
    finished_percent       = CASE WHEN $3::boolean THEN EXCLUDED.finished_percent       ELSE us.finished_percent END,
    min_resume_percent     = CASE WHEN $5::boolean THEN EXCLUDED.min_resume_percent     ELSE us.min_resume_percent END,
    continue_watching_days = CASE WHEN $7::boolean THEN EXCLUDED.continue_watching_days ELSE us.continue_watching_days END,
    auto_delete_days       = CASE WHEN $9::boolean THEN EXCLUDED.auto_delete_days       ELSE us.auto_delete_days END,
    updated_at             = EXCLUDED.updated_at
  RETURNING ${COLUMNS}`;

/** Back to the service defaults. */
export const DELETE_SETTINGS = `DELETE FROM user_settings WHERE user_id = $1`;

@Injectable()
export class SettingsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async find(userId: string): Promise<UserSettingsRow | null> {
    const rows = await SELECT_SETTINGS_PREPARED.rows<UserSettingsRow>(this.dataSource, [userId]);
    return rows[0] ?? null;
  }

  /**
   * Applies the patch and hands the resulting row to `check` before committing: the upsert holds
   * the row's lock, so the check sees every patch committed before it and none can slip in
   * between (two patches that are each fine but not together cannot both pass). When `check`
   * throws, nothing is written.
   */
  async patch<T>(userId: string, patch: SettingsPatch, at: Date, check: (row: UserSettingsRow) => T): Promise<T> {
    const param = (v: number | null | undefined) => [v ?? null, v !== undefined];
    return this.dataSource.transaction(async (m) => {
      const rows = (await m.query(UPSERT_SETTINGS, [
        userId,
        ...param(patch.finishedPercent),
        ...param(patch.minResumePercent),
        ...param(patch.continueWatchingDays),
        ...param(patch.autoDeleteDays),
        at,
      ])) as UserSettingsRow[];
      return check(rows[0]);
    });
  }

  async reset(userId: string, runner: SqlRunner = this.dataSource): Promise<void> {
    await runner.query(DELETE_SETTINGS, [userId]);
  }
}
