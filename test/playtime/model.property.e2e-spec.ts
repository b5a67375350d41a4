import fc from 'fast-check';
import type { Heartbeat } from '../../src/playtime/heartbeat.js';
import { plausibleCap } from '../../src/watch/plausibility.js';
import { progressOf } from '../../src/watch/progress.js';
import { createTestApp, type TestApp } from '../utils/create-app.js';

/**
 * Property: whatever the interleaving — duplicated, reordered, late and offline heartbeats from
 * several devices (sessions), flushed at random points — the stored items equal what a simple
 * model computes from the heartbeats as a set. Reads before the last flush agree too.
 */

interface Beat extends Heartbeat {
  at: number;
}

const DURATION = 1000;
const FINISHED = 90;

/** One item's sessions: each a sorted timeline with cumulative playedSeconds. */
const itemArb = (mediaId: number) =>
  fc
    .array(
      fc.array(fc.record({ gap: fc.integer({ min: 1, max: 120 }), played: fc.integer({ min: 0, max: 200 }), pos: fc.integer({ min: 0, max: 1100 }) }), {
        minLength: 1,
        maxLength: 6,
      }),
      { minLength: 1, maxLength: 3 },
    )
    .map((sessions) => ({ mediaId, sessions }));

const scenarioArb = fc.record({
  items: fc.tuple(itemArb(1), itemArb(2)),
  seed: fc.integer(),
  copies: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 64, maxLength: 64 }),
  flushEvery: fc.integer({ min: 1, max: 12 }),
});

/** Seconds to the millisecond, as the API answers them (the sums are of doubles). */
const ms = (n: number) => Math.round(n * 1000) / 1000;

function model(beats: Beat[]) {
  const out = new Map<number, { total: number; currentTime: number; finished: boolean; completedCount: number }>();
  for (const mediaId of new Set(beats.map((b) => b.mediaId))) {
    const mine = beats.filter((b) => b.mediaId === mediaId);
    let total = 0;
    let completed = 0;
    for (const sessionId of new Set(mine.map((b) => b.sessionId))) {
      const s = mine.filter((b) => b.sessionId === sessionId);
      const first = Math.min(...s.map((b) => b.at));
      const last = Math.max(...s.map((b) => b.at));
      total += Math.min(Math.max(...s.map((b) => b.playedSeconds)), plausibleCap(first, last));
      if (s.some((b) => progressOf(b.currentTime, b.totalDuration) >= FINISHED)) completed++;
    }
    const latest = mine.reduce((a, b) => (b.at > a.at ? b : a));
    const currentTime = Math.min(latest.currentTime, latest.totalDuration);
    out.set(mediaId, { total: ms(total), currentTime, finished: progressOf(currentTime, DURATION) >= FINISHED, completedCount: completed });
  }
  return out;
}

describe('model property', () => {
  let t: TestApp;
  let run = 0;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('stored items always equal the model, whatever the order, duplicates and flush points', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ items, seed, copies, flushEvery }) => {
        const user = `prop-${++run}`;
        const base = Date.now() - 5 * 86_400_000;
        // Build timelines with unique event times across everything (interleaved sessions).
        const beats: Beat[] = [];
        let clock = base;
        let sessionNo = 0;
        for (const item of items) {
          for (const timeline of item.sessions) {
            const sessionId = `00000000-0000-4000-8000-${String(++sessionNo).padStart(12, '0')}`;
            let played = 0;
            for (const step of timeline) {
              clock += step.gap * 1000 + 1;
              played += step.played;
              beats.push({
                sessionId, mediaType: 'movie', mediaId: item.mediaId, seasonNumber: null, episodeNumber: null,
                currentTime: step.pos, totalDuration: DURATION, playedSeconds: played, event: 'progress',
                occurredAt: new Date(clock), at: clock,
              });
            }
          }
        }
        // Deliver: each heartbeat 1–3 times, in a shuffled order, flushing every few deliveries.
        const deliveries = beats.flatMap((b, i) => Array.from({ length: copies[i % copies.length] }, () => b));
        const rng = fc.sample(fc.integer({ min: 0, max: 1_000_000 }), { seed, numRuns: deliveries.length });
        const order = deliveries.map((b, i) => ({ b, k: rng[i] })).sort((x, y) => x.k - y.k).map((x) => x.b);
        for (let i = 0; i < order.length; i++) {
          await t.batcher.accept(user, [{ ...order[i] }]);
          if ((i + 1) % flushEvery === 0) await t.batcher.flush();
        }
        const expected = model(beats);
        const token = await t.token(user);
        for (const [mediaId, m] of expected) {
          const read = (await t.http().get(`/v1/history/movie/${mediaId}`).set('Authorization', `Bearer ${token}`).expect(200)).body;
          expect({ total: read.totalPlayedSeconds, currentTime: read.currentTime, finished: read.finished, completedCount: read.completedCount }).toEqual(m);
        }
        await t.batcher.flush();
        const { rows } = await t.db.query(
          `SELECT media_id, total_played_s, current_time_s, finished, completed_count FROM watch_history WHERE user_id = $1`,
          [user],
        );
        expect(rows).toHaveLength(expected.size);
        for (const r of rows) {
          const m = expected.get(r.media_id)!;
          expect({ total: ms(r.total_played_s), currentTime: r.current_time_s, finished: r.finished, completedCount: r.completed_count }).toEqual(m);
        }
      }),
      { numRuns: 60 },
    );
  });
});
