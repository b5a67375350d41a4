/// <reference lib="dom" />
import { Outbox, type OutboxEntry } from '../../client/src/outbox.js';
import { parseRetryAfter } from '../../client/src/api.js';
import { tokenSubject } from '../../client/src/tracker.js';
import { FakeBrowser, fakeToken, MemoryStorage } from './fake-browser.js';

/**
 * The tracker against a fake <video> and a fake clock: what it counts as played, when it sends
 * heartbeats, and how it delivers them (beacon, offline queue, Retry-After).
 */

const last = <T>(xs: T[]): T => xs[xs.length - 1];
/** What the outbox keeps (the storage also holds the device id). */
const outboxKeys = (s: MemoryStorage) => [...s.map.keys()].filter((k) => k.startsWith('playtime:outbox:'));

describe('tracker: counting playedSeconds', () => {
  it('counts continuous play and sends start, then a heartbeat every interval', async () => {
    const b = new FakeBrowser();
    b.tracker();
    b.video.play();
    await b.advance(30_000);
    const hbs = b.heartbeats();
    expect(hbs.map((h) => h.event)).toEqual(['start', 'progress', 'progress', 'progress']);
    expect(hbs.map((h) => h.playedSeconds)).toEqual([0, 10, 20, 30]);
    expect(hbs.map((h) => h.currentTime)).toEqual([0, 10, 20, 30]);
    expect(new Set(hbs.map((h) => h.sessionId)).size).toBe(1);
    expect(hbs.every((h) => h.route === 'live' && h.occurredAt === undefined && h.totalDuration === 600)).toBe(true);
    expect(hbs[0]).toMatchObject({ mediaType: 'movie', mediaId: 550, title: 'Fight Club' });
    expect(hbs[0]).not.toHaveProperty('seasonNumber');
    expect(b.requests[0].headers.Authorization).toBe(`Bearer ${b.token}`);
    expect(b.requests[0].url).toBe('https://api.test/v1/playtime');
  });

  it('does not count paused time, and sends no progress heartbeats while paused', async () => {
    const b = new FakeBrowser();
    const t = b.tracker();
    b.video.play();
    await b.advance(5_000);
    b.video.pause();
    await b.advance(60_000);
    expect(b.heartbeats().map((h) => h.event)).toEqual(['start', 'pause']);
    b.video.play();
    await b.advance(5_000);
    b.video.pause();
    await b.advance(100);
    const hbs = b.heartbeats();
    expect(hbs.map((h) => h.event)).toEqual(['start', 'pause', 'pause']);
    expect(last(hbs).playedSeconds).toBe(10);
    expect(t.playedSeconds).toBe(10);
  });

  it('does not count seeks, forwards or backwards; a heartbeat follows when the seek settles', async () => {
    const b = new FakeBrowser();
    b.tracker();
    b.video.play();
    await b.advance(4_000);
    b.video.seek(100);
    await b.advance(3_000);
    const afterSeek = b.heartbeats().find((h) => h.currentTime >= 100);
    expect(afterSeek).toMatchObject({ event: 'progress', currentTime: 101, playedSeconds: 5 });
    b.video.seek(10);
    await b.advance(2_000);
    b.video.pause();
    await b.advance(100);
    expect(last(b.heartbeats())).toMatchObject({ event: 'pause', currentTime: 12, playedSeconds: 9 });
  });

  it('credits the moment played between the last timeupdate and a seek', async () => {
    const b = new FakeBrowser();
    const t = b.tracker();
    b.video.play();
    await b.advance(4_100); // last timeupdate at 4.0 s
    b.video.seek(200);
    expect(t.playedSeconds).toBe(4.1);
  });

  it('several seeks in a row (scrubbing) make one heartbeat', async () => {
    const b = new FakeBrowser();
    b.tracker();
    b.video.play();
    await b.advance(2_000);
    for (const to of [50, 80, 120, 160]) {
      b.video.seek(to);
      await b.advance(200);
    }
    await b.advance(1_500);
    const seekBeats = b.heartbeats().filter((h) => h.event === 'progress');
    expect(seekBeats).toHaveLength(1);
    expect(seekBeats[0].currentTime).toBeGreaterThanOrEqual(160);
  });

  it('counts content seconds at the playback rate: 10 s at 2× is 20 s played', async () => {
    const b = new FakeBrowser();
    const t = b.tracker();
    b.video.setRate(2);
    b.video.play();
    await b.advance(10_000);
    expect(last(b.heartbeats())).toMatchObject({ event: 'progress', playedSeconds: 20, currentTime: 20 });
    b.video.setRate(1);
    await b.advance(5_000);
    b.video.setRate(0.5);
    await b.advance(4_000);
    expect(t.playedSeconds).toBe(27);
  });

  it('does not count buffering time', async () => {
    const b = new FakeBrowser();
    const t = b.tracker();
    b.video.play();
    await b.advance(3_000);
    b.video.startBuffering();
    await b.advance(5_000);
    b.video.stopBuffering();
    await b.advance(3_000);
    b.video.pause();
    await b.advance(100);
    expect(t.playedSeconds).toBe(6);
    expect(last(b.heartbeats())).toMatchObject({ event: 'pause', playedSeconds: 6, currentTime: 6 });
    // the heartbeat due at 10 s, while playing again, carried only what was played
    expect(b.heartbeats().find((h) => h.event === 'progress')?.playedSeconds).toBe(5);
  });

  it('ignores a jump of the position that no seek event announced', async () => {
    const b = new FakeBrowser();
    const t = b.tracker();
    b.video.play();
    await b.advance(5_000);
    b.video.jumpSilently(300);
    await b.advance(5_000);
    expect(t.playedSeconds).toBeGreaterThanOrEqual(9.7);
    expect(t.playedSeconds).toBeLessThanOrEqual(10);
  });
});

describe('tracker: sessions', () => {
  it('ends the session on ended with a stop, and starts a new session on the next play', async () => {
    const b = new FakeBrowser();
    const t = b.tracker();
    b.video.duration = 20;
    b.video.play();
    const first = t.sessionId;
    await b.advance(25_000);
    expect(last(b.heartbeats())).toMatchObject({ event: 'stop', sessionId: first, playedSeconds: 20, currentTime: 20 });
    expect(b.heartbeats().filter((h) => h.event === 'pause')).toHaveLength(0);
    expect(t.sessionId).toBeNull();
    b.video.play();
    await b.advance(3_000);
    expect(t.sessionId).not.toBe(first);
    expect(t.playedSeconds).toBe(3);
    expect(b.heartbeats().filter((h) => h.event === 'start').map((h) => h.playedSeconds)).toEqual([0, 0]);
  });

  it('ends the session with the last known position when the source is replaced', async () => {
    const b = new FakeBrowser();
    const t = b.tracker();
    b.video.play();
    await b.advance(7_000);
    b.video.empty();
    await b.advance(100);
    expect(last(b.heartbeats())).toMatchObject({ event: 'stop', currentTime: 7, playedSeconds: 7, totalDuration: 600 });
    expect(t.sessionId).toBeNull();
  });

  it('setItem stops the old item and starts a session for the new one; tv heartbeats name the episode', async () => {
    const b = new FakeBrowser();
    const t = b.tracker();
    b.video.play();
    await b.advance(4_000);
    const old = t.sessionId;
    t.setItem({ mediaType: 'tv', mediaId: 1399, seasonNumber: 1, episodeNumber: 2, title: 'The Kingsroad' });
    await b.advance(2_000);
    t.setItem(null);
    await b.advance(100);
    const hbs = b.heartbeats();
    expect(hbs.find((h) => h.event === 'stop' && h.sessionId === old)).toMatchObject({ mediaType: 'movie', playedSeconds: 4 });
    const tv = hbs.filter((h) => h.mediaType === 'tv');
    expect(tv.map((h) => h.event)).toEqual(['start', 'stop']);
    expect(tv[1]).toMatchObject({ seasonNumber: 1, episodeNumber: 2, playedSeconds: 2, title: 'The Kingsroad' });
    expect(tv[0].sessionId).not.toBe(old);
  });

  it('keeps sending progress heartbeats for an item set while playing', async () => {
    const b = new FakeBrowser();
    const t = b.tracker();
    b.video.play();
    await b.advance(4_000);
    t.setItem({ mediaType: 'movie', mediaId: 603 });
    await b.advance(20_000);
    const hbs = b.heartbeats().filter((h) => h.mediaId === 603);
    expect(hbs.map((h) => [h.event, h.playedSeconds])).toEqual([
      ['start', 0],
      ['progress', 10],
      ['progress', 20],
    ]);
  });
});

describe('tracker: page close', () => {
  it('sends a beacon with the token in the body when the page is hidden and closed, once per state', async () => {
    const b = new FakeBrowser();
    const t = b.tracker();
    b.video.play();
    await b.advance(7_000);
    const session = t.sessionId;
    b.closePage();
    expect(b.beacons).toHaveLength(1);
    expect(b.beacons[0].url).toBe('https://api.test/v1/playtime/beacon');
    expect(b.beacons[0].body).toMatchObject({ sessionId: session, playedSeconds: 7, currentTime: 7, accessToken: b.token, mediaId: 550 });
    expect(t.sessionId).toBeNull();
  });

  it('sends the final state on pagehide when it differs from the hidden one', async () => {
    const b = new FakeBrowser();
    b.tracker();
    b.video.play();
    await b.advance(3_000);
    b.hide();
    await b.advance(2_000);
    b.window.dispatchEvent(new Event('pagehide'));
    expect(b.beacons.map((x) => [x.body.event, x.body.playedSeconds])).toEqual([
      ['progress', 3],
      ['stop', 5],
    ]);
  });

  it('starts a new session when the page comes back from the back/forward cache still playing', async () => {
    const b = new FakeBrowser();
    const t = b.tracker();
    b.video.play();
    await b.advance(3_000);
    const first = t.sessionId;
    b.closePage();
    expect(t.sessionId).toBeNull();
    b.window.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true }));
    expect(t.sessionId).not.toBeNull();
    expect(t.sessionId).not.toBe(first);
    await b.advance(10_000);
    expect(last(b.heartbeats())).toMatchObject({ sessionId: t.sessionId, event: 'progress', playedSeconds: 10 });
  });

  it('keeps the final heartbeat in storage when no beacon can go, and the next page sends it', async () => {
    const b = new FakeBrowser();
    b.tracker();
    b.video.play();
    await b.advance(6_000);
    b.beaconResult = false;
    b.closePage();
    const requestsBefore = b.requests.length;
    expect([...b.storage.map.values()].join()).toContain('"playedSeconds":6');

    const next = new FakeBrowser();
    next.date = b.date + 60_000;
    for (const [k, v] of b.storage.map) next.storage.setItem(k, v);
    next.tracker();
    await next.advance(100);
    expect(b.requests.length).toBe(requestsBefore);
    const batch = next.requests.find((r) => r.url.endsWith('/batch'));
    expect(last(batch?.body.heartbeats as unknown[])).toEqual(
      expect.objectContaining({ event: 'stop', playedSeconds: 6, currentTime: 6, occurredAt: new Date(b.date).toISOString() }),
    );
    expect(outboxKeys(next.storage)).toEqual([]);
  });
});

describe('tracker: offline and back-pressure', () => {
  it('keeps heartbeats while offline and sends them as one batch with occurredAt when back online', async () => {
    const b = new FakeBrowser();
    const t = b.tracker();
    const start = b.date;
    b.video.play();
    await b.advance(5_000);
    b.goOffline();
    const requests = b.requests.length;
    await b.advance(20_000);
    b.video.pause();
    await b.advance(1_000);
    expect(b.requests.length).toBe(requests); // no attempt while the browser says offline
    expect(t.queued).toBe(3);
    b.goOnline();
    await b.advance(10);
    const batches = b.requests.filter((r) => r.url === 'https://api.test/v1/playtime/batch');
    expect(batches).toHaveLength(1);
    const sent = batches[0].body.heartbeats as Record<string, unknown>[];
    expect(sent.map((h) => [h.event, h.playedSeconds, h.occurredAt])).toEqual([
      ['progress', 10, new Date(start + 10_000).toISOString()],
      ['progress', 20, new Date(start + 20_000).toISOString()],
      ['pause', 25, new Date(start + 25_000).toISOString()],
    ]);
    expect(t.queued).toBe(0);
    expect(outboxKeys(b.storage)).toEqual([]);
  });

  it('retries after network errors with a growing back-off, then delivers everything', async () => {
    const b = new FakeBrowser();
    const t = b.tracker();
    let down = true;
    b.respond = () => (down ? 'network-error' : { status: 202, body: { accepted: 1 } });
    b.video.play();
    await b.advance(100);
    await b.advance(8_000);
    const attempts = b.requests.map((r) => r.at - b.requests[0].at);
    // 1 s, 2 s, 4 s after each failure (no jitter in the fake)
    expect(attempts.slice(0, 4)).toEqual([0, 1_000, 3_000, 7_000]);
    down = false;
    await b.advance(20_000);
    expect(t.queued).toBe(0);
    expect(Math.max(...b.heartbeats().map((h) => h.playedSeconds))).toBe(20);
  });

  it.each([
    ['429 with Retry-After seconds', 429, '30'],
    ['503 with an HTTP-date Retry-After', 503, 'date+30'],
  ])('honours %s: nothing is sent before it, then the queue goes as a batch', async (_name, status, retryAfter) => {
    const b = new FakeBrowser();
    const t = b.tracker();
    let refused = 0;
    b.respond = (req) => {
      if (refused === 0 && req.body.event === 'progress') {
        refused++;
        const header = retryAfter === 'date+30' ? new Date(b.date + 30_000).toUTCString() : retryAfter;
        return { status, headers: { 'Retry-After': header }, body: { statusCode: status, message: 'slow down' } };
      }
      return { status: 202, body: { accepted: 1 } };
    };
    b.video.play();
    await b.advance(10_000); // the 10 s heartbeat is refused
    const refusedAt = b.date;
    const count = b.requests.length;
    await b.advance(29_000); // heartbeats at 20 s and 30 s wait
    expect(b.requests.length).toBe(count);
    expect(t.queued).toBe(3);
    await b.advance(1_500);
    const batch = b.requests.slice(count);
    expect(batch).toHaveLength(1);
    expect(batch[0].url).toMatch(/\/batch$/);
    expect(batch[0].at - refusedAt).toBeGreaterThanOrEqual(30_000);
    // what waited, and the heartbeat due at the very moment the wait ended
    expect((batch[0].body.heartbeats as { playedSeconds: number }[]).map((h) => h.playedSeconds)).toEqual([10, 20, 30, 40]);
    expect(t.queued).toBe(0);
    expect(b.errors.some((e) => (e as { status?: number }).status === status)).toBe(true);
  });

  it('drops only the heartbeats a 400 names, and sends the rest', async () => {
    const b = new FakeBrowser();
    const t = b.tracker();
    b.video.play();
    await b.advance(1_000);
    b.goOffline();
    await b.advance(20_000);
    b.video.pause();
    expect(t.queued).toBe(3);
    let first = true;
    b.respond = (req) => {
      if (req.url.endsWith('/batch') && first) {
        first = false;
        return { status: 400, body: { statusCode: 400, errors: [{ field: 'heartbeats[1].currentTime', message: 'bad' }] } };
      }
      return { status: 202, body: { accepted: 2 } };
    };
    b.goOnline();
    await b.advance(10);
    const batches = b.requests.filter((r) => r.url.endsWith('/batch'));
    expect(batches.map((r) => (r.body.heartbeats as unknown[]).length)).toEqual([3, 2]);
    expect((batches[1].body.heartbeats as { playedSeconds: number }[]).map((h) => h.playedSeconds)).toEqual([10, 21]);
    expect(t.queued).toBe(0);
  });

  it("never sends another user's leftovers", async () => {
    const b = new FakeBrowser();
    b.tracker();
    b.video.play();
    await b.advance(1_000);
    b.goOffline();
    await b.advance(10_000);
    b.video.pause();
    b.closePage();

    const next = new FakeBrowser();
    next.date = b.date + 1_000;
    for (const [k, v] of b.storage.map) next.storage.setItem(k, v);
    next.token = fakeToken('bob');
    const t = next.tracker();
    await next.advance(100);
    expect(next.requests).toHaveLength(0);
    expect(t.queued).toBeGreaterThan(0);
    next.token = fakeToken('alice');
    await t.flush();
    await next.advance(100);
    expect(next.requests.filter((r) => r.url.endsWith('/batch'))).toHaveLength(1);
    expect(t.queued).toBe(0);
  });
});

describe('tracker: resume', () => {
  it('seeks to resumeAt once the metadata is known, without sending anything', async () => {
    const b = new FakeBrowser();
    b.respond = (req) => (req.method === 'GET' ? { status: 200, body: { resumeAt: 42, currentTime: 42 } } : { status: 202, body: { accepted: 1 } });
    b.video.readyState = 0;
    const t = b.tracker();
    const at = t.resume();
    await b.advance(100);
    expect(b.video.currentTime).toBe(0);
    b.video.readyState = 1;
    b.video.dispatchEvent(new Event('loadedmetadata'));
    await expect(at).resolves.toBe(42);
    expect(b.video.currentTime).toBe(42);
    expect(b.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET https://api.test/v1/history/movie/550']);
    b.video.play();
    await b.advance(2_000);
    expect(b.heartbeats()[0]).toMatchObject({ event: 'start', currentTime: 42, playedSeconds: 0 });
  });

  it('stays at the start of a never-watched item (404) and asks for the episode of a tv item', async () => {
    const b = new FakeBrowser();
    b.respond = () => ({ status: 404, body: { statusCode: 404 } });
    const t = b.tracker({ item: { mediaType: 'tv', mediaId: 1399, seasonNumber: 2, episodeNumber: 3 } });
    await expect(t.resume()).resolves.toBe(0);
    expect(b.video.currentTime).toBe(0);
    expect(b.requests[0].url).toBe('https://api.test/v1/history/tv/1399?seasonNumber=2&episodeNumber=3');
  });
});

describe('outbox', () => {
  const entry = (sessionId: string, playedSeconds: number, at: number): OutboxEntry => ({
    hb: { sessionId, mediaType: 'movie', mediaId: 1, currentTime: playedSeconds, totalDuration: 100, playedSeconds },
    at,
    owner: 'alice',
  });

  it('stays within its bound by dropping in-between heartbeats, keeping each session’s first and latest', () => {
    const box = new Outbox(5, null, 'p:', 'x');
    for (let i = 0; i < 6; i++) box.push(entry('A', i, i));
    box.push(entry('B', 0, 10));
    box.push(entry('B', 1, 11));
    expect(box.size).toBe(5);
    expect(box.all().map((e) => `${e.hb.sessionId}${e.hb.playedSeconds}`)).toEqual(['A0', 'A4', 'A5', 'B0', 'B1']);
  });

  it('drops what the service would refuse as older than 30 days', () => {
    const box = new Outbox(10, null, 'p:', 'x');
    const now = Date.UTC(2025, 5, 1);
    box.push(entry('A', 1, now - 31 * 24 * 3600 * 1000));
    box.push(entry('A', 2, now - 1000));
    expect(box.dropExpired(now)).toBe(1);
    expect(box.all().map((e) => e.hb.playedSeconds)).toEqual([2]);
  });

  it('takes over what other pages left in storage, oldest first', () => {
    const storage = new MemoryStorage();
    storage.setItem('p:one', JSON.stringify([entry('A', 1, 5)]));
    storage.setItem('p:two', JSON.stringify([entry('B', 1, 2), { junk: true }]));
    storage.setItem('other', 'kept');
    const box = new Outbox(10, storage, 'p:', 'mine');
    expect(box.all().map((e) => e.hb.sessionId)).toEqual(['B', 'A']);
    expect([...storage.map.keys()].sort()).toEqual(['other', 'p:mine']);
  });
});

describe('helpers', () => {
  it('parses Retry-After as seconds or as an HTTP date', () => {
    const now = Date.UTC(2025, 5, 1, 12);
    expect(parseRetryAfter('7', now)).toBe(7_000);
    expect(parseRetryAfter(new Date(now + 90_000).toUTCString(), now)).toBe(90_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });

  it('reads the subject of a JWT, and nothing from other strings', () => {
    expect(tokenSubject(fakeToken('alice'))).toBe('alice');
    expect(tokenSubject(fakeToken('zoë'))).toBe('zoë');
    expect(tokenSubject('opaque-token')).toBeNull();
    expect(tokenSubject('a.!!!.c')).toBeNull();
  });
});
