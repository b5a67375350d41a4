import { FakeClock } from '../../test/utils/fake-clock.js';
import type { Heartbeat } from './heartbeat.js';
import { PendingStore } from './pending-store.js';


const hb = (over: Partial<Heartbeat> = {}): Heartbeat => ({
  sessionId: 's1', mediaType: 'movie', mediaId: 1, seasonNumber: null, episodeNumber: null,
  currentTime: 100, totalDuration: 1000, playedSeconds: 10, event: 'progress', ...over,
});
const movie = (mediaId: number) => ({ userId: 'u', mediaType: 'movie' as const, mediaId, seasonNumber: null, episodeNumber: null });

describe('PendingStore', () => {
  let clock: FakeClock;
  let store: PendingStore;
  beforeEach(() => {
    clock = new FakeClock();
    store = new PendingStore();
  });
  const accept = (userId: string, ...beats: Partial<Heartbeat>[]) => store.accept(userId, beats.map(hb), clock.now());

  it('keeps one entry per item, whatever the number of heartbeats', () => {
    accept('u', { playedSeconds: 10 }, { playedSeconds: 30, currentTime: 130 });
    clock.advance(10_000);
    accept('u', { sessionId: 's2', playedSeconds: 5 }, { mediaId: 2 });
    accept('v', {});
    expect(store.size).toBe(3);
    const [one] = store.unflushedForUser('u').filter((i) => i.mediaId === 1);
    expect(one.sessions.get('s1')!.maxPlayed).toBe(30);
    expect(one.sessions.get('s2')!.maxPlayed).toBe(5);
    expect(one.firstReceivedAt).toBe(clock.now() - 10_000);
    expect(one.receivedAt).toBe(clock.now());
  });

  it('hands out copies: a reader cannot change what will be flushed', () => {
    accept('u', { playedSeconds: 10 });
    store.unflushed(movie(1))!.sessions.get('s1')!.maxPlayed = 999;
    store.unflushedForUser('u')[0].sessions.clear();
    expect(store.nextBatch(10)[0].sessions.get('s1')!.maxPlayed).toBe(10);
  });

  it('shows an item in flight merged with what arrived for it since', () => {
    accept('u', { playedSeconds: 10 });
    const flight = store.begin(store.nextBatch(10));
    clock.advance(10_000);
    accept('u', { playedSeconds: 25, currentTime: 200 });
    expect(store.size).toBe(2);
    expect(store.nextBatch(10)).toEqual([]); // the key is in flight: the newer part waits
    const seen = store.unflushed(movie(1))!;
    expect(seen.sessions.get('s1')!.maxPlayed).toBe(25);
    expect(seen.currentTime).toBe(200);
    store.finish(flight, []);
    // stored: only the newer part is left, still known as the user's
    expect(store.unflushedForUser('u').map((i) => i.sessions.get('s1')!.maxPlayed)).toEqual([25]);
    expect(store.size).toBe(1);
  });

  it('puts a failed batch back merged with the heartbeats that arrived during the failed flush', () => {
    accept('u', { playedSeconds: 10, currentTime: 110 });
    const batch = store.nextBatch(10);
    const flight = store.begin(batch);
    clock.advance(10_000);
    accept('u', { playedSeconds: 20, currentTime: 120 }, { sessionId: 's2', playedSeconds: 7, currentTime: 125, title: 'Later' });
    store.finish(flight, batch);
    expect(store.size).toBe(1);
    const [back] = store.nextBatch(10);
    expect(back.sessions.get('s1')!.maxPlayed).toBe(20);
    expect(back.sessions.get('s2')!.maxPlayed).toBe(7);
    expect(back.currentTime).toBe(125);
    expect(back.title).toBe('Later');
    expect(back.firstReceivedAt).toBe(clock.now() - 10_000);
    expect(back.receivedAt).toBe(clock.now());
  });

  it('finishes a flight: stored keys are forgotten, the others stay the user’s', () => {
    accept('u', { mediaId: 1 }, { mediaId: 2 });
    const batch = store.nextBatch(10);
    const flight = store.begin(batch);
    let settled = false;
    void flight.done.then(() => (settled = true));
    store.finish(flight, [batch[1]]);
    expect(store.unflushedForUser('u').map((i) => i.mediaId)).toEqual([2]);
    expect(store.keysOf('u').size).toBe(1);
    return flight.done.then(() => expect(settled).toBe(true));
  });

  it('takes batches of at most `max` items, skipping keys in flight', () => {
    for (let m = 1; m <= 5; m++) accept('u', { mediaId: m });
    const first = store.begin(store.nextBatch(2));
    expect(first.items.map((i) => i.mediaId)).toEqual([1, 2]);
    accept('u', { mediaId: 1, playedSeconds: 50 });
    expect(store.nextBatch(10).map((i) => i.mediaId)).toEqual([3, 4, 5]);
    expect(store.pendingSize).toBe(4);
    expect(store.inFlightSize).toBe(2);
    expect(store.hasWaiting).toBe(true);
  });

  it('reports the receipt time of the oldest item held, in flight included', () => {
    expect(store.oldestUnflushedReceipt()).toBeNull();
    accept('u', { mediaId: 1 });
    const t0 = clock.now();
    store.begin(store.nextBatch(10));
    clock.advance(5000);
    accept('u', { mediaId: 2, occurredAt: new Date(t0 - 3_600_000) });
    expect(store.oldestUnflushedReceipt()).toBe(t0);
  });

  describe('drop', () => {
    beforeEach(() => {
      accept('u', { mediaId: 1 }, { mediaId: 2 });
      accept('u', { mediaType: 'tv', mediaId: 9, seasonNumber: 1, episodeNumber: 1 }, { mediaType: 'tv', mediaId: 9, seasonNumber: 1, episodeNumber: 2 });
      accept('v', { mediaId: 1 });
    });

    it('drops one item, one show, or a whole user, and nothing else', () => {
      expect(store.drop({ userId: 'u', mediaType: 'movie', mediaId: 1 })).toBe(1);
      expect(store.drop({ userId: 'u', mediaType: 'tv', mediaId: 9, seasonNumber: 1, episodeNumber: 2 })).toBe(1);
      expect(store.drop({ userId: 'u', mediaType: 'tv', mediaId: 9 })).toBe(1);
      expect(store.unflushedForUser('u').map((i) => i.mediaId)).toEqual([2]);
      expect(store.drop({ userId: 'u' })).toBe(1);
      expect(store.unflushedForUser('u')).toEqual([]);
      expect(store.unflushedForUser('v')).toHaveLength(1);
    });

    it('leaves items in flight to the delete’s lock and tombstone', () => {
      const flight = store.begin(store.nextBatch(1));
      expect(store.drop({ userId: 'u' })).toBe(3);
      expect(store.unflushedForUser('u').map((i) => i.mediaId)).toEqual([1]);
      store.finish(flight, flight.items);
      expect(store.unflushedForUser('u').map((i) => i.mediaId)).toEqual([1]);
    });
  });

  describe('heldInFlight', () => {
    it('compares the delete with receipt time, not event time (an offline batch replays old events)', () => {
      const deleteAt = clock.now();
      clock.advance(1000);
      // Played yesterday, received after the delete.
      accept('u', { occurredAt: new Date(deleteAt - 86_400_000) });
      store.begin(store.nextBatch(10));
      expect(store.heldInFlight({ userId: 'u' }, deleteAt)).toBe(false);
      expect(store.heldInFlight({ userId: 'u' }, clock.now())).toBe(true);
    });

    it('counts only flights of the scope, not pending items', () => {
      accept('u', { mediaId: 1 }, { mediaId: 2 });
      const at = clock.now();
      expect(store.heldInFlight({ userId: 'u' }, at)).toBe(false);
      store.begin(store.nextBatch(1));
      expect(store.heldInFlight({ userId: 'u', mediaType: 'movie', mediaId: 1 }, at)).toBe(true);
      expect(store.heldInFlight({ userId: 'u', mediaType: 'movie', mediaId: 2 }, at)).toBe(false);
      expect(store.heldInFlight({ userId: 'u', mediaType: 'tv', mediaId: 1 }, at)).toBe(false);
      expect(store.heldInFlight({ userId: 'v' }, at)).toBe(false);
    });
  });

  it('counts the sessions a request would add to those its user holds', () => {
    accept('u', { sessionId: 'a' }, { sessionId: 'b', mediaId: 2 });
    store.begin(store.nextBatch(1));
    expect(store.sessionsAfter('u', [hb({ sessionId: 'a' }), hb({ sessionId: 'b', mediaId: 2 })])).toEqual({ fresh: 0, held: 0 });
    expect(store.sessionsAfter('u', [hb({ sessionId: 'c' }), hb({ sessionId: 'c' }), hb({ sessionId: 'a', mediaId: 3 })])).toEqual({ fresh: 2, held: 2 });
    expect(store.sessionsAfter('w', [hb()])).toEqual({ fresh: 1, held: 0 });
  });

  it('splits a user’s flush into a batch of pending items and the flights to wait for', () => {
    accept('u', { mediaId: 1 }, { mediaId: 2 }, { mediaId: 3 });
    const flight = store.begin(store.nextBatch(1));
    const todo = store.keysOf('u');
    const work = store.userWork(todo, 1);
    expect(work.batch.map((i) => i.mediaId)).toEqual([2]);
    expect(work.waitFor).toEqual([flight.done]);
    store.finish(flight, []);
    store.finish(store.begin(work.batch), []);
    const next = store.userWork(todo, 10);
    expect(next.batch.map((i) => i.mediaId)).toEqual([3]);
    expect(next.waitFor).toEqual([]);
    expect(todo.size).toBe(1);
  });
});
