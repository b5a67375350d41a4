import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from './app-config.js';
import { envSchema } from './env.schema.js';

/** Validates `env` alone: no `.env` file is read. */
const load = (env: Record<string, string | undefined> = {}) => loadConfig(env, null);

/** The ConfigError thrown for `env`, or a failure when none is thrown. */
function configErrorFor(env: Record<string, string | undefined>): ConfigError {
  try {
    load(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('stops on a bad value of every variable SPEC §2 names, naming it', () => {
    const bad: Record<string, string> = {
      PORT: 'abc', FINISHED_PERCENT: '500', MIN_RESUME_PERCENT: '-1', MAX_STREAMS_PER_USER: '0',
      MIN_PLAY_SECONDS: 'abc', MIN_RESUME_DURATION_SECONDS: '-5', CONTINUE_WATCHING_DAYS: '3651',
      PLAYTIME_FLUSH_INTERVAL_MS: 'xyz', CATALOG_CACHE_TTL_MS: '1.5',
    };
    for (const [name, value] of Object.entries(bad)) {
      expect(configErrorFor({ [name]: value }).message).toContain(name);
    }
    const config = load();
    expect([config.MIN_PLAY_SECONDS, config.MIN_RESUME_DURATION_SECONDS, config.CONTINUE_WATCHING_DAYS]).toEqual([60, 300, 112]);
  });

  it('.env.example lists every variable the service reads', () => {
    const example = readFileSync(resolve('.env.example'), 'utf8');
    const listed = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const missing = Object.keys(envSchema.shape).filter((name) => !listed.has(name));
    expect(missing).toEqual([]);
  });

  it('applies the documented defaults', () => {
    const config = load();
    expect(config.PORT).toBe(3000);
    expect(config.FINISHED_PERCENT).toBe(90);
    expect(config.MIN_RESUME_PERCENT).toBe(5);
    expect(config.PLAYTIME_FLUSH_INTERVAL_MS).toBe(5000);
    expect(config.PLAYTIME_BATCH_SIZE).toBe(5000);
    expect(config.PLAYTIME_RATE_LIMIT).toBe(30);
    expect(config.PLAYTIME_IP_RATE_LIMIT).toBe(600);
    expect(config.REPORT_CRON).toBe('15 0 * * *');
    expect(config.TRUST_PROXY).toBe(false);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.JWT_SECRET).toBeUndefined();
    expect(config.JWT_JWKS_URL).toBeUndefined();
    expect(config.dataDir).toBe(resolve('.data'));
  });

  it('parses numbers and keeps valid URLs', () => {
    const config = load({
      PORT: '8080',
      PLAYTIME_FLUSH_INTERVAL_MS: '0',
      DATABASE_URL: 'postgres://u:p@db:5432/playtime',
      JWT_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json',
      JWT_AUDIENCE: 'playtime-api',
      FINISHED_PERCENT: '95',
      MIN_RESUME_PERCENT: '10',
    });
    expect(config.PORT).toBe(8080);
    expect(config.PLAYTIME_FLUSH_INTERVAL_MS).toBe(0);
    expect(config.DATABASE_URL).toBe('postgres://u:p@db:5432/playtime');
    expect(config.JWT_JWKS_URL).toBe('https://idp.example.com/.well-known/jwks.json');
    expect(config.FINISHED_PERCENT).toBe(95);
    expect(config.MIN_RESUME_PERCENT).toBe(10);
  });

  it('treats an empty string as unset', () => {
    const config = load({ PORT: '', JWT_SECRET: '' });
    expect(config.PORT).toBe(3000);
    expect(config.JWT_SECRET).toBeUndefined();
  });

  it.each<[string, Record<string, string>]>([
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '70000' }],
    ['PLAYTIME_FLUSH_INTERVAL_MS', { PLAYTIME_FLUSH_INTERVAL_MS: '-1' }],
    ['PLAYTIME_BATCH_SIZE', { PLAYTIME_BATCH_SIZE: '0' }],
    ['DATABASE_URL', { DATABASE_URL: 'notaurl' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://db/playtime' }],
    ['JWT_SECRET', { JWT_SECRET: 'too-short' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'true' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'proxy.example.com' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'cafe' }],
    ['TRUST_PROXY', { TRUST_PROXY: '1.2.3' }],
    ['TRUST_PROXY', { TRUST_PROXY: '10.0.0.0/33' }],
    ['MIN_RESUME_PERCENT', { MIN_RESUME_PERCENT: '90' }],
    ['MIN_RESUME_PERCENT', { MIN_RESUME_PERCENT: '50', FINISHED_PERCENT: '40' }],
    ['JWT_JWKS_URL', { JWT_JWKS_URL: 'ftp://x' }],
    ['REDIS_URL', { REDIS_URL: 'http://cache' }],
  ])('rejects a bad %s (%j) with a message naming it', (name, env) => {
    const err = configErrorFor(env);
    expect(err.message).toContain(name);
    expect(err.problems.some((p) => p.startsWith(`${name}:`))).toBe(true);
  });

  it('names every bad variable at once', () => {
    const err = configErrorFor({ PORT: 'abc', DATABASE_URL: 'notaurl', JWT_SECRET: 'short' });
    expect(err.problems).toHaveLength(3);
    for (const name of ['PORT', 'DATABASE_URL', 'JWT_SECRET']) expect(err.message).toContain(name);
  });

  it('accepts a MIN_RESUME_PERCENT just below FINISHED_PERCENT', () => {
    expect(load({ MIN_RESUME_PERCENT: '89' }).MIN_RESUME_PERCENT).toBe(89);
  });

  describe('TRUST_PROXY', () => {
    it('is false when unset, empty, "false" or "0"', () => {
      expect(load().TRUST_PROXY).toBe(false);
      expect(load({ TRUST_PROXY: '' }).TRUST_PROXY).toBe(false);
      expect(load({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(false);
      expect(load({ TRUST_PROXY: '0' }).TRUST_PROXY).toBe(false);
    });

    it('is a hop count for a whole number', () => {
      expect(load({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    });

    it('is a list of addresses/CIDRs for a comma-separated list', () => {
      expect(load({ TRUST_PROXY: '10.0.0.0/8,127.0.0.1' }).TRUST_PROXY).toEqual(['10.0.0.0/8', '127.0.0.1']);
      expect(load({ TRUST_PROXY: ' 10.0.0.0/8 , ::1, fd00::/8 ' }).TRUST_PROXY).toEqual(['10.0.0.0/8', '::1', 'fd00::/8']);
    });
  });

  describe('.env file', () => {
    let dir: string;
    let envFile: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'playtime-config-'));
      envFile = join(dir, '.env');
      writeFileSync(envFile, 'PORT=4321\nREPORT_CRON="0 3 * * *"\nFINISHED_PERCENT=80\n# a comment\nPLAYTIME_RATE_LIMIT=7\n');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('fills in what the environment leaves unset', () => {
      const config = loadConfig({}, envFile);
      expect(config.PORT).toBe(4321);
      expect(config.REPORT_CRON).toBe('0 3 * * *');
      expect(config.FINISHED_PERCENT).toBe(80);
      expect(config.PLAYTIME_RATE_LIMIT).toBe(7);
    });

    it('loses to the real environment', () => {
      const config = loadConfig({ PORT: '5000', FINISHED_PERCENT: '99' }, envFile);
      expect(config.PORT).toBe(5000);
      expect(config.FINISHED_PERCENT).toBe(99);
      // Variables the environment does not set still come from the file.
      expect(config.PLAYTIME_RATE_LIMIT).toBe(7);
    });

    it('still fills in a variable the environment sets to an empty string (empty counts as unset)', () => {
      expect(loadConfig({ PORT: '' }, envFile).PORT).toBe(4321);
    });

    it('is validated like the environment, naming the variable', () => {
      const bad = join(dir, 'bad.env');
      writeFileSync(bad, 'PLAYTIME_BATCH_SIZE=lots\n');
      expect(() => loadConfig({}, bad)).toThrow(ConfigError);
      expect(() => loadConfig({}, bad)).toThrow(/PLAYTIME_BATCH_SIZE/);
    });

    it('is optional: a missing file means defaults', () => {
      expect(loadConfig({}, join(dir, 'missing.env')).PORT).toBe(3000);
    });
  });
});
