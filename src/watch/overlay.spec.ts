import type { Heartbeat } from '../playtime/heartbeat.js';
import { addHeartbeat, newPendingItem } from '../playtime/pending-item.js';
import { applyPending, applyPendingForUser, type StoredItem, type StoredSession } from './overlay.js';

const hb = (over: Partial<Heartbeat> = {}): Heartbeat => ({
  sessionId: 's1', mediaType: 'movie', mediaId: 1, seasonNumber: null, episodeNumber: null,
  currentTime: 100, totalDuration: 1000, playedSeconds: 10, event: 'progress', ...over,
});

const RULES = { finishedPercent: 90, minPlaySeconds: 0 };
const storedSession = (over: Partial<StoredSession>): StoredSession => ({
  maxPlayed: 0, credited: 0, firstAt: 0, lastAt: 0, peakProgress: 0, peakTime: 0, currentTime: 0, totalDuration: 1000, isPlay: true, counted: false, ...over,
});

describe('the overlay', () => {
  it('applyPending is idempotent: applying an already stored item changes nothing', () => {
    const item = newPendingItem('u', hb({ playedSeconds: 0 }), 0);
    addHeartbeat(item, hb({ playedSeconds: 100, currentTime: 920 }), 100_000);
    const once = applyPending(null, new Map(), item, RULES);
    expect(once).toMatchObject({ totalPlayedSeconds: 100, progress: 92, finished: true, completedCount: 1 });
    const stored = new Map([['s1', storedSession({ maxPlayed: 100, credited: 100, lastAt: 100_000, peakProgress: 92, peakTime: 920, currentTime: 920, counted: true })]]);
    expect(applyPending(once, stored, item, RULES)).toEqual(once);
  });

  it('never credits a session less than before, and clamps new claims', () => {
    const item = newPendingItem('u', hb({ playedSeconds: 10_000 }), 0);
    const stored = new Map([['s1', storedSession({ maxPlayed: 50, credited: 50 })]]);
    const base = { ...applyPending(null, new Map(), item, RULES)!, totalPlayedSeconds: 50 };
    expect(applyPending(base, stored, item, RULES)!.totalPlayedSeconds).toBe(60);
  });

  it('credits only what was received after a delete', () => {
    const item = newPendingItem('u', hb({ playedSeconds: 0 }), 0);
    addHeartbeat(item, hb({ playedSeconds: 1800, occurredAt: new Date(1_800_000) }), 1_800_000);
    addHeartbeat(item, hb({ playedSeconds: 1810, occurredAt: new Date(1_810_000) }), 1_810_000);
    expect(applyPending(null, new Map(), item, RULES, 1_805_000)!.totalPlayedSeconds).toBe(10);
    expect(applyPending(null, new Map(), item, RULES, 1_810_000)).toBeNull();
    expect(applyPending(null, new Map(), item, RULES)!.totalPlayedSeconds).toBe(1810);
  });

  it('is finished at exactly the finished percent of the latest position', () => {
    const at90 = newPendingItem('u', hb({ currentTime: 900 }), 0);
    expect(applyPending(null, new Map(), at90, RULES)).toMatchObject({ progress: 90, finished: true, completedCount: 1 });
    const at89 = newPendingItem('u', hb({ currentTime: 894 }), 0);
    expect(applyPending(null, new Map(), at89, RULES)).toMatchObject({ progress: 89, finished: false, completedCount: 0 });
  });

  it('keeps the stored position when the pending one is older by event time', () => {
    const item = newPendingItem('u', hb({ currentTime: 100, occurredAt: new Date(1000) }), 5000);
    const stored: StoredItem = {
      userId: 'u', mediaType: 'movie', mediaId: 1, seasonNumber: null, episodeNumber: null, title: 'Stored',
      currentTime: 800, totalDuration: 1000, progress: 80, finished: false, completedCount: 0, totalPlayedSeconds: 0,
      positionAt: 2000, lastWatchedAt: 2000, hasPlay: true,
    };
    expect(applyPending(stored, new Map(), item, RULES)).toMatchObject({ currentTime: 800, progress: 80, positionAt: 2000, title: 'Stored' });
  });

  it('clamps a first heartbeat to the plausibility cap (a minute)', () => {
    const item = newPendingItem('u', hb({ playedSeconds: 500 }), 0);
    expect(applyPending(null, new Map(), item, RULES)!.totalPlayedSeconds).toBe(60);
  });

  it('compares a delete with the receipt time, not the event time', () => {
    // played offline an hour before the delete, received after it: a new history
    const item = newPendingItem('u', hb({ playedSeconds: 30, occurredAt: new Date(1000) }), 10_000);
    expect(applyPending(null, new Map(), item, RULES, 5000)!.totalPlayedSeconds).toBe(30);
    // received exactly at the delete: erased
    expect(applyPending(null, new Map(), item, RULES, 10_000)).toBeNull();
  });

  it('shares the per-user ceiling among a user\'s items in key order', () => {
    const a = newPendingItem('u', hb({ mediaId: 1, playedSeconds: 0 }), 0);
    addHeartbeat(a, hb({ mediaId: 1, playedSeconds: 40 }), 40_000);
    const b = newPendingItem('u', hb({ mediaId: 2, sessionId: 's2', playedSeconds: 0 }), 0);
    addHeartbeat(b, hb({ mediaId: 2, sessionId: 's2', playedSeconds: 40 }), 40_000);
    const input = (p: typeof a) => ({ pending: p, stored: null, storedSessions: new Map(), erasedAt: null });
    const ceiling = { maxPerHour: 50, used: new Map<number, number>() };
    const [first, second] = applyPendingForUser([input(b), input(a)], RULES, ceiling);
    expect(second!.totalPlayedSeconds).toBe(40); // mediaId 1 sorts first and is served first
    expect(first!.totalPlayedSeconds).toBe(10);
    const full = { maxPerHour: 50, used: new Map([[0, 45]]) };
    const [, onlyRoom] = applyPendingForUser([input(b), input(a)], RULES, full);
    expect(onlyRoom!.totalPlayedSeconds).toBe(5);
  });
});
