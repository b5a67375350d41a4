import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { envSchema, type Env } from './env.schema.js';

export type AppConfig = Env & {
  /** Absolute path of the directory holding the embedded database and the dev secret. */
  dataDir: string;
};

/** Injection token of the validated configuration. */
export const APP_CONFIG = Symbol('APP_CONFIG');

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates the environment once, at start-up. Values from `.env` (when present) fill in what
 * the real environment leaves unset. An empty string counts as unset.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  dotenvPath: string | null = '.env',
): AppConfig {
  const fromFile = dotenvPath && existsSync(dotenvPath) ? parseDotenv(readFileSync(dotenvPath)) : {};
  const merged: Record<string, string> = {};
  for (const source of [fromFile, env]) {
    for (const [k, v] of Object.entries(source)) {
      if (v !== undefined && v !== '') merged[k] = v;
    }
  }
  const parsed = envSchema.safeParse(merged);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`));
  }
  return { ...parsed.data, dataDir: resolve(parsed.data.PLAYTIME_DATA_DIR) };
}
