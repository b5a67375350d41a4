import { Logger } from '@nestjs/common';
import { FallbackReporter } from '../../src/redis/fallback-reporter.js';
import { RedisGuard, RedisSkippedError, RedisTimeoutError } from '../../src/redis/redis-guard.js';

/**
 * What bounds a request's wait on a hung or dead Redis, with time moved by hand: the e2e tests
 * against a real redis-server check the outcomes, these check the timing rules exactly.
 */
describe('RedisGuard (moved time)', () => {
  let now = 0;
  const guard = () => new RedisGuard(500, 1_000, () => now);
  const never = () => new Promise<never>(() => undefined);

  beforeEach(() => {
    now = 0;
    jest.useFakeTimers();
  });
  afterEach(() => jest.useRealTimers());

  /** Settles `p` into an outcome without letting an unhandled rejection escape. */
  function outcome<T>(p: Promise<T>): { value: () => T | Error | 'pending' } {
    let result: T | Error | 'pending' = 'pending';
    p.then((v) => (result = v), (e: Error) => (result = e));
    return { value: () => result };
  }

  it('gives a hung operation exactly its timeout, then fails it', async () => {
    const g = guard();
    const hung = outcome(g.run(never));
    await jest.advanceTimersByTimeAsync(499);
    expect(hung.value()).toBe('pending');
    await jest.advanceTimersByTimeAsync(1);
    expect(hung.value()).toBeInstanceOf(RedisTimeoutError);
  });

  it('after a failure, skips Redis at once until the retry interval has passed, then probes it again', async () => {
    const g = guard();
    const first = outcome(g.run(never));
    await jest.advanceTimersByTimeAsync(500);
    expect(first.value()).toBeInstanceOf(RedisTimeoutError);

    let calls = 0;
    const answer = async () => {
      calls++;
      return 'ok';
    };
    now = 999; // still within the interval: not even sent
    await expect(g.run(answer)).rejects.toBeInstanceOf(RedisSkippedError);
    await expect(g.run(answer)).rejects.toBeInstanceOf(RedisSkippedError);
    expect(calls).toBe(0);
    now = 1_000;
    await expect(g.run(answer)).resolves.toBe('ok');
    await expect(g.run(answer)).resolves.toBe('ok');
    expect(calls).toBe(2);
  });

  it('a refused operation starts the same interval as a hung one', async () => {
    const g = guard();
    await expect(g.run(() => Promise.reject(new Error('ECONNREFUSED')))).rejects.toThrow('ECONNREFUSED');
    now = 999;
    await expect(g.run(async () => 'ok')).rejects.toBeInstanceOf(RedisSkippedError);
    now = 1_000;
    await expect(g.run(async () => 'ok')).resolves.toBe('ok');
  });

  it('leaves no timer behind once an operation answered', async () => {
    await guard().run(async () => 'ok');
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('FallbackReporter (moved time)', () => {
  let now = 0;
  const recorded = () => {
    const warnings: string[] = [];
    const infos: string[] = [];
    const logger = new Logger('test');
    logger.warn = (m: unknown) => void warnings.push(String(m));
    logger.log = (m: unknown) => void infos.push(String(m));
    const counts = { n: 0 };
    const reporter = new FallbackReporter('throttler', 'per instance', logger, { redisFallback: (_c, k = 1) => void (counts.n += k) }, 10_000, () => now);
    return { reporter, warnings, infos, counts };
  };

  beforeEach(() => (now = 0));

  it('counts every fallback, warns at most once per interval with how many it stands for, and says when Redis is back', () => {
    const { reporter, warnings, infos, counts } = recorded();
    reporter.fellBack(new Error('first'));
    now = 9_999;
    reporter.fellBack(new Error('second'));
    reporter.fellBack(new Error('third'));
    expect(counts.n).toBe(3);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/Redis unavailable for the throttler \(Error: first\): per instance; 1 fallback\(s\)/);
    now = 10_000;
    reporter.fellBack(new Error('fourth'));
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toMatch(/\(Error: fourth\).*3 fallback\(s\) since the last warning/);

    reporter.succeeded();
    reporter.succeeded();
    expect(infos).toEqual(['Redis answers again: the throttler uses it again (4 fallback(s) during the outage)']);
    // The next outage is reported at once, whatever the interval.
    now = 10_001;
    reporter.fellBack(new Error('again'));
    expect(warnings).toHaveLength(3);
  });
});
