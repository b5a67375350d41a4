import type { Heartbeat } from '../playtime/heartbeat.js';
import { addHeartbeat, newPendingItem } from '../playtime/pending-item.js';
import { applyPending, applyPendingForUser, type StoredItem, type StoredSession } from './overlay.js';

/** The play rules of SPEC §7 in the overlay (the flush SQL has the same rules, tested end to end). */
const PLAYS = { finishedPercent: 90, minPlaySeconds: 60 };
const hb = (over: Partial<Heartbeat> & { at?: number } = {}): Heartbeat => {
  const { at, ...rest } = over;
  return {
    sessionId: 's1', mediaType: 'movie', mediaId: 1, seasonNumber: null, episodeNumber: null,
    currentTime: 100, totalDuration: 1000, playedSeconds: 10, event: 'progress', ...(at === undefined ? {} : { occurredAt: new Date(at) }), ...rest,
  };
};
/** A session's heartbeats `[eventTimeMs, currentTime, playedSeconds]`, received at their event times. */
function pendingOf(sessions: Record<string, [number, number, number][]>) {
  let item: ReturnType<typeof newPendingItem> | null = null;
  for (const [sessionId, beats] of Object.entries(sessions)) {
    for (const [at, currentTime, playedSeconds] of beats) {
      const h = hb({ sessionId, at, currentTime, playedSeconds });
      if (!item) item = newPendingItem('u', h, at);
      else addHeartbeat(item, h, at);
    }
  }
  return item!;
}
const stored = (over: Partial<StoredItem> = {}): StoredItem => ({
  userId: 'u', mediaType: 'movie', mediaId: 1, seasonNumber: null, episodeNumber: null, title: null,
  currentTime: 500, totalDuration: 1000, progress: 50, finished: false, completedCount: 0, totalPlayedSeconds: 100,
  positionAt: 50_000, lastWatchedAt: 50_000, hasPlay: true, ...over,
});
const storedSession = (over: Partial<StoredSession> = {}): StoredSession => ({
  maxPlayed: 100, credited: 100, firstAt: 0, lastAt: 50_000, peakProgress: 50, peakTime: 500, currentTime: 500, totalDuration: 1000,
  isPlay: true, counted: false, ...over,
});

describe('plays in the overlay (SPEC §7)', () => {
  it('a session below MIN_PLAY_SECONDS never moves an item that has a play, but its seconds count', () => {
    const r = applyPending(stored(), new Map(), pendingOf({ s2: [[60_000, 0, 5]] }), PLAYS)!;
    expect(r).toMatchObject({ currentTime: 500, positionAt: 50_000, lastWatchedAt: 50_000, hasPlay: true, totalPlayedSeconds: 105 });
  });

  it('becomes a play at exactly MIN_PLAY_SECONDS credited, and its latest heartbeat then applies', () => {
    const at59 = applyPending(stored(), new Map(), pendingOf({ s2: [[60_000, 0, 0], [120_000, 700, 59]] }), PLAYS)!;
    expect(at59).toMatchObject({ currentTime: 500, hasPlay: true });
    const at60 = applyPending(stored(), new Map(), pendingOf({ s2: [[60_000, 0, 0], [120_000, 700, 60]] }), PLAYS)!;
    expect(at60).toMatchObject({ currentTime: 700, progress: 70, positionAt: 120_000, lastWatchedAt: 120_000 });
  });

  it('before any play, the latest heartbeat of any session sets the position; the first play takes over even when older', () => {
    const noPlay = stored({ hasPlay: false, positionAt: 90_000, lastWatchedAt: 90_000, currentTime: 10, progress: 1 });
    const short = applyPending(noPlay, new Map(), pendingOf({ s2: [[95_000, 20, 3]] }), PLAYS)!;
    expect(short).toMatchObject({ currentTime: 20, hasPlay: false, lastWatchedAt: 95_000 });
    const older = applyPending(noPlay, new Map(), pendingOf({ s3: [[0, 300, 0], [60_000, 360, 60]] }), PLAYS)!;
    expect(older).toMatchObject({ currentTime: 360, hasPlay: true, positionAt: 60_000, lastWatchedAt: 60_000 });
    // a stored play is not overtaken by an older one
    const olderPlay = applyPending(stored({ positionAt: 90_000 }), new Map(), pendingOf({ s3: [[0, 300, 0], [60_000, 360, 60]] }), PLAYS)!;
    expect(olderPlay).toMatchObject({ currentTime: 500, positionAt: 90_000 });
  });

  it('among sessions of one flush, a play beats a later non-play; between plays the latest event wins', () => {
    const r = applyPending(null, new Map(), pendingOf({ a: [[0, 100, 0], [60_000, 160, 60]], b: [[100_000, 5, 5]] }), PLAYS)!;
    expect(r).toMatchObject({ currentTime: 160, hasPlay: true });
    const two = applyPending(null, new Map(), pendingOf({ a: [[0, 100, 0], [60_000, 160, 60]], b: [[10_000, 800, 0], [70_000, 860, 60]] }), PLAYS)!;
    expect(two).toMatchObject({ currentTime: 860, lastWatchedAt: 70_000 });
  });

  it('a tie on event time goes to the later receipt, then to the larger session id, as the flush orders them', () => {
    const item = newPendingItem('u', hb({ sessionId: 'a', at: 60_000, currentTime: 100, playedSeconds: 60 }), 1000);
    addHeartbeat(item, hb({ sessionId: 'b', at: 60_000, currentTime: 200, playedSeconds: 60 }), 2000);
    expect(applyPending(null, new Map(), item, PLAYS)!.currentTime).toBe(200);
    const sameReceipt = newPendingItem('u', hb({ sessionId: 'b', at: 60_000, currentTime: 200, playedSeconds: 60 }), 1000);
    addHeartbeat(sameReceipt, hb({ sessionId: 'a', at: 60_000, currentTime: 100, playedSeconds: 60 }), 1000);
    expect(applyPending(null, new Map(), sameReceipt, PLAYS)!.currentTime).toBe(200);
  });

  it('a stored session that was a play stays one, and its older stored position is kept when the pending heartbeat is older', () => {
    const sessions = new Map([['s1', storedSession({ lastAt: 80_000, currentTime: 800, credited: 100 })]]);
    const r = applyPending(stored({ positionAt: 80_000, currentTime: 800 }), sessions, pendingOf({ s1: [[70_000, 50, 100]] }), PLAYS)!;
    expect(r).toMatchObject({ currentTime: 800, positionAt: 80_000 });
    const newer = applyPending(stored({ positionAt: 80_000, currentTime: 800 }), sessions, pendingOf({ s1: [[90_000, 850, 110]] }), PLAYS)!;
    expect(newer).toMatchObject({ currentTime: 850, positionAt: 90_000 });
  });

  it('completedCount counts a play that reached the finished point once; a short session that reached it does not count', () => {
    expect(applyPending(stored(), new Map(), pendingOf({ s2: [[60_000, 950, 10]] }), PLAYS)!.completedCount).toBe(0);
    expect(applyPending(stored(), new Map(), pendingOf({ s2: [[0, 800, 0], [60_000, 950, 60]] }), PLAYS)!.completedCount).toBe(1);
    const counted = new Map([['s2', storedSession({ peakProgress: 95, peakTime: 950, counted: true, lastAt: 60_000 })]]);
    expect(applyPending(stored(), counted, pendingOf({ s2: [[70_000, 960, 70]] }), PLAYS)!.completedCount).toBe(0);
    // reached before it was a play (stored peak), counted when it becomes one
    const reached = new Map([['s2', storedSession({ peakProgress: 95, peakTime: 950, counted: false, isPlay: false, credited: 10, maxPlayed: 10, firstAt: 0, lastAt: 10_000 })]]);
    expect(applyPending(stored(), reached, pendingOf({ s2: [[60_000, 100, 60]] }), PLAYS)!.completedCount).toBe(1);
  });

  it('the finished point is the credits when they come first, for completions and the position', () => {
    const pending = pendingOf({ s2: [[0, 650, 0], [60_000, 700, 60]] });
    const input = { pending, stored: null, storedSessions: new Map(), erasedAt: null };
    const [withCredits] = applyPendingForUser([{ ...input, point: { finishedPercent: 90, creditsStart: 700 } }], PLAYS, null);
    expect(withCredits).toMatchObject({ finished: true, completedCount: 1, progress: 70 });
    const [lateCredits] = applyPendingForUser([{ ...input, point: { finishedPercent: 90, creditsStart: 701 } }], PLAYS, null);
    expect(lateCredits).toMatchObject({ finished: false, completedCount: 0 });
    const [userPercent] = applyPendingForUser([{ ...input, point: { finishedPercent: 70, creditsStart: null } }], PLAYS, null);
    expect(userPercent).toMatchObject({ finished: true, completedCount: 1 });
  });

  it('after a delete, only time played after it makes a play, and a session wholly before it is no candidate', () => {
    // 60 s before the delete at 61 s, 30 s after: not a play in the new history
    const item = pendingOf({ s1: [[0, 100, 0], [60_000, 160, 60], [90_000, 190, 90]] });
    const r = applyPending(stored({ hasPlay: false, positionAt: 0, currentTime: 0 }), new Map(), item, PLAYS, 61_000)!;
    expect(r).toMatchObject({ hasPlay: false, totalPlayedSeconds: 100 + 30 });
    const two = pendingOf({ old: [[0, 900, 0], [60_000, 960, 60]], fresh: [[70_000, 10, 5]] });
    const after = applyPending(null, new Map(), two, PLAYS, 65_000)!;
    expect(after).toMatchObject({ currentTime: 10, hasPlay: false, totalPlayedSeconds: 5 });
  });

  it('a completion erased by a delete is not counted again when its session goes on', () => {
    const item = pendingOf({ s1: [[0, 900, 0], [60_000, 950, 60], [130_000, 960, 130]] });
    expect(applyPending(null, new Map(), item, PLAYS, 61_000)!.completedCount).toBe(0);
    expect(applyPending(null, new Map(), item, PLAYS)!.completedCount).toBe(1);
  });
});
