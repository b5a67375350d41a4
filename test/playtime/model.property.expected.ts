import { CONFIG, ENTRIES, ITEMS, type Beat, type ItemRef, type Scenario, type Step } from './model.property.model.js';

/**
 * The watch model of SPEC §4, §5 and §7 written again from the text, with its own arithmetic:
 * nothing here comes from `src`. It replays a scenario's steps in order, keeping what each
 * instance holds unflushed, because two rules depend on when heartbeats are stored: a session's
 * completion is judged with the settings and credits in force at the flush that stores it, and a
 * hide answers 404 when the item has no stored history (nor any held by the instance asked).
 *
 * Requests that store the caller's pending heartbeats on the instance asked: statistics (the
 * scenario's flush points), deletes, hides and unhides. Settings and catalogue writes store nothing.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface ExpectedItem {
  key: string;
  currentTime: number;
  totalDuration: number;
  progress: number;
  resumeAt: number;
  finished: boolean;
  completedCount: number;
  totalPlayedSeconds: number;
  hidden: boolean;
  lastWatchedAt: string;
}

export interface Settings {
  finishedPercent: number;
  minResumePercent: number;
  continueWatchingDays: number;
  autoDeleteDays: number;
}

export interface Expected {
  items: Map<string, ExpectedItem>;
  /** Keys of GET /v1/history, newest `lastWatchedAt` first. */
  order: string[];
  /** GET /v1/history/continue-watching at `now`. */
  continueWatching: (now: number) => { key: string; reason: 'resume' | 'next-episode' }[];
  settings: Settings;
  /** What the service answers to each hide, settings and catalogue step (by step index). */
  answers: Map<number, { status: number; body?: unknown }>;
  /** Seconds per UTC day of `days` (null when an item delete makes them depend on flush timing). */
  daily: { date: string; seconds: number }[] | null;
}

export function keyOf(item: Pick<ItemRef, 'mediaType' | 'mediaId' | 'seasonNumber' | 'episodeNumber'>): string {
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

/**
 * The hour a heartbeat reports on: it says what was played *before* its instant, so one at exactly
 * hh:00:00.000 closes the hour before.
 */
function reportingHour(at: number): number {
  return Math.ceil(at / HOUR) * HOUR - HOUR;
}

type Delete = Extract<Step, { kind: 'delete' }>;

function covers(del: Delete, item: ItemRef): boolean {
  if (del.scope === 'all') return true;
  const target = ITEMS[del.item];
  if (target.mediaType !== item.mediaType || target.mediaId !== item.mediaId) return false;
  return del.scope === 'show' || keyOf(target) === keyOf(item);
}

const DEFAULTS: Settings = {
  finishedPercent: CONFIG.FINISHED_PERCENT, minResumePercent: CONFIG.MIN_RESUME_PERCENT, continueWatchingDays: CONFIG.CONTINUE_WATCHING_DAYS, autoDeleteDays: 0,
};

/** The items of a hide's target: one item, or every episode of its show. */
function targets(step: Extract<Step, { kind: 'hide' }>): number[] {
  const item = ITEMS[step.item];
  return step.show ? ITEMS.flatMap((x, i) => (x.mediaType === 'tv' && x.mediaId === item.mediaId ? [i] : [])) : [step.item];
}

interface Received { beat: Beat; seq: number; instance: number }

/** The user's world as the steps leave it. */
class World {
  readonly received: Received[] = [];
  readonly pending: Received[][] = [[], []];
  readonly stored: Received[] = [];
  readonly deletes: { seq: number; step: Delete }[] = [];
  settings: Settings = { ...DEFAULTS };
  readonly credits: (number | null)[] = ITEMS.map(() => null);
  /** How many episodes season 1 of the show has in the catalogue. */
  episodes = 0;
  readonly hiddenItems = new Set<number>();
  hiddenShow = false;
  /** Sessions whose completion was counted, each once: in which item and history (epoch). */
  readonly counted = new Map<string, { item: number; epoch: number }>();
  readonly answers = new Map<number, { status: number; body?: unknown }>();

  /** Which history of an item a heartbeat received at `seq` belongs to: deletes of it before then. */
  epochOf(item: number, seq: number): number {
    return this.deletes.filter((d) => d.seq < seq && covers(d.step, ITEMS[item])).length;
  }

  /** The finished point by the settings and credits in force now. */
  reaches(b: Beat): boolean {
    const duration = ITEMS[b.item].totalDuration;
    const at = b.currentTime > duration ? duration : b.currentTime;
    const credits = this.credits[b.item];
    return percent(at, duration) >= this.settings.finishedPercent || (credits !== null && at >= credits);
  }

  /**
   * Stores what `instance` holds. Each session stored now is judged for each history its new
   * heartbeats belong to: it counts once, the first time it is a play there (credited seconds in
   * that history reach MIN_PLAY_SECONDS) whose heartbeats there reached the finished point.
   */
  flush(instance: number): void {
    const batch = this.pending[instance].splice(0);
    this.stored.push(...batch);
    for (const sessionId of new Set(batch.map((r) => r.beat.sessionId))) {
      const item = batch.find((r) => r.beat.sessionId === sessionId)!.beat.item;
      const known = this.stored.filter((r) => r.beat.sessionId === sessionId).map((r) => ({ beat: r.beat, epoch: this.epochOf(item, r.seq) }));
      const epochs = [...new Set(batch.filter((r) => r.beat.sessionId === sessionId).map((r) => this.epochOf(item, r.seq)))].sort((a, b) => a - b);
      for (const epoch of epochs) {
        if (this.counted.has(sessionId)) break;
        const gained = credit(known.filter((k) => k.epoch <= epoch).map((k) => k.beat)) - credit(known.filter((k) => k.epoch < epoch).map((k) => k.beat));
        const reached = known.some((k) => k.epoch === epoch && this.reaches(k.beat));
        if (gained >= CONFIG.MIN_PLAY_SECONDS && reached) this.counted.set(sessionId, { item, epoch });
      }
    }
  }

  /** The item has a history row: a stored heartbeat of it since its latest delete. */
  exists(item: number): boolean {
    const now = this.epochOf(item, Infinity);
    return this.stored.some((r) => r.beat.item === item && this.epochOf(item, r.seq) === now);
  }

  step(step: Step, seq: number): void {
    switch (step.kind) {
      case 'send':
        for (const beat of step.beats) {
          const r = { beat, seq, instance: step.instance };
          this.received.push(r);
          this.pending[step.instance].push(r);
          // a heartbeat received after a hide unhides its item, and its show
          this.hiddenItems.delete(beat.item);
          if (ITEMS[beat.item].mediaType === 'tv') this.hiddenShow = false;
        }
        break;
      case 'flush':
        this.flush(step.instance);
        break;
      case 'delete':
        this.flush(step.instance);
        this.deletes.push({ seq, step });
        if (step.scope === 'all') {
          this.settings = { ...DEFAULTS };
          this.hiddenItems.clear();
          this.hiddenShow = false;
        }
        break;
      case 'hide': {
        const items = targets(step);
        this.flush(step.instance);
        const found = items.some((i) => this.exists(i));
        this.answers.set(seq, { status: found ? 204 : 404 });
        if (!found) break;
        if (step.show) this.hiddenShow = step.hide;
        for (const i of items) {
          if (step.hide && !step.show) this.hiddenItems.add(i);
          if (!step.hide) this.hiddenItems.delete(i);
        }
        break;
      }
      case 'settings': {
        const next = { ...this.settings, ...step.patch };
        const ok = next.minResumePercent < next.finishedPercent;
        if (ok) this.settings = next;
        this.answers.set(seq, ok ? { status: 200, body: next } : { status: 400 });
        break;
      }
      case 'catalog':
        ENTRIES[step.entry].items.forEach((item, k) => { this.credits[item] = step.credits[k]; });
        if (ITEMS[ENTRIES[step.entry].items[0]].mediaType === 'tv') this.episodes = step.episodes;
        this.answers.set(seq, { status: 200 });
        break;
      case 'refused':
        break;
    }
  }
}

interface ModelItem extends ExpectedItem {
  index: number;
  hasPlay: boolean;
}

/** What the service must answer after all of `steps`, every instance's heartbeats stored. */
export function expected(s: Scenario): Expected {
  const w = new World();
  s.steps.forEach((step, seq) => w.step(step, seq));
  // Reads answer as if what the instance holds were stored now; the checks then store it.
  w.flush(0);
  w.flush(1);

  const items = new Map<string, ModelItem>();
  ITEMS.forEach((item, index) => {
    const key = keyOf(item);
    const final = w.epochOf(index, Infinity);
    const mine = w.received.filter((r) => r.beat.item === index).map((r) => ({ ...r, epoch: w.epochOf(index, r.seq) }));
    const after = mine.filter((r) => r.epoch === final);
    if (after.length === 0) return;
    let total = 0;
    const plays = new Set<string>();
    for (const sessionId of new Set(after.map((r) => r.beat.sessionId))) {
      const all = mine.filter((r) => r.beat.sessionId === sessionId).map((r) => r.beat);
      const before = mine.filter((r) => r.beat.sessionId === sessionId && r.epoch < final).map((r) => r.beat);
      const gained = credit(all) - credit(before);
      total += gained;
      if (gained >= CONFIG.MIN_PLAY_SECONDS) plays.add(sessionId);
    }
    // Once the item has a play, only plays set its position; the latest heartbeat by event time.
    const ofPlays = after.filter((r) => plays.has(r.beat.sessionId));
    const latest = (ofPlays.length > 0 ? ofPlays : after).map((r) => r.beat).reduce((a, b) => (b.at > a.at ? b : a));
    const currentTime = latest.currentTime > item.totalDuration ? item.totalDuration : latest.currentTime;
    const progress = percent(currentTime, item.totalDuration);
    const credits = w.credits[index];
    const finished = progress >= w.settings.finishedPercent || (credits !== null && currentTime >= credits);
    const short = item.totalDuration < CONFIG.MIN_RESUME_DURATION_SECONDS;
    items.set(key, {
      index,
      hasPlay: plays.size > 0,
      key,
      currentTime,
      totalDuration: item.totalDuration,
      progress,
      resumeAt: finished || progress < w.settings.minResumePercent || short ? 0 : currentTime,
      finished,
      completedCount: [...w.counted.values()].filter((c) => c.item === index && c.epoch === final).length,
      totalPlayedSeconds: total,
      hidden: w.hiddenItems.has(index) || (item.mediaType === 'tv' && w.hiddenShow),
      lastWatchedAt: new Date(latest.at).toISOString(),
    });
  });
  const newest = [...items.values()].sort((a, b) => Date.parse(b.lastWatchedAt) - Date.parse(a.lastWatchedAt));

  const continueWatching = (now: number) => {
    const groups = new Set<string>();
    const out: { key: string; reason: 'resume' | 'next-episode' }[] = [];
    for (const it of newest) {
      if (!it.hasPlay) continue;
      const ref = ITEMS[it.index];
      const group = ref.mediaType === 'tv' ? `tv/${ref.mediaId}` : it.key;
      if (groups.has(group)) continue;
      groups.add(group);
      const days = w.settings.continueWatchingDays;
      if (it.hidden || (days > 0 && Date.parse(it.lastWatchedAt) < now - days * DAY)) continue;
      if (!it.finished && it.progress >= w.settings.minResumePercent && ref.totalDuration >= CONFIG.MIN_RESUME_DURATION_SECONDS) {
        out.push({ key: it.key, reason: 'resume' });
      } else if (ref.mediaType === 'tv' && it.finished && ref.episodeNumber! < w.episodes) {
        out.push({ key: keyOf({ ...ref, episodeNumber: ref.episodeNumber! + 1 }), reason: 'next-episode' });
      }
    }
    return out;
  };

  return {
    items: new Map([...items].map(([k, { index: _i, hasPlay: _p, ...rest }]) => [k, rest])),
    order: newest.map((i) => i.key),
    continueWatching,
    settings: w.settings,
    answers: w.answers,
    daily: daily(s, w),
  };
}

/** Seconds per UTC day: each session's credit by the end of each hour, whatever it is a play or not. */
function daily(s: Scenario, w: World): Expected['daily'] {
  if (s.itemDeletes) return null;
  const lastAll = Math.max(-1, ...w.deletes.map((d) => d.seq));
  const kept = w.received.filter((r) => r.seq > lastAll).map((r) => r.beat);
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
  for (let t = Date.parse(`${s.days[0]}T00:00:00Z`); t <= Date.parse(`${s.days[1]}T00:00:00Z`); t += DAY) days.push(new Date(t).toISOString().slice(0, 10));
  return days.map((date) => ({ date, seconds: perDay.get(date) ?? 0 }));
}
