import type { Heartbeat } from './heartbeat.js';
import { addHeartbeat, clonePendingItem, mergeInto, newPendingItem } from './pending-item.js';

const hb = (over: Partial<Heartbeat> = {}): Heartbeat => ({
  sessionId: 's1', mediaType: 'movie', mediaId: 1, seasonNumber: null, episodeNumber: null,
  currentTime: 100, totalDuration: 1000, playedSeconds: 10, event: 'progress', ...over,
});

describe('pending items', () => {
  it('keeps the maximum per session and the latest position by event time', () => {
    const item = newPendingItem('u', hb({ playedSeconds: 30, currentTime: 300 }), 1000, 90);
    addHeartbeat(item, hb({ playedSeconds: 10, currentTime: 100, occurredAt: new Date(500) }), 2000, 90);
    addHeartbeat(item, hb({ sessionId: 's2', playedSeconds: 5, currentTime: 400 }), 3000, 90);
    expect(item.sessions.get('s1')).toMatchObject({ maxPlayed: 30, firstAt: 500, lastAt: 1000, completed: false });
    expect(item.currentTime).toBe(400);
    expect(item.positionAt).toBe(3000);
    expect(item.receivedAt).toBe(3000);
  });

  it('merges in any order to the same result', () => {
    const a = newPendingItem('u', hb({ playedSeconds: 20, currentTime: 200 }), 1000, 90);
    const b = newPendingItem('u', hb({ playedSeconds: 40, currentTime: 950, title: 'T' }), 2000, 90);
    const ab = clonePendingItem(a);
    mergeInto(ab, b);
    const ba = clonePendingItem(b);
    mergeInto(ba, a);
    expect({ ...ab, key: '' }).toEqual({ ...ba, key: '' });
    expect(ab.sessions.get('s1')).toMatchObject({ maxPlayed: 40, firstAt: 1000, lastAt: 2000, completed: true });
    expect(ab.title).toBe('T');
  });

  it('keeps the device of the earliest-received heartbeat that had one, merged in any order', () => {
    const a = newPendingItem('u', hb({ playedSeconds: 0 }), 1000, 90);
    addHeartbeat(a, hb({ playedSeconds: 10, device: { name: 'TV' } }), 2000, 90);
    const b = newPendingItem('u', hb({ playedSeconds: 20, device: { name: 'Phone' } }), 3000, 90);
    addHeartbeat(b, hb({ playedSeconds: 30, device: { name: 'Tablet' } }), 3000, 90);
    expect(b.sessions.get('s1')?.device).toEqual({ name: 'Phone' });
    for (const [into, from] of [[a, b], [b, a]]) {
      const merged = clonePendingItem(into);
      mergeInto(merged, from);
      expect(merged.sessions.get('s1')).toMatchObject({ device: { name: 'TV' }, deviceAt: 2000 });
    }
  });


  it('keeps cumulative receipt checkpoints, merged in any order to the same result', () => {
    const a = newPendingItem('u', hb({ playedSeconds: 0 }), 1000, 90);
    addHeartbeat(a, hb({ playedSeconds: 1800, occurredAt: new Date(1_801_000) }), 1_801_000, 90);
    const b = newPendingItem('u', hb({ playedSeconds: 1810, occurredAt: new Date(1_811_000) }), 1_811_000, 90);
    const ab = clonePendingItem(a);
    mergeInto(ab, b);
    const ba = clonePendingItem(b);
    mergeInto(ba, a);
    expect(ab.sessions.get('s1')!.receipts).toEqual([
      { at: 1000, maxPlayed: 0, firstAt: 1000, lastAt: 1000, completed: false },
      { at: 1_801_000, maxPlayed: 1800, firstAt: 1000, lastAt: 1_801_000, completed: false },
      { at: 1_811_000, maxPlayed: 1810, firstAt: 1000, lastAt: 1_811_000, completed: false },
    ]);
    expect(ba.sessions.get('s1')!.receipts).toEqual(ab.sessions.get('s1')!.receipts);
    expect(ab.firstReceivedAt).toBe(1000);
  });

  it('merges old checkpoints so that what a delete erased never comes back', () => {
    const item = newPendingItem('u', hb({ playedSeconds: 0 }), 0, 90);
    for (let n = 1; n <= 20; n++) addHeartbeat(item, hb({ playedSeconds: n * 10, occurredAt: new Date(n * 10_000) }), n * 10_000, 90);
    const receipts = item.sessions.get('s1')!.receipts;
    expect(receipts).toHaveLength(8);
    // for any delete time, the checkpoint taken as erased holds at least everything received by then
    for (let t = 0; t <= 200_000; t += 5000) {
      const erased = receipts.filter((c) => c.at <= t).pop();
      expect(erased?.maxPlayed ?? -1).toBeGreaterThanOrEqual(Math.floor(t / 10_000) * 10);
    }
  });
});
