import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AppConfig } from '../config/app-config.js';

/**
 * The HS256 secret: `JWT_SECRET`, or, when neither `JWT_SECRET` nor `JWT_JWKS_URL` is set, a
 * development secret created once under the data directory (so `npm run token` can sign with it).
 * Returns null when only JWKS is configured.
 */
export function resolveHmacSecret(config: AppConfig): { secret: string; dev: boolean } | null {
  if (config.JWT_SECRET) return { secret: config.JWT_SECRET, dev: false };
  if (config.JWT_JWKS_URL) return null;
  const file = join(config.dataDir, 'dev-jwt-secret');
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600, flag: 'wx' });
  }
  return { secret: readFileSync(file, 'utf8').trim(), dev: true };
}
