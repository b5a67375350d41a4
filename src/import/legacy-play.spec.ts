import { importedSessionId, legacyPlay } from './legacy-play.js';
import { legacyDocumentSchema } from './dto/legacy-document.schema.js';

const doc = {
  userId: 'u1', mediaType: 'tv' as const, mediaId: 1399, seasonNumber: 1, episodeNumber: 3, progress: 52, currentTime: 1870,
  totalDuration: 3600, totalPlayedSeconds: 2400, finished: false, lastWatchedAt: '2025-11-02T21:00:00Z', title: 'Lord Snow',
};
const play = (over: Record<string, unknown> = {}) => legacyPlay(legacyDocumentSchema.parse({ ...doc, ...over }));

describe('legacyPlay', () => {
  it('derives one session id per document: same instant in any spelling, another for any other field of the key', () => {
    const id = play().sessionId;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(play({ lastWatchedAt: '2025-11-02T22:00:00+01:00' }).sessionId).toBe(id);
    expect(play({ title: 'Another title', progress: 60, currentTime: 100, finished: true }).sessionId).toBe(id);
    for (const over of [{ userId: 'u2' }, { mediaId: 1400 }, { seasonNumber: 2 }, { episodeNumber: 4 }, { totalPlayedSeconds: 2401 }, { lastWatchedAt: '2025-11-02T21:00:00.001Z' }]) {
      expect(play(over).sessionId).not.toBe(id);
    }
    expect(importedSessionId({ ...doc, mediaType: 'movie', seasonNumber: null, episodeNumber: null }, 0)).not.toBe(
      importedSessionId({ ...doc, mediaType: 'tv', seasonNumber: null, episodeNumber: null }, 0),
    );
  });

  it('counts the seconds in the hour the play ended in, as a heartbeat at that instant would', () => {
    expect(new Date(play().secondsHour).toISOString()).toBe('2025-11-02T20:00:00.000Z'); // 21:00:00 closes the 20:00 hour
    expect(new Date(play().completionHour).toISOString()).toBe('2025-11-02T21:00:00.000Z');
    expect(new Date(play({ lastWatchedAt: '2025-11-02T21:00:01Z' }).secondsHour).toISOString()).toBe('2025-11-02T21:00:00.000Z');
  });

  it('clamps a position past the end and keeps the furthest progress', () => {
    expect(play({ currentTime: 4000, progress: 20 })).toMatchObject({ currentTime: 3600, peakProgress: 100 });
    expect(play({ currentTime: 360, progress: 95.4 })).toMatchObject({ currentTime: 360, peakProgress: 95 });
  });
});

describe('legacyDocumentSchema', () => {
  const issues = (over: Record<string, unknown>) => {
    const r = legacyDocumentSchema.safeParse({ ...doc, ...over });
    return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
  };
  it('names each bad field', () => {
    expect(issues({})).toEqual([]);
    expect(issues({ mediaId: 2_147_483_648 })).toEqual(['mediaId']);
    expect(issues({ userId: 'a\u0000b' })).toEqual(['userId']);
    expect(issues({ userId: '' })).toEqual(['userId']);
    expect(issues({ seasonNumber: null })).toEqual(['seasonNumber']);
    expect(issues({ mediaType: 'movie' })).toEqual(['seasonNumber', 'episodeNumber']);
    expect(issues({ lastWatchedAt: '1969-12-31T23:59:59Z' })).toEqual(['lastWatchedAt']);
    expect(issues({ lastWatchedAt: '2025-11-02' })).toEqual(['lastWatchedAt']);
    expect(issues({ totalDuration: 0, progress: 101 })).toEqual(['progress', 'totalDuration']);
    expect(issues({ _id: 'abc' })).toEqual(['']);
  });
});
