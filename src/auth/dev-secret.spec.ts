import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type AppConfig } from '../config/app-config.js';
import { resolveHmacSecret } from './dev-secret.js';

const LONG_SECRET = 'a-real-secret-of-at-least-32-characters!';

describe('resolveHmacSecret', () => {
  let root: string;
  let dataDir: string;
  const configWith = (env: Record<string, string> = {}): AppConfig => loadConfig({ PLAYTIME_DATA_DIR: dataDir, ...env }, null);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'playtime-secret-'));
    // A directory that does not exist yet: the dev secret must create it.
    dataDir = join(root, 'data');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates a development secret once, private to the owner, and reuses it', () => {
    const file = join(dataDir, 'dev-jwt-secret');
    expect(existsSync(file)).toBe(false);

    const first = resolveHmacSecret(configWith());
    expect(first).not.toBeNull();
    expect(first!.dev).toBe(true);
    expect(first!.secret.length).toBeGreaterThanOrEqual(32);
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(first!.secret);

    const second = resolveHmacSecret(configWith());
    expect(second).toEqual({ secret: first!.secret, dev: true });
  });

  it('gives another data directory another secret', () => {
    const first = resolveHmacSecret(configWith())!;
    const otherDir = join(root, 'other');
    const other = resolveHmacSecret(loadConfig({ PLAYTIME_DATA_DIR: otherDir }, null))!;
    expect(other.dev).toBe(true);
    expect(other.secret).not.toBe(first.secret);
  });

  it('uses JWT_SECRET when set, without creating a file', () => {
    expect(resolveHmacSecret(configWith({ JWT_SECRET: LONG_SECRET }))).toEqual({ secret: LONG_SECRET, dev: false });
    expect(existsSync(dataDir)).toBe(false);
  });

  it('prefers JWT_SECRET even when a development secret exists', () => {
    const dev = resolveHmacSecret(configWith())!;
    const withSecret = resolveHmacSecret(configWith({ JWT_SECRET: LONG_SECRET }))!;
    expect(withSecret).toEqual({ secret: LONG_SECRET, dev: false });
    expect(withSecret.secret).not.toBe(dev.secret);
  });

  it('returns null when only JWT_JWKS_URL is configured, without creating a file', () => {
    expect(resolveHmacSecret(configWith({ JWT_JWKS_URL: 'https://idp.example.com/jwks.json', JWT_AUDIENCE: 'playtime-api' }))).toBeNull();
    expect(existsSync(dataDir)).toBe(false);
  });
});
