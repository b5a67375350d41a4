/*
 * Past ~300 lines: one spec per behaviour of the scheduler (interval, full batch, back-off from
 * 1 s to its 30 s cap, quick retries, bisection and set-aside, per-user flush, write-through, the
 * drain and its deadline), each driving a fake writer on a manual clock. They share the set-up at
 * the top; splitting by behaviour would copy it into every file.
 */
import { HttpStatus } from '@nestjs/common';
import { FakeClock } from '../../test/utils/fake-clock.js';
import { RetryLaterException } from '../common/errors.js';
import { FlushScheduler, type FlushEnd, type FlushOptions } from './flush-scheduler.js';
import type { Heartbeat } from './heartbeat.js';
import type { PendingItem } from './pending-item.js';
import { PendingStore } from './pending-store.js';


const hb = (over: Partial<Heartbeat> = {}): Heartbeat => ({
  sessionId: 's1', mediaType: 'movie', mediaId: 1, seasonNumber: null, episodeNumber: null,
  currentTime: 100, totalDuration: 1000, playedSeconds: 10, event: 'progress', ...over,
});
const dbError = (code: string) => Object.assign(new Error(`failed with ${code}`), { code });

/** A stand-in for the repository: records batches, answers as the test says. */
class FakeWriter {
  batches: PendingItem[][] = [];
  /** Answers each call; by default the batch is stored. */
  answer: (batch: PendingItem[]) => Promise<void> = async () => undefined;
  applyBatch = async (batch: PendingItem[]) => {
    this.batches.push(batch.map((i) => ({ ...i, sessions: new Map(i.sessions) })));
    await this.answer(batch);
    return { statements: 6, rowsWritten: 3 * batch.length };
  };
  stored(): number[] {
    return this.batches.flatMap((b) => b.map((i) => i.mediaId));
  }
}

/** A promise the test settles by hand: a flush that hangs until then. */
function gate() {
  let open!: () => void;
  let fail!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((open = res), (fail = rej)));
  return { promise, open, fail };
}

describe('FlushScheduler', () => {
  let clock: FakeClock;
  let store: PendingStore;
  let writer: FakeWriter;
  let setAside: { item: PendingItem; code: string }[];
  let rejectSink: (item: PendingItem, code: string) => Promise<void>;
  let scheduler: FlushScheduler;
  let ends: FlushEnd[];
  let logs: { level: string; message: unknown }[];

  function make(over: Partial<FlushOptions> = {}) {
    clock = new FakeClock().manualTimers();
    store = new PendingStore();
    writer = new FakeWriter();
    setAside = [];
    logs = [];
    rejectSink = async (item, code) => void setAside.push({ item, code });
    const logger = Object.fromEntries(['log', 'debug', 'warn', 'error'].map((level) => [level, (message: unknown) => logs.push({ level, message })]));
    scheduler = new FlushScheduler(
      store,
      writer,
      { setAside: (item, code) => rejectSink(item, code) },
      clock,
      { batchSize: 100, flushIntervalMs: 5000, shutdownTimeoutMs: 10_000, ...over },
      { flushed: () => undefined, flushFailed: () => undefined, itemSetAside: () => undefined },
      logger as never,
    );
    ends = [];
    scheduler.on('flushEnd', (e) => ends.push(e));
  }
  const accept = (userId: string, ...beats: Partial<Heartbeat>[]) => {
    store.accept(userId, beats.map(hb), clock.now());
    scheduler.accepted();
  };

  beforeEach(() => make());

  it('flushes what is pending on the interval, in one batch', async () => {
    accept('u', { mediaId: 1 }, { mediaId: 2 });
    accept('v', { mediaId: 3 });
    await scheduler.tick();
    expect(writer.batches.map((b) => b.map((i) => i.mediaId))).toEqual([[1, 2, 3]]);
    expect(store.size).toBe(0);
    expect(scheduler.counters).toMatchObject({ flushes: 1, statements: 6, rowsWritten: 9, flushFailures: 0 });
    expect(ends).toEqual([{ items: 3, putBack: 0 }]);
    await scheduler.tick();
    expect(writer.batches).toHaveLength(1); // nothing pending: no empty flush
  });

  it('flushes as soon as a batch is full, one batch after another while full ones wait', async () => {
    make({ batchSize: 2 });
    accept('u', { mediaId: 1 });
    expect(writer.batches).toHaveLength(0);
    const g = gate();
    writer.answer = () => g.promise;
    accept('u', { mediaId: 2 });
    expect(scheduler.flushInProgress).toBe(true);
    accept('u', { mediaId: 3 }, { mediaId: 4 });
    accept('u', { mediaId: 5 });
    g.open();
    await scheduler.flush();
    expect(writer.batches.map((b) => b.map((i) => i.mediaId))).toEqual([[1, 2], [3, 4], [5]]);
  });

  describe('when the database fails', () => {
    beforeEach(() => {
      writer.answer = () => Promise.reject(dbError('ECONNREFUSED'));
    });

    it('keeps the items and backs off 1 s, 2 s, 4 s … up to 30 s, on the injected clock', async () => {
      accept('u', { mediaId: 1 });
      await expect(scheduler.flush()).rejects.toThrow('flush failed');
      expect(store.size).toBe(1);
      expect(scheduler.backingOff).toBe(true);
      expect(scheduler.retryAfterSeconds()).toBe(5); // the interval is longer than the back-off
      clock.advance(999);
      await scheduler.tick();
      expect(writer.batches).toHaveLength(1);
      clock.advance(1);
      expect(scheduler.backingOff).toBe(false);
      await scheduler.tick();
      expect(writer.batches).toHaveLength(2);
      clock.advance(1999);
      expect(scheduler.backingOff).toBe(true);
      clock.advance(1);
      expect(scheduler.backingOff).toBe(false);
      for (let n = 3; n <= 8; n++) await scheduler.tick().then(() => clock.advance(60_000));
      await scheduler.tick();
      expect(scheduler.retryAfterSeconds()).toBe(30);
      clock.advance(29_999);
      expect(scheduler.backingOff).toBe(true);
      clock.advance(1);
      expect(scheduler.backingOff).toBe(false);
    });

    it('does not start a flush for a full batch while backing off', async () => {
      make({ batchSize: 2 });
      writer.answer = () => Promise.reject(dbError('57P01'));
      accept('u', { mediaId: 1 }, { mediaId: 2 });
      await scheduler.flush().catch(() => undefined);
      const calls = writer.batches.length;
      accept('u', { mediaId: 3 }, { mediaId: 4 });
      expect(scheduler.flushInProgress).toBe(false);
      expect(writer.batches).toHaveLength(calls);
      writer.answer = async () => undefined;
      clock.advance(1000);
      accept('u', { mediaId: 5 });
      await scheduler.flush();
      expect(store.size).toBe(0);
    });

    it('merges heartbeats that arrived during the failed flush into what it puts back', async () => {
      const g = gate();
      writer.answer = () => g.promise;
      accept('u', { playedSeconds: 10, currentTime: 110 });
      const first = scheduler.flush();
      clock.advance(10_000);
      accept('u', { playedSeconds: 20, currentTime: 120 }, { sessionId: 's2', playedSeconds: 5, currentTime: 125 });
      g.fail(dbError('08006'));
      await expect(first).rejects.toThrow('flush failed');
      writer.answer = async () => undefined;
      await scheduler.flush();
      const last = writer.batches.at(-1)!;
      expect(last).toHaveLength(1);
      expect([...last[0].sessions].map(([id, s]) => [id, s.maxPlayed])).toEqual([['s1', 20], ['s2', 5]]);
      expect(last[0].currentTime).toBe(125);
    });
  });

  it('retries deadlocks and serialization failures quickly inside the flush, three tries in all', async () => {
    let failures = 2;
    writer.answer = async () => {
      if (failures-- > 0) throw dbError(failures ? '40P01' : '40001');
    };
    accept('u', {});
    const done = scheduler.flush();
    await clock.elapse(200);
    await done;
    expect(writer.batches).toHaveLength(3);
    expect(scheduler.counters).toMatchObject({ flushes: 1, flushFailures: 2 });
    expect(scheduler.backingOff).toBe(false);

    writer.answer = () => Promise.reject(dbError('40P01'));
    accept('u', { mediaId: 2 });
    const failed = scheduler.flush();
    const settled = expect(failed).rejects.toThrow('flush failed');
    await clock.elapse(200);
    await settled;
    expect(writer.batches).toHaveLength(6);
    expect(scheduler.backingOff).toBe(true);
  });

  it('bisects a batch the database refuses for its data and sets aside only the refused items', async () => {
    for (let m = 1; m <= 7; m++) accept('u', { mediaId: m });
    writer.answer = async (batch) => {
      if (batch.some((i) => i.mediaId === 3 || i.mediaId === 6)) throw dbError('22021');
    };
    await scheduler.flush();
    expect(setAside.map((r) => [r.item.mediaId, r.code])).toEqual([[3, '22021'], [6, '22021']]);
    const committed = writer.batches.filter((b) => !b.some((i) => i.mediaId === 3 || i.mediaId === 6));
    expect(committed.flat().map((i) => i.mediaId).sort()).toEqual([1, 2, 4, 5, 7]);
    expect(scheduler.counters.itemsSetAside).toBe(2);
    expect(store.size).toBe(0);
    expect(scheduler.backingOff).toBe(false);
  });

  it('keeps a refused item when setting it aside fails for another reason, and keeps the rest of the batch when the database goes away mid-bisection', async () => {
    accept('u', { mediaId: 1 }, { mediaId: 2 }, { mediaId: 3 });
    writer.answer = async (batch) => {
      if (batch.some((i) => i.mediaId === 1)) throw dbError('23505');
    };
    rejectSink = () => Promise.reject(dbError('ECONNRESET'));
    await expect(scheduler.flush()).rejects.toThrow('flush failed');
    expect(store.unflushedForUser('u').map((i) => i.mediaId).sort()).toEqual([1, 2, 3]);
    expect(scheduler.backingOff).toBe(true);
  });

  it('drops, loudly, an item whose set-aside row is refused as well', async () => {
    accept('u', {});
    writer.answer = () => Promise.reject(dbError('22P05'));
    rejectSink = () => Promise.reject(dbError('22021'));
    await scheduler.flush();
    expect(store.size).toBe(0);
    expect(logs.some((l) => l.level === 'error' && JSON.stringify(l.message).includes('ingest item dropped'))).toBe(true);
  });

  describe('flushUser', () => {
    it('stores only the caller’s items', async () => {
      accept('u', { mediaId: 1 }, { mediaId: 2 });
      accept('v', { mediaId: 3 });
      await scheduler.flushUser('u');
      expect(writer.stored()).toEqual([1, 2]);
      expect(store.unflushedForUser('v')).toHaveLength(1);
    });

    it('waits for the flush already holding some of them, then stores what that flush put back', async () => {
      const g = gate();
      writer.answer = () => g.promise;
      accept('u', { mediaId: 1 });
      const instance = scheduler.tick();
      accept('u', { mediaId: 2 });
      writer.answer = async () => undefined;
      let userDone = false;
      const user = scheduler.flushUser('u').then(() => (userDone = true));
      await clock.elapse(0);
      expect(writer.stored()).toEqual([1, 2]); // its own item at once, beside the instance's flush
      expect(userDone).toBe(false); // item 1 is still in the instance's flight
      g.fail(dbError('ECONNREFUSED'));
      await instance;
      await user;
      expect(writer.stored()).toEqual([1, 2, 1]); // put back, then stored by the user's flush
      expect(store.size).toBe(0);
    });

    it('answers 503 with the back-off left when the database refuses', async () => {
      writer.answer = () => Promise.reject(dbError('ECONNREFUSED'));
      accept('u', {});
      const err = await scheduler.flushUser('u').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RetryLaterException);
      expect((err as RetryLaterException).getStatus()).toBe(HttpStatus.SERVICE_UNAVAILABLE);
      expect((err as RetryLaterException).retryAfterSeconds).toBe(5);
      expect(store.size).toBe(1);
    });
  });

  describe('write-through', () => {
    beforeEach(() => make({ flushIntervalMs: 0 }));

    it('writes a request before answering, one item per key', async () => {
      await scheduler.writeNow('u', [hb({ playedSeconds: 5 }), hb({ playedSeconds: 9 }), hb({ mediaId: 2 })], clock.now());
      expect(writer.batches.map((b) => b.map((i) => [i.mediaId, i.sessions.get('s1')!.maxPlayed]))).toEqual([[[1, 9], [2, 10]]]);
      expect(store.size).toBe(0);
      expect(logs.filter((l) => l.level === 'log')).toEqual([]); // per-request flush lines are debug
    });

    it('queues what it could not write, for the interval to retry', async () => {
      writer.answer = () => Promise.reject(dbError('ECONNREFUSED'));
      await scheduler.writeNow('u', [hb()], clock.now());
      expect(store.size).toBe(1);
      expect(scheduler.retryAfterSeconds()).toBe(1);
      writer.answer = async () => undefined;
      clock.advance(1000);
      await scheduler.tick();
      expect(store.size).toBe(0);
    });
  });

  describe('drain', () => {
    it('flushes everything, full batches back to back, and stops the interval’s flushes', async () => {
      make({ batchSize: 2 });
      const g = gate();
      writer.answer = () => g.promise;
      accept('u', { mediaId: 1 });
      void scheduler.tick();
      for (let m = 2; m <= 6; m++) accept('u', { mediaId: m });
      writer.answer = async () => undefined;
      const drained = scheduler.drain();
      expect(scheduler.isDraining).toBe(true);
      g.open();
      expect(await drained).toBe(true);
      expect(store.size).toBe(0);
      accept('u', { mediaId: 7 });
      await scheduler.tick();
      expect(store.size).toBe(1);
    });

    it('retries every 500 ms while the database fails, until it is back', async () => {
      let failing = 3;
      writer.answer = async () => {
        if (failing-- > 0) throw dbError('ECONNREFUSED');
      };
      accept('u', {});
      let result: boolean | undefined;
      const drained = scheduler.drain().then((r) => (result = r));
      await clock.elapse(0);
      expect(writer.batches).toHaveLength(1);
      await clock.elapse(499);
      expect(writer.batches).toHaveLength(1);
      await clock.elapse(1);
      expect(writer.batches).toHaveLength(2);
      await clock.elapse(1000);
      await drained;
      expect(result).toBe(true);
      expect(writer.batches).toHaveLength(4);
      expect(clock.pendingTimers).toBe(0); // the deadline timer is cleared
    });

    it('ends at the deadline even while a flush hangs, keeping the item', async () => {
      const g = gate();
      writer.answer = () => g.promise;
      accept('u', {});
      let result: boolean | undefined;
      const drained = scheduler.drain().then((r) => (result = r));
      await clock.elapse(9_999);
      expect(result).toBeUndefined();
      await clock.elapse(1);
      await drained;
      expect(result).toBe(false);
      expect(scheduler.flushInProgress).toBe(true);
      expect(store.size).toBe(1);
      g.open();
      await scheduler.flush();
      expect(store.size).toBe(0);
    });
  });
});
