import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { FallbackReporter, type FallbackCounter } from '../../src/redis/fallback-reporter.js';
import { RedisGuard } from '../../src/redis/redis-guard.js';
import { RedisThrottlerStorage } from '../../src/redis/redis-throttler.storage.js';
import type { RedisComponent } from '../../src/redis/redis.constants.js';
import { freePort } from '../utils/child-server.js';
import { startRedis, type RedisServer } from './redis-server.js';

class CountingMetrics implements FallbackCounter {
  readonly counts: Record<RedisComponent, number> = { throttler: 0, cache: 0 };
  redisFallback(component: RedisComponent, n = 1): void {
    this.counts[component] += n;
  }
}

/** A Logger that remembers what it was told instead of printing it. */
function recordingLogger() {
  const warnings: string[] = [];
  const infos: string[] = [];
  const logger = new Logger('test');
  logger.warn = (m: unknown) => void warnings.push(String(m));
  logger.log = (m: unknown) => void infos.push(String(m));
  return { logger, warnings, infos };
}

/** The throttler's Redis storage against a real redis-server. */
describe('RedisThrottlerStorage (real redis-server)', () => {
  let redis: RedisServer;
  const clients: Redis[] = [];
  const storages: RedisThrottlerStorage[] = [];

  const connect = async (port: number) => {
    // No timeouts that a busy machine could reach: a fallback here would pass for a wrong count.
    const c = new Redis({ host: '127.0.0.1', port, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    c.on('error', () => undefined);
    clients.push(c);
    await new Promise<void>((resolve) => (c.status === 'ready' ? resolve() : c.once('ready', () => resolve())));
    return c;
  };
  const storage = (client: Redis, metrics = new CountingMetrics(), logger = recordingLogger().logger) => {
    const s = new RedisThrottlerStorage(client, new FallbackReporter('throttler', 'per instance', logger, metrics), new RedisGuard(3_600_000));
    storages.push(s);
    return s;
  };

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const s of storages) s.onApplicationShutdown();
    for (const c of clients) c.disconnect();
    await redis.stop();
  });

  it('counts hits in a fixed window and refuses the (limit+1)-th with the time left to wait', async () => {
    const s = storage(await connect(redis.port));
    const records = [];
    for (let i = 0; i < 3; i++) records.push(await s.increment('k-window', 60_000, 3, 60_000, 'user'));
    expect(records.map((r) => r.totalHits)).toEqual([1, 2, 3]);
    for (const r of records) expect(r).toMatchObject({ isBlocked: false, timeToBlockExpire: 0, timeToExpire: 60 });
    const refused = await s.increment('k-window', 60_000, 3, 60_000, 'user');
    expect(refused).toMatchObject({ isBlocked: true, timeToBlockExpire: 60 });
    // Still refused, without counting: the block is a fixed 60 s from the first refusal.
    const again = await s.increment('k-window', 60_000, 3, 60_000, 'user');
    expect(again.isBlocked).toBe(true);
    expect(again.timeToBlockExpire).toBeGreaterThanOrEqual(59);
    expect(again.timeToBlockExpire).toBeLessThanOrEqual(60);
  });

  it('starts a new window when the ttl (milliseconds) has passed', async () => {
    const s = storage(await connect(redis.port));
    expect((await s.increment('k-expiry', 300, 2, 0, 'user')).totalHits).toBe(1);
    expect((await s.increment('k-expiry', 300, 2, 0, 'user')).totalHits).toBe(2);
    expect((await s.increment('k-expiry', 300, 2, 0, 'user')).isBlocked).toBe(true);
    const probe = redis.client();
    const pttl = await probe.pttl('playtime:throttler:user:{k-expiry}:hits');
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(300);
    await redis.expiry('playtime:throttler:user:{k-expiry}:hits');
    expect(await s.increment('k-expiry', 300, 2, 0, 'user')).toMatchObject({ totalHits: 1, isBlocked: false });
    expect(await probe.exists('playtime:throttler:user:{k-expiry}:hits')).toBe(1);
  });

  it('blocks for blockDuration, then counts from zero again', async () => {
    const s = storage(await connect(redis.port));
    for (let i = 1; i <= 2; i++) expect((await s.increment('k-block', 60_000, 2, 400, 'user')).isBlocked).toBe(false);
    const blocked = await s.increment('k-block', 60_000, 2, 400, 'user');
    expect(blocked).toMatchObject({ isBlocked: true, timeToBlockExpire: 1 });
    const blockLeft = await redis.client().pttl('playtime:throttler:user:{k-block}:block');
    expect(blockLeft).toBeGreaterThan(0);
    expect(blockLeft).toBeLessThanOrEqual(400);
    // While the block lasts, further hits are refused.
    expect((await s.increment('k-block', 60_000, 2, 400, 'user')).isBlocked).toBe(true);
    await redis.expiry('playtime:throttler:user:{k-block}:block');
    // The block has ended: a fresh budget of 2, even though the 60 s window has not.
    expect(await s.increment('k-block', 60_000, 2, 400, 'user')).toMatchObject({ totalHits: 1, isBlocked: false });
    expect((await s.increment('k-block', 60_000, 2, 400, 'user')).totalHits).toBe(2);
    expect((await s.increment('k-block', 60_000, 2, 400, 'user')).isBlocked).toBe(true);
  });

  it('keeps throttlers apart: the same key under two names has two budgets', async () => {
    const s = storage(await connect(redis.port));
    expect((await s.increment('k-shared', 60_000, 1, 60_000, 'user')).isBlocked).toBe(false);
    expect((await s.increment('k-shared', 60_000, 1, 60_000, 'user')).isBlocked).toBe(true);
    expect((await s.increment('k-shared', 60_000, 1, 60_000, 'ip')).isBlocked).toBe(false);
    const keys = (await redis.client().keys('playtime:throttler:*k-shared*')).sort();
    expect(keys).toEqual(['playtime:throttler:ip:{k-shared}:hits', 'playtime:throttler:user:{k-shared}:block']);
  });

  it('is exact under concurrency: 300 hits at once through two connections admit exactly `limit`', async () => {
    const metrics = new CountingMetrics();
    const a = storage(await connect(redis.port), metrics);
    const b = storage(await connect(redis.port), metrics);
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => (i % 2 ? a : b).increment('k-race', 60_000, 120, 60_000, 'user')),
    );
    expect(results.filter((r) => !r.isBlocked)).toHaveLength(120);
    expect(metrics.counts.throttler).toBe(0); // every answer came from Redis
    const admittedHits = results.filter((r) => !r.isBlocked).map((r) => r.totalHits).sort((x, y) => x - y);
    expect(admittedHits).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
  });

  it('loads its script again after SCRIPT FLUSH (a restarted Redis)', async () => {
    const s = storage(await connect(redis.port));
    expect((await s.increment('k-noscript', 60_000, 5, 0, 'user')).totalHits).toBe(1);
    await redis.client().script('FLUSH');
    const metrics = new CountingMetrics();
    const s2 = storage(await connect(redis.port), metrics);
    expect((await s2.increment('k-noscript', 60_000, 5, 0, 'user')).totalHits).toBe(2);
    expect(metrics.counts.throttler).toBe(0);
  });

  it('answers from memory when Redis is unreachable: counted, warned once per interval, still limiting', async () => {
    const deadPort = await freePort();
    // Neither the client nor the guard would give up within the test: a call that waited for an
    // answer would never return, so four answers mean nothing waited on the dead server.
    const client = new Redis({ host: '127.0.0.1', port: deadPort, enableOfflineQueue: false, commandTimeout: 3_600_000, retryStrategy: () => 1000 });
    client.on('error', () => undefined);
    clients.push(client);
    const metrics = new CountingMetrics();
    const log = recordingLogger();
    const s = storage(client, metrics, log.logger);
    const records = [];
    for (let i = 0; i < 4; i++) records.push(await s.increment('k-down', 60_000, 3, 60_000, 'user'));
    expect(records.map((r) => r.isBlocked)).toEqual([false, false, false, true]);
    expect(metrics.counts.throttler).toBe(4);
    expect(log.warnings).toHaveLength(1);
    expect(log.warnings[0]).toMatch(/Redis unavailable for the throttler/);
    expect(log.warnings[0]).not.toMatch(/RedisTimeoutError|timed out/);
  });
});
