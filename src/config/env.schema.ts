import { isIP } from 'node:net';
import { validateCronExpression } from 'cron';
import { z } from 'zod';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const url = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine((v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    }, `must be a URL (${protocols.join(' or ')})`);

/** An IPv4/IPv6 address, optionally with a prefix length that fits it (what Fastify's proxy-addr accepts). */
function isAddressOrCidr(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/**
 * `TRUST_PROXY`: how many proxy hops in front of the service may be trusted for
 * `X-Forwarded-For`, or a comma-separated list of trusted proxy addresses/CIDRs.
 * Never `true`: that would let any client choose its own IP.
 */
const trustProxy = z
  .string()
  .trim()
  .transform((v, ctx): number | string[] | false => {
    if (v === '' || v === 'false' || v === '0') return false;
    if (/^\d+$/.test(v)) return Number(v);
    if (v === 'true') {
      ctx.addIssue({ code: 'custom', message: 'use a hop count or a list of proxy addresses, never true' });
      return z.NEVER;
    }
    const list = v.split(',').map((s) => s.trim()).filter(Boolean);
    if (!list.every(isAddressOrCidr)) {
      ctx.addIssue({ code: 'custom', message: 'must be a hop count or a comma-separated list of IPs/CIDRs' });
      return z.NEVER;
    }
    return list;
  });

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), 'must be true or false')
  .transform((v) => ['true', '1', 'yes'].includes(v));

/** Every environment variable the service reads, with its default. `.env.example` lists the same. */
export const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: int(0, 65535).default(3000),
    HOST: z.string().trim().min(1).default('0.0.0.0'),
    WEB_CONCURRENCY: int(1, 256).default(1),
    DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
    PLAYTIME_DATA_DIR: z.string().trim().min(1).default('.data'),
    // Unset: a free port is picked on first start and kept under PLAYTIME_DATA_DIR (pg-port).
    EMBEDDED_PG_PORT: int(1, 65535).optional(),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    JWT_JWKS_URL: url(['http:', 'https:']).optional(),
    JWT_ISSUER: z.string().trim().min(1).optional(),
    JWT_AUDIENCE: z.string().trim().min(1).optional(),
    /** Failed authentications (401) per client IP per minute before that IP gets 429. */
    AUTH_FAILURE_LIMIT: int(1).default(100),
    REDIS_URL: url(['redis:', 'rediss:']).optional(),
    PLAYTIME_FLUSH_INTERVAL_MS: int(0, 3_600_000).default(5000),
    PLAYTIME_BATCH_SIZE: int(1, 100_000).default(5000),
    PLAYTIME_MAX_PENDING: int(1, 10_000_000).default(200_000),
    PLAYTIME_MAX_PENDING_SESSIONS_PER_USER: int(1, 1_000_000).default(1000),
    PLAYTIME_RATE_LIMIT: int(1).default(30),
    PLAYTIME_IP_RATE_LIMIT: int(1).default(600),
    TRUST_PROXY: trustProxy.default(false),
    FINISHED_PERCENT: int(1, 100).default(90),
    MIN_RESUME_PERCENT: int(0, 100).default(5),
    HISTORY_WRITE_RATE_LIMIT: int(1).default(30),
    /** Per-user ceiling: credited time per UTC hour is at most this many × 3600 s. */
    MAX_STREAMS_PER_USER: int(1, 1000).default(4),
    /** Plays, short items and stale items (SPEC §7); users may override the stale window. */
    MIN_PLAY_SECONDS: int(0, 86_400).default(60),
    MIN_RESUME_DURATION_SECONDS: int(0, 86_400).default(300),
    CONTINUE_WATCHING_DAYS: int(0, 3650).default(112),
    /** An instance that has not reported for this long is taken as gone (see README, pruning). */
    INSTANCE_LEASE_MS: int(60_000).default(86_400_000),
    /** How often one instance prunes delete tombstones that can no longer matter; 0 turns it off. */
    TOMBSTONE_PRUNE_INTERVAL_MS: int(0).default(60_000),
    REPORT_CRON: z
      .string()
      .trim()
      .refine((v) => validateCronExpression(v).valid, 'must be a cron expression (e.g. "15 0 * * *")')
      .default('15 0 * * *'),
    CATALOG_CACHE_TTL_MS: int(0).default(60_000),
    SHUTDOWN_FLUSH_TIMEOUT_MS: int(0).default(25_000),
    DB_STATEMENT_TIMEOUT_MS: int(0, 86_400_000).default(60_000),
    DB_LOCK_TIMEOUT_MS: int(0, 86_400_000).default(10_000),
    DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: int(0, 86_400_000).default(60_000),
    DOCS_ENABLED: bool.default(true),
    CORS_ORIGINS: z
      .string()
      .trim()
      .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
      .refine((list) => list.every((o) => o === '*' || /^https?:\/\/[^/\s]+$/.test(o)), 'must be a comma-separated list of origins like https://app.example.com, or *')
      .optional(),
    DEMO_ENABLED: bool.optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'verbose']).default('info'),
  })
  .superRefine((env, ctx) => {
    // Development tokens are signed with a secret the service made up itself: anyone who can
    // read the data directory can mint an admin token. Never in production.
    if (env.NODE_ENV === 'production' && !env.JWT_SECRET && !env.JWT_JWKS_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_SECRET'],
        message:
          'NODE_ENV=production refuses development tokens: set JWT_SECRET (HS256, 32+ characters) or JWT_JWKS_URL (your identity provider\'s keys)',
      });
    }
    // A provider issues tokens to many applications: without an audience check, a token meant
    // for another application (admin role included) would pass here.
    if (env.JWT_JWKS_URL && !env.JWT_AUDIENCE) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_AUDIENCE'],
        message: 'required with JWT_JWKS_URL: the audience (aud) your identity provider puts in tokens for this service',
      });
    }
    if (env.MIN_RESUME_PERCENT >= env.FINISHED_PERCENT) {
      ctx.addIssue({
        code: 'custom',
        path: ['MIN_RESUME_PERCENT'],
        message: `must be below FINISHED_PERCENT (${env.FINISHED_PERCENT})`,
      });
    }
  });

export type Env = z.output<typeof envSchema>;
