import type { Heartbeat } from '../../src/playtime/heartbeat.js';
import { randomUUID } from 'node:crypto';
import { Rng } from '../utils/random.js';

/** The shared seeded generator as a function, so a failing run can be replayed with its seed. */
export function prng(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

export interface AudienceHeartbeat {
  userId: string;
  /** A heartbeat as sent over HTTP: `occurredAt` as an ISO string. */
  body: Omit<Heartbeat, 'title' | 'occurredAt'> & { occurredAt: string };
}

export interface ExpectedItem {
  userId: string;
  mediaType: 'movie' | 'tv';
  mediaId: number;
  seasonNumber: number | null;
  episodeNumber: number | null;
  totalPlayedSeconds: number;
  currentTime: number;
  totalDuration: number;
  progress: number;
  finished: boolean;
  completedCount: number;
  positionAt: number;
  sessions: number;
}

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
const between = (rnd: () => number, lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));

/**
 * A simulated audience: users watching movies and episodes in one or more sessions (rewatches,
 * several devices), heartbeats every 10–30 s with cumulative `playedSeconds` and whole-second
 * `occurredAt` (unique per item, so "the latest heartbeat" is well defined and totals stay
 * integers). Some sessions claim more than is plausible (clamped), some reach the end.
 * Event times lie between `now - 3 h` and `now - 2 min`.
 */
export function simulateAudience(rnd: () => number, opts: { users: number; now: number; finishedPercent: number }) {
  const heartbeats: AudienceHeartbeat[] = [];
  const expected: ExpectedItem[] = [];
  const t0 = Math.floor((opts.now - 3 * 3600_000) / 1000); // whole seconds
  const latest = Math.floor((opts.now - 120_000) / 1000);
  for (let u = 0; u < opts.users; u++) {
    const userId = `aud-${u}-${randomUUID().slice(0, 8)}`;
    const items = between(rnd, 1, 3);
    const keys = new Set<string>();
    for (let i = 0; i < items; i++) {
      const tv = rnd() < 0.5;
      const mediaId = between(rnd, 1, 6);
      const seasonNumber = tv ? between(rnd, 1, 2) : null;
      const episodeNumber = tv ? between(rnd, 1, 3) : null;
      const key = `${tv}:${mediaId}:${seasonNumber}:${episodeNumber}`;
      if (keys.has(key)) continue;
      keys.add(key);
      const totalDuration = tv ? pick(rnd, [1500, 2700, 3600]) : pick(rnd, [5400, 7200, 8880]);
      const usedSeconds = new Set<number>();
      const item: ExpectedItem = {
        userId, mediaType: tv ? 'tv' : 'movie', mediaId, seasonNumber, episodeNumber,
        totalPlayedSeconds: 0, currentTime: 0, totalDuration, progress: 0, finished: false,
        completedCount: 0, positionAt: -Infinity, sessions: 0,
      };
      const sessions = between(rnd, 1, 3);
      for (let s = 0; s < sessions; s++) {
        const sessionId = randomUUID();
        const beats = between(rnd, 2, 8);
        // 0.8: normal, 2.6: a client claiming too much (clamped to 2 × span + 60), 0: paused.
        const rate = pick(rnd, [1, 1, 1, 0.8, 2.6, 0]);
        // Start somewhere in the item; some sessions start near the end so they finish it.
        let position = rnd() < 0.3 ? Math.floor(totalDuration * (0.82 + rnd() * 0.1)) : between(rnd, 0, Math.floor(totalDuration / 2));
        let at = between(rnd, t0, latest - beats * 30);
        let played = between(rnd, 0, 5);
        let first = Infinity;
        let last = -Infinity;
        let maxPlayed = 0;
        let completed = false;
        for (let b = 0; b < beats; b++) {
          while (usedSeconds.has(at)) at += 1;
          usedSeconds.add(at);
          first = Math.min(first, at);
          last = Math.max(last, at);
          maxPlayed = Math.max(maxPlayed, played);
          const currentTime = Math.min(position, totalDuration + 30); // past the end is clamped by the service
          const clamped = Math.min(currentTime, totalDuration);
          const progress = Math.max(0, Math.min(100, Math.round((100 * clamped) / totalDuration)));
          if (progress >= opts.finishedPercent) completed = true;
          if (at * 1000 > item.positionAt) {
            item.positionAt = at * 1000;
            item.currentTime = clamped;
            item.totalDuration = totalDuration;
            item.progress = progress;
          }
          heartbeats.push({
            userId,
            body: {
              sessionId, mediaType: item.mediaType, mediaId, seasonNumber, episodeNumber,
              currentTime, totalDuration, playedSeconds: played,
              event: b === 0 ? 'start' : b === beats - 1 ? 'stop' : 'progress',
              occurredAt: new Date(at * 1000).toISOString(),
            },
          });
          const step = between(rnd, 10, 30);
          at += step;
          played += Math.round(step * rate);
          position += Math.round(step * (rate === 0 ? 0 : 1) * (1 + rnd() * 20));
        }
        item.totalPlayedSeconds += Math.min(maxPlayed, 2 * (last - first) + 60);
        if (completed) item.completedCount += 1;
        item.sessions += 1;
      }
      item.finished = item.progress >= opts.finishedPercent;
      expected.push(item);
    }
  }
  return { heartbeats, expected };
}

/** Fisher–Yates with the given PRNG. */
export function shuffle<T>(rnd: () => number, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}
