import { SWEEP_EVERY_MS, WindowThrottlerStorage } from './window-throttler.storage.js';

const MINUTE = 60_000;

/** A storage on a clock the test moves by hand. */
function storageAt(start = 1_000_000): { s: WindowThrottlerStorage; advance(ms: number): void } {
  let t = start;
  return { s: new WindowThrottlerStorage(() => t), advance: (ms) => void (t += ms) };
}

describe('WindowThrottlerStorage', () => {
  it('counts hits up to the limit, then blocks the next one for the block duration', async () => {
    const { s, advance } = storageAt();
    for (let i = 1; i <= 3; i++) {
      const r = await s.increment('k', MINUTE, 3, MINUTE, 'user');
      expect(r).toEqual({ totalHits: i, timeToExpire: 70 - 10 * i, isBlocked: false, timeToBlockExpire: 0 });
      advance(10_000);
    }
    // 30 s into the window: the 4th hit starts a block of a full block duration.
    const refused = await s.increment('k', MINUTE, 3, MINUTE, 'user');
    expect(refused).toMatchObject({ totalHits: 4, isBlocked: true, timeToBlockExpire: 60 });
  });

  it('answers Retry-After as the whole seconds left of the block, rounded up', async () => {
    const { s, advance } = storageAt();
    await s.increment('k', MINUTE, 1, MINUTE, 'user');
    await s.increment('k', MINUTE, 1, MINUTE, 'user');
    advance(59_001);
    expect(await s.increment('k', MINUTE, 1, MINUTE, 'user')).toMatchObject({ isBlocked: true, timeToBlockExpire: 1 });
    advance(998);
    expect(await s.increment('k', MINUTE, 1, MINUTE, 'user')).toMatchObject({ isBlocked: true, timeToBlockExpire: 1, totalHits: 2 });
  });

  it('ends the block at exactly its duration and starts counting again from zero', async () => {
    const { s, advance } = storageAt();
    await s.increment('k', MINUTE, 2, 5_000, 'user');
    await s.increment('k', MINUTE, 2, 5_000, 'user');
    expect((await s.increment('k', MINUTE, 2, 5_000, 'user')).isBlocked).toBe(true);
    advance(4_999);
    expect((await s.increment('k', MINUTE, 2, 5_000, 'user')).isBlocked).toBe(true);
    advance(1);
    expect(await s.increment('k', MINUTE, 2, 5_000, 'user')).toEqual({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
  });

  it('starts a new window at the window edge, not one millisecond before', async () => {
    const { s, advance } = storageAt();
    await s.increment('k', MINUTE, 2, MINUTE, 'user');
    advance(MINUTE - 1);
    expect(await s.increment('k', MINUTE, 2, MINUTE, 'user')).toEqual({ totalHits: 2, timeToExpire: 1, isBlocked: false, timeToBlockExpire: 0 });
    advance(1);
    // The window opened by the first hit is over: this is the first hit of a new one.
    expect(await s.increment('k', MINUTE, 2, MINUTE, 'user')).toEqual({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
  });

  it('with no block duration, refuses hits beyond the limit until the window ends, and says when', async () => {
    const { s, advance } = storageAt();
    await s.increment('k', 10_000, 1, 0, 'ip');
    advance(2_500);
    expect(await s.increment('k', 10_000, 1, 0, 'ip')).toEqual({ totalHits: 2, timeToExpire: 8, isBlocked: true, timeToBlockExpire: 8 });
    advance(7_500);
    expect((await s.increment('k', 10_000, 1, 0, 'ip')).isBlocked).toBe(false);
  });

  it('keeps keys and throttler names apart', async () => {
    const { s } = storageAt();
    await s.increment('a', MINUTE, 1, MINUTE, 'user');
    expect((await s.increment('a', MINUTE, 1, MINUTE, 'ip')).isBlocked).toBe(false);
    expect((await s.increment('b', MINUTE, 1, MINUTE, 'user')).isBlocked).toBe(false);
    expect((await s.increment('a', MINUTE, 1, MINUTE, 'user')).isBlocked).toBe(true);
  });

  it('holds a count, not one entry per hit: a limit of a million costs one key', async () => {
    const { s } = storageAt();
    for (let i = 0; i < 10_000; i++) s.hit('hot', MINUTE, 1_000_000, MINUTE);
    expect(s.hit('hot', MINUTE, 1_000_000, MINUTE).totalHits).toBe(10_001);
    expect(s.size).toBe(1);
  });

  it('drops expired keys in a sweep at most once per sweep interval, and keeps blocked ones', async () => {
    const { s, advance } = storageAt();
    for (let i = 0; i < 100; i++) await s.increment(`viewer-${i}`, 10_000, 5, 10_000, 'user');
    // One key blocked for longer than the sweep interval.
    await s.increment('blocked', MINUTE, 0, 3 * SWEEP_EVERY_MS, 'user');
    expect(s.size).toBe(101);
    advance(SWEEP_EVERY_MS - 1);
    await s.increment('late', 10_000, 5, 10_000, 'user');
    // Windows are over, but no sweep is due yet: nothing is scanned on an ordinary request.
    expect(s.size).toBe(102);
    advance(1);
    await s.increment('late-2', 10_000, 5, 10_000, 'user');
    // Swept: the 100 old windows are gone; the block, the live 'late' window and the new key stay.
    expect(s.size).toBe(3);
    expect((await s.increment('blocked', MINUTE, 0, 3 * SWEEP_EVERY_MS, 'user')).isBlocked).toBe(true);
  });
});
