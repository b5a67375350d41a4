import fc from 'fast-check';

/**
 * The watch model of SPEC §4/§5 written again from the text, with its own arithmetic: nothing here
 * comes from `src`, so a bug copied into both cannot pass unseen. A scenario is what clients do,
 * in order: heartbeats (batches, replays, late and reordered deliveries, session ids in any letter
 * case, offline times across midnight), flush points, deletes in the middle of sessions, and
 * requests the service must refuse (NUL, values past the database's types) without storing any
 * of them. `expected` says what the service must answer afterwards.
 */

export interface ItemRef {
  mediaType: 'movie' | 'tv';
  mediaId: number;
  seasonNumber: number | null;
  episodeNumber: number | null;
  totalDuration: number;
}

export const ITEMS: ItemRef[] = [
  { mediaType: 'movie', mediaId: 501, seasonNumber: null, episodeNumber: null, totalDuration: 1000 },
  { mediaType: 'movie', mediaId: 502, seasonNumber: null, episodeNumber: null, totalDuration: 5400 },
  { mediaType: 'tv', mediaId: 600, seasonNumber: 1, episodeNumber: 1, totalDuration: 1000 },
  { mediaType: 'tv', mediaId: 600, seasonNumber: 1, episodeNumber: 2, totalDuration: 2000 },
];

const FINISHED_PERCENT = 90;
const MIN_RESUME_PERCENT = 5;
const HOUR = 3_600_000;
const MINUTE = 60_000;

/** One heartbeat as produced by a player: its session, event time and cumulative claim. */
export interface Beat {
  slot: number;
  item: number;
  /** The player session (0–3); `sessionId` also changes after a delete of everything. */
  session: number;
  sessionId: string;
  at: number;
  playedSeconds: number;
  currentTime: number;
  title: string;
}

export type Step =
  | { kind: 'send'; instance: number; beats: Beat[]; single: boolean; upper: boolean[] }
  | { kind: 'flush'; instance: number }
  | { kind: 'delete'; instance: number; scope: 'item' | 'show' | 'all'; item: number }
  | { kind: 'refused'; instance: number; body: unknown; why: string };

export interface Scenario {
  steps: Step[];
  /** First and last UTC day of the heartbeats (YYYY-MM-DD). */
  days: [string, string];
  /** True when an item or show was deleted: then statistics depend on what was stored before it. */
  itemDeletes: boolean;
}

const slotArb = fc.record({
  session: fc.nat(3),
  inc: fc.integer({ min: 0, max: 50 }),
  // boundaries: 4.4/4.5/5 % and 89.4/89.5/90 % of a 1000 s item, the end, and past it
  pos: fc.oneof(fc.integer({ min: 0, max: 2100 }), fc.constantFrom(44, 45, 50, 894, 895, 900, 1000, 1050, 2000, 2100)),
  title: fc.constantFrom('Inception', 'Fleabag', 'Bell\u0007 and \u001b[31mred', 'tab\there'),
});

const refusalArb = fc.constantFrom(
  'nul-title', 'nul-device', 'mediaId-int4', 'season-int4', 'played-max', 'negative-time', 'zero-duration',
  'year-zero', 'feb-30', 'future', 'too-old', 'unknown-field', 'nul-session', 'movie-with-season',
);

const deliveryArb = fc.record({
  instance: fc.nat(1),
  size: fc.integer({ min: 1, max: 4 }),
  flushAfter: fc.boolean(),
  flushInstance: fc.nat(1),
  single: fc.boolean(),
});

export const scenarioArb = fc
  .record({
    sessionItems: fc.array(fc.nat(ITEMS.length - 1), { minLength: 4, maxLength: 4 }),
    sessionHomes: fc.array(fc.nat(1), { minLength: 4, maxLength: 4 }),
    slots: fc.array(slotArb, { minLength: 3, maxLength: 22 }),
    startMinutesBeforeMidnight: fc.integer({ min: 0, max: 20 }),
    deletes: fc.array(fc.record({ after: fc.nat(21), scope: fc.constantFrom('item', 'show', 'all') as fc.Arbitrary<'item' | 'show' | 'all'>, item: fc.nat(ITEMS.length - 1), instance: fc.nat(1) }), { maxLength: 2 }),
    copies: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 22, maxLength: 22 }),
    order: fc.array(fc.nat(1000), { minLength: 44, maxLength: 44 }),
    deliveries: fc.array(deliveryArb, { minLength: 44, maxLength: 44 }),
    upper: fc.array(fc.boolean(), { minLength: 44, maxLength: 44 }),
    refusals: fc.array(fc.record({ at: fc.nat(30), why: refusalArb, instance: fc.nat(1) }), { maxLength: 3 }),
    salt: fc.integer({ min: 0, max: 0xffffff }),
  })
  .map((g) => build(g));

type Generated = {
  sessionItems: number[];
  sessionHomes: number[];
  slots: { session: number; inc: number; pos: number; title: string }[];
  startMinutesBeforeMidnight: number;
  deletes: { after: number; scope: 'item' | 'show' | 'all'; item: number; instance: number }[];
  copies: number[];
  order: number[];
  deliveries: { instance: number; size: number; flushAfter: boolean; flushInstance: number; single: boolean }[];
  upper: boolean[];
  refusals: { at: number; why: string; instance: number }[];
  salt: number;
};

/** Yesterday's UTC midnight: every event time stays in the past and under 30 days old. */
function lastMidnight(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - 1);
}

function build(g: Generated): Scenario {
  const midnight = lastMidnight(Date.now());
  const start = midnight - g.startMinutesBeforeMidnight * MINUTE;
  // After a delete of everything, players start new sessions. Known gap, left out of the model on
  // purpose: DELETE /v1/history removes the session rows, so a session that goes on after it
  // counts its earlier seconds again when they had been stored before the delete (an item delete
  // keeps them as a baseline and counts only new time).
  const epochOf = (slot: number) => g.deletes.filter((d) => d.scope === 'all' && d.after < slot).length;
  const uuid = (session: number, epoch: number) =>
    `${g.salt.toString(16).padStart(8, '0')}-0000-4000-8000-${String(session * 100 + epoch).padStart(12, '0')}`;
  const played = new Map<string, number>();
  const beats: Beat[] = g.slots.map((s, slot) => {
    const sessionId = uuid(s.session, epochOf(slot));
    const cumulative = (played.get(sessionId) ?? 0) + s.inc;
    played.set(sessionId, cumulative);
    // one minute apart: some land exactly on an hour, and on midnight
    return { slot, item: g.sessionItems[s.session], session: s.session, sessionId, at: start + slot * MINUTE, playedSeconds: cumulative, currentTime: s.pos, title: s.title };
  });

  // Deliveries between two deletes are replayed and shuffled among themselves; a delete comes
  // after everything played before it was sent, so what a client sends later is newer.
  const steps: Step[] = [];
  const cuts = [...new Set(g.deletes.map((d) => Math.min(d.after, beats.length - 1)))].sort((a, b) => a - b);
  let from = 0;
  let d = 0;
  let n = 0;
  const segments: { beats: Beat[]; deleteAfter: typeof g.deletes }[] = [];
  for (const cut of [...cuts, beats.length - 1]) {
    segments.push({ beats: beats.slice(from, cut + 1), deleteAfter: g.deletes.filter((x) => Math.min(x.after, beats.length - 1) === cut) });
    from = cut + 1;
  }
  /*
   * A session's instance when the scenario deletes something. Known gap, left out of the model on
   * purpose: when a session's heartbeats from before a delete wait unflushed on one instance while
   * its heartbeats from after it are flushed first by the other, the flush credits the new part
   * with the plausibility span of the new part alone, so erased seconds can come back (the other
   * order is exact). Without deletes, sessions move between instances freely.
   */
  const home = (b: Beat) => g.sessionHomes[b.session];
  const refusalsAt = new Map<number, Generated['refusals']>();
  for (const r of g.refusals) refusalsAt.set(r.at, [...(refusalsAt.get(r.at) ?? []), r]);
  for (const seg of segments) {
    const copies = seg.beats.flatMap((b) => Array.from({ length: g.copies[b.slot % g.copies.length] }, () => b));
    const shuffled = copies.map((b, i) => ({ b, k: g.order[(b.slot + i) % g.order.length] })).sort((x, y) => x.k - y.k || x.b.slot - y.b.slot).map((x) => x.b);
    let i = 0;
    while (i < shuffled.length) {
      const plan = g.deliveries[d++ % g.deliveries.length];
      const size = plan.single ? 1 : plan.size;
      const group = shuffled.slice(i, i + size);
      i += size;
      // With deletes, each session keeps to one instance (see the note on `home`).
      const parts = g.deletes.length === 0 ? [{ instance: plan.instance, beats: group }]
        : [0, 1].map((instance) => ({ instance, beats: group.filter((b) => home(b) === instance) })).filter((p) => p.beats.length > 0);
      for (const part of parts) {
        steps.push({ kind: 'send', instance: part.instance, beats: part.beats, single: plan.single, upper: part.beats.map((_, k) => g.upper[(n + k) % g.upper.length]) });
        n += part.beats.length;
      }
      for (const r of refusalsAt.get(steps.length) ?? []) steps.push({ kind: 'refused', instance: r.instance, why: r.why, body: refusedBody(r.why, group[0]) });
      if (plan.flushAfter) steps.push({ kind: 'flush', instance: plan.flushInstance });
    }
    for (const del of seg.deleteAfter) steps.push({ kind: 'delete', instance: del.instance, scope: del.scope, item: del.item });
  }
  const lastAt = beats[beats.length - 1].at;
  return {
    steps,
    days: [new Date(start).toISOString().slice(0, 10), new Date(lastAt).toISOString().slice(0, 10)],
    itemDeletes: g.deletes.some((x) => x.scope !== 'all'),
  };
}

/** The JSON a player sends for a beat (sessionId spelled as given). */
export function heartbeatJson(b: Beat, upper = false): Record<string, unknown> {
  const item = ITEMS[b.item];
  return {
    sessionId: upper ? b.sessionId.toUpperCase() : b.sessionId,
    mediaType: item.mediaType,
    mediaId: item.mediaId,
    ...(item.mediaType === 'tv' ? { seasonNumber: item.seasonNumber, episodeNumber: item.episodeNumber } : {}),
    currentTime: b.currentTime,
    totalDuration: item.totalDuration,
    playedSeconds: b.playedSeconds,
    event: 'progress',
    title: b.title,
    occurredAt: new Date(b.at).toISOString(),
  };
}

/** A batch holding one valid heartbeat and one that must be refused for `why`. */
function refusedBody(why: string, b: Beat): unknown {
  const good = heartbeatJson(b);
  const bad: Record<string, unknown> = { ...good, playedSeconds: b.playedSeconds + 5000 };
  switch (why) {
    case 'nul-title': bad.title = 'evil\u0000title'; break;
    case 'nul-device': bad.device = { name: 'tv\u0000' }; break;
    case 'nul-session': bad.sessionId = `${b.sessionId.slice(0, -1)}\u0000`; break;
    case 'mediaId-int4': bad.mediaId = 2_147_483_648; break;
    case 'season-int4': Object.assign(bad, { mediaType: 'tv', seasonNumber: 2_147_483_648, episodeNumber: 1 }); break;
    case 'played-max': bad.playedSeconds = 10_000_001; break;
    case 'negative-time': bad.currentTime = -1; break;
    case 'zero-duration': bad.totalDuration = 0; break;
    case 'year-zero': bad.occurredAt = '0000-01-01T00:00:00.000Z'; break;
    case 'feb-30': bad.occurredAt = '2026-02-30T00:00:00.000Z'; break;
    case 'future': bad.occurredAt = new Date(Date.now() + 2 * HOUR).toISOString(); break;
    case 'too-old': bad.occurredAt = new Date(Date.now() - 31 * 24 * HOUR).toISOString(); break;
    case 'unknown-field': bad.playedMinutes = 3; break;
    case 'movie-with-season': Object.assign(bad, { mediaType: 'movie', seasonNumber: 1, episodeNumber: 1 }); break;
    default: throw new Error(`no refusal ${why}`);
  }
  return { heartbeats: [good, bad] };
}

// ---- the model ---------------------------------------------------------------------------------

export interface ExpectedItem {
  key: string;
  currentTime: number;
  totalDuration: number;
  progress: number;
  resumeAt: number;
  finished: boolean;
  completedCount: number;
  totalPlayedSeconds: number;
  lastWatchedAt: string;
}

export interface Expected {
  items: Map<string, ExpectedItem>;
  /** Seconds per UTC day of `days` (null when an item delete makes them depend on flush timing). */
  daily: { date: string; seconds: number }[] | null;
}

export function keyOf(item: ItemRef): string {
  return item.mediaType === 'movie' ? `movie/${item.mediaId}` : `tv/${item.mediaId}/${item.seasonNumber}/${item.episodeNumber}`;
}

/** Percent of the way through, rounded half up; a position past the end counts as the end. */
function percent(currentTime: number, totalDuration: number): number {
  const at = currentTime > totalDuration ? totalDuration : currentTime;
  return Math.floor((at * 100) / totalDuration + 0.5);
}

/** Seconds a set of one session's heartbeats may credit: its largest claim, at most 2 × span + 60 s. */
function credit(beats: Beat[]): number {
  if (beats.length === 0) return 0;
  let max = 0;
  let first = Infinity;
  let last = -Infinity;
  for (const b of beats) {
    max = b.playedSeconds > max ? b.playedSeconds : max;
    first = b.at < first ? b.at : first;
    last = b.at > last ? b.at : last;
  }
  const cap = ((last - first) / 1000) * 2 + 60;
  return max < cap ? max : cap;
}

const completed = (beats: Beat[]) => beats.some((b) => percent(b.currentTime, ITEMS[b.item].totalDuration) >= FINISHED_PERCENT);

/**
 * The hour a heartbeat reports on: it says what was played *before* its instant, so one at exactly
 * hh:00:00.000 closes the hour before.
 */
function reportingHour(at: number): number {
  return Math.ceil(at / HOUR) * HOUR - HOUR;
}

function covers(del: Extract<Step, { kind: 'delete' }>, item: ItemRef): boolean {
  if (del.scope === 'all') return true;
  const target = ITEMS[del.item];
  if (target.mediaType !== item.mediaType || target.mediaId !== item.mediaId) return false;
  return del.scope === 'show' || keyOf(target) === keyOf(item);
}

/** What the service must answer after all of `steps` (accepted heartbeats in the order sent). */
export function expected(s: Scenario): Expected {
  const received: { beat: Beat; seq: number }[] = [];
  const deletes: { seq: number; step: Extract<Step, { kind: 'delete' }> }[] = [];
  s.steps.forEach((step, seq) => {
    if (step.kind === 'send') for (const beat of step.beats) received.push({ beat, seq });
    if (step.kind === 'delete') deletes.push({ seq, step });
  });

  const items = new Map<string, ExpectedItem>();
  ITEMS.forEach((item, index) => {
    const key = keyOf(item);
    const lastDelete = Math.max(-1, ...deletes.filter((d) => covers(d.step, item)).map((d) => d.seq));
    const mine = received.filter((r) => r.beat.item === index);
    const after = mine.filter((r) => r.seq > lastDelete).map((r) => r.beat);
    if (after.length === 0) return;
    let total = 0;
    let completions = 0;
    for (const sessionId of new Set(after.map((b) => b.sessionId))) {
      const all = mine.filter((r) => r.beat.sessionId === sessionId).map((r) => r.beat);
      const before = mine.filter((r) => r.beat.sessionId === sessionId && r.seq < lastDelete).map((r) => r.beat);
      total += credit(all) - credit(before);
      if (completed(all) && !completed(before)) completions += 1;
    }
    const latest = after.reduce((a, b) => (b.at > a.at ? b : a));
    const currentTime = latest.currentTime > item.totalDuration ? item.totalDuration : latest.currentTime;
    const progress = percent(currentTime, item.totalDuration);
    const finished = progress >= FINISHED_PERCENT;
    items.set(key, {
      key,
      currentTime,
      totalDuration: item.totalDuration,
      progress,
      resumeAt: !finished && progress >= MIN_RESUME_PERCENT ? currentTime : 0,
      finished,
      completedCount: completions,
      totalPlayedSeconds: total,
      lastWatchedAt: new Date(latest.at).toISOString(),
    });
  });

  let daily: Expected['daily'] = null;
  if (!s.itemDeletes) {
    const lastAll = Math.max(-1, ...deletes.map((d) => d.seq));
    const kept = received.filter((r) => r.seq > lastAll).map((r) => r.beat);
    const perDay = new Map<string, number>();
    for (const sessionId of new Set(kept.map((b) => b.sessionId))) {
      const all = kept.filter((b) => b.sessionId === sessionId);
      const cap = credit(all);
      // by the end of each hour the session has played its largest claim up to then, within its credit
      const hours = [...new Set(all.map((b) => reportingHour(b.at)))].sort((a, b) => a - b);
      let through = 0;
      for (const h of hours) {
        const upTo = Math.max(...all.filter((b) => reportingHour(b.at) <= h).map((b) => b.playedSeconds));
        const now = upTo < cap ? upTo : cap;
        const day = new Date(h).toISOString().slice(0, 10);
        perDay.set(day, (perDay.get(day) ?? 0) + (now - through));
        through = now;
      }
    }
    const days: string[] = [];
    for (let t = Date.parse(`${s.days[0]}T00:00:00Z`); t <= Date.parse(`${s.days[1]}T00:00:00Z`); t += 24 * HOUR) days.push(new Date(t).toISOString().slice(0, 10));
    daily = days.map((date) => ({ date, seconds: perDay.get(date) ?? 0 }));
  }
  return { items, daily };
}
