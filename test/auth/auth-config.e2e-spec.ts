import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/app-config.js';
import { BUILT_MAIN } from '../utils/child-server.js';

const SECRET = 'a-real-secret-of-at-least-32-characters!';
const JWKS = 'https://idp.example.com/.well-known/jwks.json';

function problemsFor(env: Record<string, string>): string[] {
  try {
    loadConfig(env, null);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

/** Runs the built service with exactly `env` in an empty directory, until it exits. */
async function runService(env: Record<string, string>): Promise<{ code: number | null; output: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'playtime-auth-config-'));
  const child = spawn(process.execPath, [BUILT_MAIN], { cwd: dir, env: { PATH: process.env.PATH ?? '', PLAYTIME_DATA_DIR: join(dir, 'data'), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, output, dir };
}

describe('auth settings validated at start-up (SPEC §3)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('the built service refuses development-token mode under NODE_ENV=production, asking for JWT_SECRET or JWT_JWKS_URL', async () => {
    const { code, output, dir } = await runService({ NODE_ENV: 'production', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    dirs.push(dir);
    expect(code).toBe(1);
    expect(output).toMatch(/JWT_SECRET/);
    expect(output).toMatch(/JWT_JWKS_URL/);
    expect(output).toMatch(/production/);
    // No development secret was made up on the way.
    expect(existsSync(join(dir, 'data')) ? readdirSync(join(dir, 'data')) : []).toEqual([]);
  });

  it('the built service refuses JWT_JWKS_URL without JWT_AUDIENCE, naming the variable', async () => {
    const { code, output, dir } = await runService({ JWT_JWKS_URL: JWKS, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    dirs.push(dir);
    expect(code).toBe(1);
    expect(output).toMatch(/JWT_AUDIENCE: required with JWT_JWKS_URL/);
  });

  it.each<[string, Record<string, string>]>([
    ['development mode outside production', { NODE_ENV: 'development' }],
    ['development mode in tests', { NODE_ENV: 'test' }],
    ['JWT_SECRET in production', { NODE_ENV: 'production', JWT_SECRET: SECRET }],
    ['JWT_JWKS_URL with JWT_AUDIENCE in production', { NODE_ENV: 'production', JWT_JWKS_URL: JWKS, JWT_AUDIENCE: 'playtime-api' }],
  ])('accepts %s', (_name, env) => {
    expect(problemsFor(env)).toEqual([]);
  });

  it.each<[string, Record<string, string>, string]>([
    ['no token settings in production', { NODE_ENV: 'production' }, 'JWT_SECRET:'],
    ['JWKS without an audience', { JWT_JWKS_URL: JWKS }, 'JWT_AUDIENCE:'],
    ['JWKS without an audience, next to a secret', { JWT_JWKS_URL: JWKS, JWT_SECRET: SECRET }, 'JWT_AUDIENCE:'],
    ['a failure limit of zero', { AUTH_FAILURE_LIMIT: '0' }, 'AUTH_FAILURE_LIMIT:'],
  ])('refuses %s, naming the variable', (_name, env, prefix) => {
    const problems = problemsFor(env);
    expect(problems).toHaveLength(1);
    expect(problems[0].startsWith(prefix)).toBe(true);
  });
});
