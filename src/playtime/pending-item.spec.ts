import type { Heartbeat } from './heartbeat.js';
import { addHeartbeat, clonePendingItem, mergeInto, newPendingItem } from './pending-item.js';

const hb = (over: Partial<Heartbeat> = {}): Heartbeat => ({
  sessionId: 's1', mediaType: 'movie', mediaId: 1, seasonNumber: null, episodeNumber: null,
  currentTime: 100, totalDuration: 1000, playedSeconds: 10, event: 'progress', ...over,
});

describe('pending items', () => {
  it('keeps the maximum per session and the latest position by event time', () => {
    const item = newPendingItem('u', hb({ playedSeconds: 30, currentTime: 300 }), 1000);
    addHeartbeat(item, hb({ playedSeconds: 10, currentTime: 100, occurredAt: new Date(500) }), 2000);
    addHeartbeat(item, hb({ sessionId: 's2', playedSeconds: 5, currentTime: 400 }), 3000);
    expect(item.sessions.get('s1')).toMatchObject({ maxPlayed: 30, firstAt: 500, lastAt: 1000, peakProgress: 30, peakTime: 300 });
    expect(item.currentTime).toBe(400);
    expect(item.positionAt).toBe(3000);
    expect(item.receivedAt).toBe(3000);
  });

  it('keeps per session the position of its latest heartbeat and of its first, by event time', () => {
    const item = newPendingItem('u', hb({ currentTime: 300, event: 'progress' }), 1000);
    addHeartbeat(item, hb({ currentTime: 100, event: 'start', occurredAt: new Date(500) }), 2000);
    addHeartbeat(item, hb({ currentTime: 200, event: 'pause', occurredAt: new Date(900) }), 3000);
    expect(item.sessions.get('s1')).toMatchObject({ currentTime: 300, fromTime: 100, lastEvent: 'progress', totalDuration: 1000 });
    addHeartbeat(item, hb({ currentTime: 5000, totalDuration: 4000, event: 'stop', occurredAt: new Date(1000) }), 4000);
    // a tie on event time goes to the later arrival; the position is clamped to the duration
    expect(item.sessions.get('s1')).toMatchObject({ currentTime: 4000, totalDuration: 4000, lastEvent: 'stop', fromTime: 100 });
  });

  it('merges in any order to the same result', () => {
    const a = newPendingItem('u', hb({ playedSeconds: 20, currentTime: 200 }), 1000);
    const b = newPendingItem('u', hb({ playedSeconds: 40, currentTime: 950, title: 'T' }), 2000);
    const ab = clonePendingItem(a);
    mergeInto(ab, b);
    const ba = clonePendingItem(b);
    mergeInto(ba, a);
    expect({ ...ab, key: '' }).toEqual({ ...ba, key: '' });
    expect(ab.sessions.get('s1')).toMatchObject({ maxPlayed: 40, firstAt: 1000, lastAt: 2000, peakProgress: 95, peakTime: 950 });
    expect(ab.title).toBe('T');
  });

  it('keeps the device of the earliest-received heartbeat that had one, merged in any order', () => {
    const a = newPendingItem('u', hb({ playedSeconds: 0 }), 1000);
    addHeartbeat(a, hb({ playedSeconds: 10, device: { name: 'TV' } }), 2000);
    const b = newPendingItem('u', hb({ playedSeconds: 20, device: { name: 'Phone' } }), 3000);
    addHeartbeat(b, hb({ playedSeconds: 30, device: { name: 'Tablet' } }), 3000);
    expect(b.sessions.get('s1')?.device).toEqual({ name: 'Phone' });
    for (const [into, from] of [[a, b], [b, a]]) {
      const merged = clonePendingItem(into);
      mergeInto(merged, from);
      expect(merged.sessions.get('s1')).toMatchObject({ device: { name: 'TV' }, deviceAt: 2000 });
    }
  });


  it('keeps cumulative receipt checkpoints, merged in any order to the same result', () => {
    const a = newPendingItem('u', hb({ playedSeconds: 0 }), 1000);
    addHeartbeat(a, hb({ playedSeconds: 1800, occurredAt: new Date(1_801_000), currentTime: 900 }), 1_801_000);
    const b = newPendingItem('u', hb({ playedSeconds: 1810, occurredAt: new Date(1_811_000), currentTime: 200 }), 1_811_000);
    const ab = clonePendingItem(a);
    mergeInto(ab, b);
    const ba = clonePendingItem(b);
    mergeInto(ba, a);
    expect(ab.sessions.get('s1')!.receipts).toEqual([
      { at: 1000, maxPlayed: 0, firstAt: 1000, lastAt: 1000, peakProgress: 10, peakTime: 100, ownPeakProgress: 10, ownPeakTime: 100 },
      { at: 1_801_000, maxPlayed: 1800, firstAt: 1000, lastAt: 1_801_000, peakProgress: 90, peakTime: 900, ownPeakProgress: 90, ownPeakTime: 900 },
      { at: 1_811_000, maxPlayed: 1810, firstAt: 1000, lastAt: 1_811_000, peakProgress: 90, peakTime: 900, ownPeakProgress: 20, ownPeakTime: 200 },
    ]);
    expect(ba.sessions.get('s1')!.receipts).toEqual(ab.sessions.get('s1')!.receipts);
    expect(ab.firstReceivedAt).toBe(1000);
  });

  it('merges old checkpoints so that what a delete erased never comes back', () => {
    const item = newPendingItem('u', hb({ playedSeconds: 0 }), 0);
    for (let n = 1; n <= 20; n++) addHeartbeat(item, hb({ playedSeconds: n * 10, occurredAt: new Date(n * 10_000) }), n * 10_000);
    const receipts = item.sessions.get('s1')!.receipts;
    expect(receipts).toHaveLength(8);
    // for any delete time, the checkpoint taken as erased holds at least everything received by then
    for (let t = 0; t <= 200_000; t += 5000) {
      const erased = receipts.filter((c) => c.at <= t).pop();
      expect(erased?.maxPlayed ?? -1).toBeGreaterThanOrEqual(Math.floor(t / 10_000) * 10);
    }
  });
});
