import { hb as baseHb } from '../../test/utils/heartbeat.js';
import type { Heartbeat } from './heartbeat.js';
import { itemKeyString } from '../watch/item-key.js';
import { applyPending, applyPendingForUser, type StoredItem, type StoredSession } from '../watch/overlay.js';
import { checkpointAt, peakAfter } from '../watch/pending.js';
import { HOUR_MS, hourOf } from '../watch/time.js';
import { addHeartbeat, clonePendingItem, MAX_RECEIPT_CHECKPOINTS, mergeInto, newPendingItem, type PendingItem } from './pending-item.js';

/** One session ('s1') of movie 1 unless told otherwise; `at` sets the event time. */
const hb = (over: Partial<Heartbeat> & { at?: number } = {}): Heartbeat => {
  const { at, ...rest } = over;
  return baseHb({ sessionId: 's1', currentTime: 100, playedSeconds: 10, ...(at === undefined ? {} : { occurredAt: new Date(at) }), ...rest });
};
const RULES = { finishedPercent: 90, minPlaySeconds: 0 };
const item = (h: Heartbeat, receivedAt: number, userId = 'u'): PendingItem => newPendingItem(userId, h, receivedAt);
const session = (i: PendingItem, id = 's1') => i.sessions.get(id)!;

describe('hourOf', () => {
  it('puts an instant on the hour in the hour it closes, and any later instant in its own hour', () => {
    expect(hourOf(HOUR_MS)).toBe(0);
    expect(hourOf(HOUR_MS + 1)).toBe(HOUR_MS);
    expect(hourOf(1)).toBe(0);
    expect(hourOf(2 * HOUR_MS - 1)).toBe(HOUR_MS);
    expect(hourOf(0)).toBe(-HOUR_MS);
    expect(HOUR_MS).toBe(3_600_000);
  });
});

describe('newPendingItem', () => {
  it('starts from the one heartbeat: key, position clamped to the duration, times, no title', () => {
    const i = item(hb({ mediaType: 'tv', mediaId: 7, seasonNumber: 1, episodeNumber: 2, currentTime: 5000, totalDuration: 1000, at: 40_000 }), 50_000);
    expect(i).toMatchObject({
      userId: 'u', mediaType: 'tv', mediaId: 7, seasonNumber: 1, episodeNumber: 2,
      title: null, currentTime: 1000, totalDuration: 1000, positionAt: 40_000, firstAt: 40_000, receivedAt: 50_000, firstReceivedAt: 50_000,
    });
    expect(i.key).toBe(itemKeyString(i));
    expect(session(i)).toMatchObject({ maxPlayed: 10, firstAt: 40_000, lastAt: 40_000, peakProgress: 100, peakTime: 1000, device: null, deviceAt: Infinity });
    expect(session(i).receipts).toEqual([
      { at: 50_000, maxPlayed: 10, firstAt: 40_000, lastAt: 40_000, peakProgress: 100, peakTime: 1000, ownPeakProgress: 100, ownPeakTime: 1000 },
    ]);
  });

  it('uses the receipt time as event time when the client gave none', () => {
    const i = item(hb(), 7_000);
    expect(i.positionAt).toBe(7_000);
    expect(session(i)).toMatchObject({ firstAt: 7_000, lastAt: 7_000 });
  });

  it('keeps the furthest progress and position a session reached', () => {
    expect(session(item(hb({ currentTime: 900, totalDuration: 1000 }), 0))).toMatchObject({ peakProgress: 90, peakTime: 900 });
    expect(session(item(hb({ currentTime: 894, totalDuration: 1000 }), 0))).toMatchObject({ peakProgress: 89, peakTime: 894 });
  });
});

describe('addHeartbeat', () => {
  it('moves the position only to a later or equal event time; on a tie the later arrival wins', () => {
    const i = item(hb({ currentTime: 300, totalDuration: 1000, at: 10_000 }), 10_000);
    addHeartbeat(i, hb({ currentTime: 100, totalDuration: 2000, at: 5_000 }), 11_000);
    expect(i).toMatchObject({ currentTime: 300, totalDuration: 1000, positionAt: 10_000, firstAt: 5_000 });
    addHeartbeat(i, hb({ sessionId: 's2', currentTime: 200, totalDuration: 1500, at: 10_000 }), 12_000);
    expect(i).toMatchObject({ currentTime: 200, totalDuration: 1500, positionAt: 10_000 });
  });

  it('keeps the title of the latest event that carried one; a heartbeat without a title erases nothing', () => {
    const i = item(hb({ title: 'Old', at: 10_000 }), 10_000);
    addHeartbeat(i, hb({ title: 'Older', at: 5_000 }), 11_000);
    addHeartbeat(i, hb({ title: null, at: 20_000 }), 12_000);
    expect(i).toMatchObject({ title: 'Old', titleAt: 10_000 });
    addHeartbeat(i, hb({ title: 'Same instant', at: 10_000 }), 13_000);
    expect(i).toMatchObject({ title: 'Same instant', titleAt: 10_000 });
  });

  it('keeps the earliest and latest receipt times whatever the order', () => {
    const i = item(hb(), 5_000);
    addHeartbeat(i, hb(), 3_000);
    addHeartbeat(i, hb(), 9_000);
    addHeartbeat(i, hb(), 4_000);
    expect(i).toMatchObject({ firstReceivedAt: 3_000, receivedAt: 9_000 });
  });

  it('keeps per session the largest playedSeconds, the span, and completion once reached', () => {
    const i = item(hb({ playedSeconds: 50, currentTime: 950, at: 20_000 }), 20_000);
    addHeartbeat(i, hb({ playedSeconds: 30, currentTime: 10, at: 10_000 }), 21_000);
    addHeartbeat(i, hb({ playedSeconds: 40, currentTime: 20, at: 30_000 }), 22_000);
    expect(session(i)).toMatchObject({ maxPlayed: 50, firstAt: 10_000, lastAt: 30_000, peakProgress: 95, peakTime: 950 });
  });

  it('keeps per hour of event time the largest playedSeconds', () => {
    const i = item(hb({ playedSeconds: 100, at: HOUR_MS + 10 }), 0);
    addHeartbeat(i, hb({ playedSeconds: 90, at: HOUR_MS + 20 }), 0);
    addHeartbeat(i, hb({ playedSeconds: 20, at: HOUR_MS }), 0);
    addHeartbeat(i, hb({ playedSeconds: 25, at: HOUR_MS - 5 }), 0);
    expect([...session(i).hours].sort((a, b) => a[0] - b[0])).toEqual([
      [0, 25],
      [HOUR_MS, 100],
    ]);
  });

  it('keeps the device of the earliest receipt that named one', () => {
    const i = item(hb(), 1_000);
    addHeartbeat(i, hb({ device: { name: 'TV' } }), 3_000);
    addHeartbeat(i, hb({ device: { name: 'Later' } }), 4_000);
    addHeartbeat(i, hb({ device: { name: 'Same receipt' } }), 3_000);
    addHeartbeat(i, hb({ device: null }), 2_000);
    expect(session(i)).toMatchObject({ device: { name: 'TV' }, deviceAt: 3_000 });
    addHeartbeat(i, hb({ device: { name: 'Phone' } }), 2_000);
    expect(session(i)).toMatchObject({ device: { name: 'Phone' }, deviceAt: 2_000 });
  });
});

describe('receipt checkpoints', () => {
  it('adds a heartbeat received earlier than the latest checkpoint to every checkpoint from its receipt on; its own peaks to its own only', () => {
    const i = item(hb({ playedSeconds: 10, at: 1_000 }), 1_000);
    addHeartbeat(i, hb({ playedSeconds: 30, at: 3_000, currentTime: 400 }), 3_000);
    addHeartbeat(i, hb({ playedSeconds: 20, at: 2_000, currentTime: 950 }), 2_000);
    expect(session(i).receipts).toEqual([
      { at: 1_000, maxPlayed: 10, firstAt: 1_000, lastAt: 1_000, peakProgress: 10, peakTime: 100, ownPeakProgress: 10, ownPeakTime: 100 },
      { at: 2_000, maxPlayed: 20, firstAt: 1_000, lastAt: 2_000, peakProgress: 95, peakTime: 950, ownPeakProgress: 95, ownPeakTime: 950 },
      { at: 3_000, maxPlayed: 30, firstAt: 1_000, lastAt: 3_000, peakProgress: 95, peakTime: 950, ownPeakProgress: 40, ownPeakTime: 400 },
    ]);
    // a delete at 2 s erased the 95 %: what came after it got to 40 %
    expect(peakAfter(session(i).receipts, 2_000)).toEqual({ peakProgress: 40, peakTime: 400 });
  });

  it('starts a checkpoint received before all others from the heartbeat alone, and folds it into the later ones', () => {
    const i = item(hb({ playedSeconds: 30, at: 3_000 }), 3_000);
    addHeartbeat(i, hb({ playedSeconds: 5, at: 500, currentTime: 950 }), 500);
    expect(session(i).receipts).toEqual([
      { at: 500, maxPlayed: 5, firstAt: 500, lastAt: 500, peakProgress: 95, peakTime: 950, ownPeakProgress: 95, ownPeakTime: 950 },
      { at: 3_000, maxPlayed: 30, firstAt: 500, lastAt: 3_000, peakProgress: 95, peakTime: 950, ownPeakProgress: 10, ownPeakTime: 100 },
    ]);
  });

  it('folds a heartbeat with the receipt time of a checkpoint into that checkpoint', () => {
    const i = item(hb({ playedSeconds: 10, at: 1_000 }), 1_000);
    addHeartbeat(i, hb({ playedSeconds: 15, at: 1_500, currentTime: 300 }), 1_000);
    expect(session(i).receipts).toEqual([
      { at: 1_000, maxPlayed: 15, firstAt: 1_000, lastAt: 1_500, peakProgress: 30, peakTime: 300, ownPeakProgress: 30, ownPeakTime: 300 },
    ]);
  });

  it(`keeps at most ${MAX_RECEIPT_CHECKPOINTS}: the two oldest merge into the earlier time and the later state`, () => {
    const i = item(hb({ playedSeconds: 0, at: 0 }), 0);
    for (let n = 1; n < MAX_RECEIPT_CHECKPOINTS; n++) addHeartbeat(i, hb({ playedSeconds: n, at: n * 1000, currentTime: n === 1 ? 700 : 100 }), n * 1000);
    expect(session(i).receipts.map((c) => c.at)).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000]);
    addHeartbeat(i, hb({ playedSeconds: 8, at: 8000 }), 8000);
    const receipts = session(i).receipts;
    expect(receipts.map((c) => c.at)).toEqual([0, 2000, 3000, 4000, 5000, 6000, 7000, 8000]);
    expect(receipts[0]).toEqual({ at: 0, maxPlayed: 1, firstAt: 0, lastAt: 1000, peakProgress: 70, peakTime: 700, ownPeakProgress: 70, ownPeakTime: 700 });
    expect(receipts[1]).toMatchObject({ peakProgress: 70, ownPeakProgress: 10, ownPeakTime: 100 });
    expect(MAX_RECEIPT_CHECKPOINTS).toBe(8);
  });

  it('checkpointAt: the last checkpoint at or before the time, or null', () => {
    const receipts = session(item(hb(), 1_000)).receipts;
    expect(checkpointAt(receipts, 999)).toBeNull();
    expect(checkpointAt(receipts, 1_000)).toBe(receipts[0]);
    const i = item(hb({ playedSeconds: 1 }), 1_000);
    addHeartbeat(i, hb({ playedSeconds: 2 }), 2_000);
    const two = session(i).receipts;
    expect(checkpointAt(two, 1_999)).toBe(two[0]);
    expect(checkpointAt(two, 5_000)).toBe(two[1]);
  });
});

describe('mergeInto and clonePendingItem', () => {
  it('takes the other position when its event is later or at the same time, not when earlier', () => {
    const into = item(hb({ currentTime: 100, totalDuration: 1000, at: 10_000 }), 10_000);
    mergeInto(into, item(hb({ currentTime: 200, totalDuration: 2000, at: 9_000 }), 11_000));
    expect(into).toMatchObject({ currentTime: 100, totalDuration: 1000, positionAt: 10_000, firstAt: 9_000, receivedAt: 11_000, firstReceivedAt: 10_000 });
    mergeInto(into, item(hb({ currentTime: 300, totalDuration: 3000, at: 10_000 }), 9_000));
    expect(into).toMatchObject({ currentTime: 300, totalDuration: 3000, positionAt: 10_000, receivedAt: 11_000, firstReceivedAt: 9_000 });
  });

  it('takes the other title when it has one from a later or equal event', () => {
    const into = item(hb({ title: 'A', at: 10_000 }), 0);
    mergeInto(into, item(hb({ title: 'Earlier', at: 9_000 }), 0));
    mergeInto(into, item(hb({ title: null, at: 20_000 }), 0));
    expect(into).toMatchObject({ title: 'A', titleAt: 10_000 });
    mergeInto(into, item(hb({ title: 'B', at: 10_000 }), 0));
    expect(into).toMatchObject({ title: 'B', titleAt: 10_000 });
  });

  it('merges sessions: maxima, hours, devices; a new session is copied, not shared', () => {
    const into = item(hb({ playedSeconds: 50, at: HOUR_MS + 1 }), 1_000);
    const from = item(hb({ playedSeconds: 20, at: 10, device: { name: 'TV' } }), 500);
    addHeartbeat(from, hb({ sessionId: 's2', playedSeconds: 7, at: 20 }), 600);
    mergeInto(into, from);
    expect(session(into)).toMatchObject({ maxPlayed: 50, firstAt: 10, lastAt: HOUR_MS + 1, device: { name: 'TV' }, deviceAt: 500 });
    expect([...session(into).hours].sort((a, b) => a[0] - b[0])).toEqual([
      [0, 20],
      [HOUR_MS, 50],
    ]);
    addHeartbeat(from, hb({ sessionId: 's2', playedSeconds: 99, at: 30 }), 700);
    expect(session(into, 's2')).toMatchObject({ maxPlayed: 7 });
    expect(session(into, 's2').receipts).toHaveLength(1);
    expect([...session(into, 's2').hours.values()]).toEqual([7]);
  });

  it('clones deeply: changing the copy leaves the original as it was', () => {
    const original = item(hb({ playedSeconds: 10, at: 1_000 }), 1_000);
    const copy = clonePendingItem(original);
    addHeartbeat(copy, hb({ playedSeconds: 99, at: HOUR_MS * 3 }), 2_000);
    addHeartbeat(copy, hb({ sessionId: 's2' }), 2_000);
    expect(original.sessions.size).toBe(1);
    expect(session(original)).toMatchObject({ maxPlayed: 10, lastAt: 1_000 });
    expect(session(original).receipts).toHaveLength(1);
    expect(session(original).hours.size).toBe(1);
    expect(original.receivedAt).toBe(1_000);
  });
});

const stored = (over: Partial<StoredItem> = {}): StoredItem => ({
  userId: 'u', mediaType: 'movie', mediaId: 1, seasonNumber: null, episodeNumber: null, title: 'Stored',
  currentTime: 500, totalDuration: 1000, progress: 50, finished: false, completedCount: 0, totalPlayedSeconds: 100,
  positionAt: 50_000, lastWatchedAt: 50_000, hasPlay: true, ...over,
});
const storedSession = (over: Partial<StoredSession> = {}): StoredSession => ({
  maxPlayed: 100, credited: 100, firstAt: 0, lastAt: 50_000, peakProgress: 50, peakTime: 500, currentTime: 500, totalDuration: 1000,
  isPlay: true, counted: false, ...over,
});

describe('applyPending', () => {
  it('a newer position replaces the stored one; progress and finished follow it', () => {
    const i = item(hb({ currentTime: 900, totalDuration: 1000, playedSeconds: 0, title: null, at: 60_000 }), 60_000);
    expect(applyPending(stored(), new Map(), i, RULES)).toMatchObject({
      title: 'Stored', currentTime: 900, totalDuration: 1000, progress: 90, finished: true, positionAt: 60_000, lastWatchedAt: 60_000,
    });
  });

  it('an older position leaves the stored one, its progress and finished flag', () => {
    const i = item(hb({ currentTime: 990, totalDuration: 1000, playedSeconds: 0, title: 'New', at: 40_000 }), 60_000);
    expect(applyPending(stored({ finished: true, progress: 49 }), new Map(), i, RULES)).toMatchObject({
      title: 'New', currentTime: 500, totalDuration: 1000, progress: 49, finished: true, positionAt: 50_000, lastWatchedAt: 50_000,
    });
  });

  it('counts a completion once: not again for a session stored as completed', () => {
    const i = item(hb({ currentTime: 950, playedSeconds: 0, at: 60_000 }), 60_000);
    addHeartbeat(i, hb({ sessionId: 's2', currentTime: 950, playedSeconds: 0, at: 60_000 }), 60_000);
    const sessions = new Map([['s1', storedSession({ peakProgress: 100, peakTime: 1000, counted: true })]]);
    expect(applyPending(stored({ completedCount: 1 }), sessions, i, RULES)!.completedCount).toBe(2);
  });

  it('adds only the new credit of a stored session, within the plausibility cap', () => {
    const i = item(hb({ playedSeconds: 1_000, at: 60_000 }), 60_000);
    // Span 0..60 s: cap 2 × 60 + 60 = 180 s, of which 100 are already credited.
    expect(applyPending(stored(), new Map([['s1', storedSession()]]), i, RULES)!.totalPlayedSeconds).toBe(180);
  });

  it('a delete: what was received up to it only advances the session; after it, only what came later counts', () => {
    const i = item(hb({ playedSeconds: 0, at: 0 }), 0);
    addHeartbeat(i, hb({ playedSeconds: 100, at: 100_000 }), 100_000);
    addHeartbeat(i, hb({ playedSeconds: 130, at: 130_000, currentTime: 950 }), 130_000);
    const after = applyPending(null, new Map(), i, RULES, 100_000)!;
    expect(after).toMatchObject({ totalPlayedSeconds: 30, completedCount: 1 });
    // Received exactly at the delete: erased, and the stored item stays as it is.
    const s = stored();
    expect(applyPending(s, new Map(), i, RULES, 130_000)).toBe(s);
  });

  it('a completion erased by a delete is not counted again', () => {
    const i = item(hb({ playedSeconds: 0, currentTime: 950, at: 0 }), 0);
    addHeartbeat(i, hb({ playedSeconds: 10, currentTime: 960, at: 10_000 }), 10_000);
    expect(applyPending(null, new Map(), i, RULES, 5_000)!.completedCount).toBe(0);
  });
});

describe('applyPendingForUser with the per-user ceiling', () => {
  const pending = (mediaId: number, played: number) => {
    const i = newPendingItem('u', hb({ mediaId, playedSeconds: 0, at: 0 }), 0);
    addHeartbeat(i, hb({ mediaId, playedSeconds: played, at: 1_000_000 }), 1_000_000);
    return { pending: i, stored: null, storedSessions: new Map<string, StoredSession>(), erasedAt: null };
  };

  it('fills the room of each hour in item-key order, and gives nothing past it', () => {
    const [a, b] = applyPendingForUser([pending(2, 300), pending(1, 500)], RULES, { maxPerHour: 600, used: new Map() });
    expect(a!.totalPlayedSeconds).toBe(100);
    expect(b!.totalPlayedSeconds).toBe(500);
  });

  it('counts what the buckets already hold', () => {
    const [a] = applyPendingForUser([pending(1, 500)], RULES, { maxPerHour: 600, used: new Map([[0, 450]]) });
    expect(a!.totalPlayedSeconds).toBe(150);
    const [full] = applyPendingForUser([pending(1, 500)], RULES, { maxPerHour: 600, used: new Map([[0, 700]]) });
    expect(full!.totalPlayedSeconds).toBe(0);
  });

  it('applies no ceiling when none is given', () => {
    expect(applyPendingForUser([pending(1, 900)], RULES, null)[0]!.totalPlayedSeconds).toBe(900);
  });
});
