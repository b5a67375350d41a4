import { Rng } from './random.js';

/**
 * Simulated viewers and the ground truth of what they watched: the one audience of the benchmark,
 * the fault tests and the two-instance test. Seeded (the same seed replays the same audience), and
 * independent of src/: its truth is folded with its own arithmetic, so it can catch the service's.
 * Use: `new Simulation(seed, userIds, startClock, { now, behaviour })`; `heartbeatFor(viewer)` for
 * each viewer's next request; `onResult(heartbeat, status)` with each answer; `expected()`.
 *
 * Each viewer is one user with one playback session at a time, sometimes two (a second
 * device). Every heartbeat moves the viewer's simulated clock 10 s forward (5 s while two devices
 * play, each device still beating every 10 s) and carries it as `occurredAt`, so the service's
 * plausibility clamp and latest-position rule depend only on simulated time, not on when the
 * request happened to arrive: the outcome is exact whatever the compression. Clocks start where
 * the caller says and never pass `now()` (a viewer that would is skipped).
 *
 * Viewers play titles, seek, pause (simulated minutes pass), finish (a stop at the end; tv moves to
 * the next episode), abandon, rewatch from the start, hand a title over to another device or play
 * something else on it, send a few claims beyond what is plausible (clamped by the service), and
 * retry: the same request again, sometimes an older one (a late arrival).
 *
 * The truth is folded from the heartbeats the service answered 202, with the rules of SPEC §4:
 * total = Σ over sessions of min(max playedSeconds, 2 × (last − first) + 60 s) (its credited
 * seconds); and with the plays of §7: a session is a play once its credited seconds reach
 * `minPlaySeconds` (the service's MIN_PLAY_SECONDS, default 60); position = the latest event's
 * currentTime (clamped to the duration) among the item's plays, or among all its sessions while it
 * has none; finished = round(100 × position / duration) ≥ 90; completedCount = plays with a
 * heartbeat at ≥ 90 %.
 */

export const FINISHED_PERCENT = 90;
const HEARTBEAT_S = 10;

/** Behaviour probabilities, per heartbeat unless stated. */
export interface Behaviour {
  retrySame: number;
  retryOlder: number;
  seek: number;
  pause: number;
  abandon: number;
  secondDevice: number;
  inflated: number;
  startInside: number;
  rewatch: number;
  nextEpisode: number;
  /** Per new title: a movie rather than an episode. */
  movie: number;
}

export const VARIED: Behaviour = {
  retrySame: 0.015,
  retryOlder: 0.005,
  seek: 0.04,
  pause: 0.03,
  abandon: 0.02,
  secondDevice: 0.015,
  /** Per session: a client that claims far more played time than elapsed (clamped by the service). */
  inflated: 0.01,
  /** Per new session: start somewhere inside the title (resume from another app, or skip the intro). */
  startInside: 0.6,
  /** After finishing: watch it again from the start. */
  rewatch: 0.05,
  /** After finishing a tv episode: the next one. */
  nextEpisode: 0.75,
  movie: 0.45,
};

/**
 * Each viewer plays one film from its start, without seeking, pausing or stopping, and retries
 * only its latest heartbeat: every session lives as long as the run (movies last over 4,800 s),
 * so each session's next heartbeat restores whatever a crash lost.
 */
export const STEADY: Behaviour = {
  ...VARIED,
  retrySame: 0.1,
  retryOlder: 0,
  seek: 0,
  pause: 0,
  abandon: 0,
  secondDevice: 0,
  startInside: 0,
  movie: 1,
};

// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// A made-up catalogue (the service does not need to know it: titles come with the heartbeats).

export interface Title {
  mediaType: 'movie' | 'tv';
  mediaId: number;
  season: number | null;
  episode: number | null;
  duration: number;
  title: string;
}

const MOVIES = 3000;
const SHOWS = 600;
const SEASONS = 3;
const EPISODES = 8;

function movie(id: number): Title {
  return { mediaType: 'movie', mediaId: id, season: null, episode: null, duration: 4800 + ((id * 7919) % 4200), title: `Movie ${id}` };
}

/** Shows of three kinds: short kids' episodes, sitcoms, dramas. */
function episode(show: number, season: number, ep: number): Title {
  const kind = show % 3;
  const base = kind === 0 ? 420 : kind === 1 ? 1320 : 2700;
  const spread = kind === 0 ? 300 : kind === 1 ? 180 : 900;
  return {
    mediaType: 'tv',
    mediaId: show,
    season,
    episode: ep,
    duration: base + ((show * 31 + season * 7 + ep * 13) % spread),
    title: `Show ${show}`,
  };
}

function nextEpisodeOf(t: Title): Title | null {
  if (t.mediaType !== 'tv') return null;
  if (t.episode! < EPISODES) return episode(t.mediaId, t.season!, t.episode! + 1);
  if (t.season! < SEASONS) return episode(t.mediaId, t.season! + 1, 1);
  return null;
}

export function itemKey(userId: string, t: { mediaType: string; mediaId: number; season: number | null; episode: number | null }): string {
  return `${userId}|${t.mediaType}|${t.mediaId}|${t.season ?? ''}|${t.episode ?? ''}`;
}

// ---------------------------------------------------------------------------------------------

interface SimSession {
  id: string;
  item: Title;
  key: string;
  position: number;
  played: number;
  started: boolean;
  inflated: boolean;
  /** Heartbeats left before this device stops on its own (-1: until the title ends or is left). */
  remaining: number;
}

export interface Heartbeat {
  viewer: number;
  userId: string;
  key: string;
  sessionId: string;
  played: number;
  /** Event time, epoch ms (whole seconds). */
  at: number;
  currentTime: number;
  duration: number;
  /** The JSON body. */
  body: string;
}

export interface Viewer {
  index: number;
  userId: string;
  clock: number;
  sessions: SimSession[];
  turn: number;
  lastSentAt: number;
  recent: Heartbeat[];
  /** Where this viewer left each item (for resuming it later). */
  left: Map<string, number>;
  queued: Title | null;
}

interface TruthSession {
  max: number;
  first: number;
  last: number;
  completed: boolean;
  /** The session's latest event (by event time, then by receipt): its position. */
  posAt: number;
  posSeq: number;
  currentTime: number;
  duration: number;
}

interface TruthItem {
  userId: string;
  mediaType: string;
  mediaId: number;
  season: number | null;
  episode: number | null;
  sessions: Map<string, TruthSession>;
}

export interface ExpectedItem {
  key: string;
  userId: string;
  mediaType: string;
  mediaId: number;
  season: number | null;
  episode: number | null;
  total: number;
  currentTime: number;
  duration: number;
  progress: number;
  finished: boolean;
  completedCount: number;
  /** Event time of the latest heartbeat, epoch ms. */
  positionAt: number;
  sessions: number;
  /** Sessions that are plays (the rest count their seconds but do not move the position). */
  plays: number;
}

/** A session's credited seconds: its largest playedSeconds within the plausibility clamp of §4. */
function credited(s: TruthSession): number {
  return Math.min(s.max, (2 * (s.last - s.first)) / 1000 + 60);
}

export function progressOf(currentTime: number, duration: number): number {
  return Math.max(0, Math.min(100, Math.round((100 * Math.min(currentTime, duration)) / duration)));
}

export class Simulation {
  readonly viewers: Viewer[] = [];
  private readonly rng: Rng;
  private readonly behaviour: Behaviour;
  private readonly now: () => number;
  private readonly minPlaySeconds: number;
  /** Receipt order of accepted heartbeats (an event-time tie goes to the later one). */
  private seq = 0;
  private readonly truth = new Map<string, TruthItem>();
  /** Heartbeats whose outcome is unknown (connection lost, timed out): resent at the end. */
  readonly unknown = new Set<Heartbeat>();
  readonly stats = {
    generated: 0,
    retries: 0,
    lateRetries: 0,
    sessions: 0,
    secondDevice: 0,
    inflatedSessions: 0,
    finishes: 0,
    pauses: 0,
    seeks: 0,
    rewatches: 0,
    caughtUp: 0,
    accepted: 0,
    rejected: {} as Record<string, number>,
  };
  /** When set, accepted heartbeats are appended here (for the raw upsert reference). */
  recorder: ((hb: Heartbeat, receivedAt: number) => void) | null = null;

  /**
   * One viewer per user id; each viewer's simulated clock starts up to 20 min before `startClock`.
   * `now` (the real clock unless given) bounds the clocks: no heartbeat is ever from the future.
   * `minPlaySeconds` is the service's MIN_PLAY_SECONDS (its default, 60, unless given).
   */
  constructor(
    seed: number,
    userIds: readonly string[],
    startClock: number,
    opts: { now?: () => number; behaviour?: Partial<Behaviour>; minPlaySeconds?: number } = {},
  ) {
    this.rng = new Rng(seed);
    this.minPlaySeconds = opts.minPlaySeconds ?? 60;
    this.behaviour = { ...VARIED, ...opts.behaviour };
    this.now = opts.now ?? Date.now;
    userIds.forEach((userId, index) => {
      this.viewers.push({
        index,
        userId,
        // Whole seconds: the clamp's arithmetic stays exact in float8.
        clock: Math.floor((startClock - this.rng.int(0, 1200) * 1000) / 1000) * 1000,
        sessions: [],
        turn: 0,
        lastSentAt: -Infinity,
        recent: [],
        left: new Map(),
        queued: null,
      });
    });
  }

  /**
   * The next request of a viewer: a new heartbeat, or now and then a retry of an earlier one.
   * Null when the viewer's simulated clock would pass `now()`.
   */
  heartbeatFor(v: Viewer): Heartbeat | null {
    const rng = this.rng;
    if (v.recent.length && rng.chance(this.behaviour.retrySame + this.behaviour.retryOlder)) {
      const late = rng.chance(this.behaviour.retryOlder / (this.behaviour.retrySame + this.behaviour.retryOlder));
      const hb = late ? v.recent[rng.int(0, v.recent.length - 1)] : v.recent[v.recent.length - 1];
      this.stats.retries++;
      if (late) this.stats.lateRetries++;
      return hb;
    }
    if (v.clock + 2 * HEARTBEAT_S * 1000 > this.now() - 5000) {
      this.stats.caughtUp++;
      return null;
    }
    if (v.sessions.length === 0) this.startSession(v, this.chooseTitle(v), -1);
    if (v.sessions.length === 1 && rng.chance(this.behaviour.secondDevice)) this.addSecondDevice(v);
    const s = v.sessions[v.turn++ % v.sessions.length];
    let event: 'start' | 'progress' | 'pause' | 'stop' = 'progress';
    let ended = false;
    let pauseFor = 0;
    if (!s.started) {
      s.started = true;
      event = 'start';
    } else {
      if (rng.chance(this.behaviour.seek)) {
        s.position += Math.round(s.item.duration * (0.05 + 0.25 * rng.next()));
        this.stats.seeks++;
      }
      s.position += HEARTBEAT_S;
      s.played += s.inflated ? HEARTBEAT_S + rng.int(60, 600) : HEARTBEAT_S;
      if (s.position >= s.item.duration) {
        // Players often report a position a little past the end: the service clamps it.
        s.position = s.item.duration + (rng.chance(0.3) ? rng.int(1, 5) : 0);
        event = 'stop';
        ended = true;
        this.stats.finishes++;
      } else if (s.remaining === 0 || rng.chance(this.behaviour.abandon)) {
        event = 'stop';
        ended = true;
      } else if (rng.chance(this.behaviour.pause)) {
        event = 'pause';
        pauseFor = rng.int(30, 600);
        this.stats.pauses++;
      }
      if (s.remaining > 0) s.remaining--;
    }
    v.clock += (HEARTBEAT_S * 1000) / v.sessions.length;
    const hb = this.makeHeartbeat(v, s, event);
    if (pauseFor) v.clock += pauseFor * 1000;
    if (ended) this.endSession(v, s);
    v.recent.push(hb);
    if (v.recent.length > 4) v.recent.shift();
    this.stats.generated++;
    return hb;
  }

  /** The service's answer to a request (0: unknown outcome; -1: never sent). */
  onResult(hb: Heartbeat, status: number, receivedAt: number): void {
    if (status === 202) {
      this.unknown.delete(hb);
      this.fold(hb);
      this.stats.accepted++;
      this.recorder?.(hb, receivedAt);
      return;
    }
    this.stats.rejected[status] = (this.stats.rejected[status] ?? 0) + 1;
    if (status === 0) this.unknown.add(hb);
  }

  /** What the database must hold once everything accepted is flushed. */
  expected(): Map<string, ExpectedItem> {
    const out = new Map<string, ExpectedItem>();
    for (const [key, it] of this.truth) {
      let total = 0;
      let completed = 0;
      for (const s of it.sessions.values()) {
        total += credited(s);
        if (s.completed && this.isPlay(s)) completed++;
      }
      const at = this.positionOf(it);
      const progress = progressOf(at.currentTime, at.duration);
      out.set(key, {
        key,
        userId: it.userId,
        mediaType: it.mediaType,
        mediaId: it.mediaId,
        season: it.season,
        episode: it.episode,
        total,
        currentTime: at.currentTime,
        duration: at.duration,
        progress,
        finished: progress >= FINISHED_PERCENT,
        completedCount: completed,
        positionAt: at.posAt,
        sessions: it.sessions.size,
        plays: [...it.sessions.values()].filter((x) => this.isPlay(x)).length,
      });
    }
    return out;
  }

  truthSize(): { items: number; sessions: number; completions: number; finished: number; clamped: number } {
    let sessions = 0;
    let completions = 0;
    let finished = 0;
    let clamped = 0;
    for (const it of this.truth.values()) {
      sessions += it.sessions.size;
      for (const s of it.sessions.values()) {
        if (s.completed && this.isPlay(s)) completions++;
        if (s.max > credited(s)) clamped++;
      }
      const at = this.positionOf(it);
      if (progressOf(at.currentTime, at.duration) >= FINISHED_PERCENT) finished++;
    }
    return { items: this.truth.size, sessions, completions, finished, clamped };
  }

  // -------------------------------------------------------------------------------------------

  private fold(hb: Heartbeat): void {
    let it = this.truth.get(hb.key);
    if (!it) {
      const [userId, mediaType, mediaId, season, episode] = hb.key.split('|');
      it = {
        userId,
        mediaType,
        mediaId: Number(mediaId),
        season: season === '' ? null : Number(season),
        episode: episode === '' ? null : Number(episode),
        sessions: new Map(),
      };
      this.truth.set(hb.key, it);
    }
    const ct = Math.min(hb.currentTime, hb.duration);
    const seq = ++this.seq;
    const reached = progressOf(ct, hb.duration) >= FINISHED_PERCENT;
    const s = it.sessions.get(hb.sessionId);
    if (s) {
      s.max = Math.max(s.max, hb.played);
      s.first = Math.min(s.first, hb.at);
      s.last = Math.max(s.last, hb.at);
      s.completed ||= reached;
      if (hb.at >= s.posAt) Object.assign(s, { posAt: hb.at, posSeq: seq, currentTime: ct, duration: hb.duration });
    } else {
      it.sessions.set(hb.sessionId, {
        max: hb.played, first: hb.at, last: hb.at, completed: reached, posAt: hb.at, posSeq: seq, currentTime: ct, duration: hb.duration,
      });
    }
  }

  private isPlay(s: TruthSession): boolean {
    return credited(s) >= this.minPlaySeconds;
  }

  /** The item's position: the latest event among its plays, or among all its sessions while it has none. */
  private positionOf(it: TruthItem): { posAt: number; currentTime: number; duration: number } {
    const all = [...it.sessions.values()];
    const plays = all.filter((s) => this.isPlay(s));
    return (plays.length ? plays : all).reduce((a, b) => (b.posAt > a.posAt || (b.posAt === a.posAt && b.posSeq > a.posSeq) ? b : a));
  }

  private makeHeartbeat(v: Viewer, s: SimSession, event: string): Heartbeat {
    const t = s.item;
    const episodePart = t.mediaType === 'tv' ? `,"seasonNumber":${t.season},"episodeNumber":${t.episode}` : '';
    const titlePart = event === 'start' ? `,"title":"${t.title}"` : '';
    const at = v.clock;
    const body =
      `{"sessionId":"${s.id}","mediaType":"${t.mediaType}","mediaId":${t.mediaId}${episodePart},` +
      `"currentTime":${s.position},"totalDuration":${t.duration},"playedSeconds":${s.played},"event":"${event}"${titlePart},` +
      `"occurredAt":"${new Date(at).toISOString()}"}`;
    return {
      viewer: v.index,
      userId: v.userId,
      key: s.key,
      sessionId: s.id,
      played: s.played,
      at,
      currentTime: s.position,
      duration: t.duration,
      body,
    };
  }

  private chooseTitle(v: Viewer): Title {
    if (v.queued) {
      const t = v.queued;
      v.queued = null;
      return t;
    }
    const rng = this.rng;
    if (rng.chance(this.behaviour.movie)) return movie(rng.int(1, MOVIES));
    return episode(rng.int(1, SHOWS), rng.int(1, SEASONS), rng.int(1, EPISODES));
  }

  private startSession(v: Viewer, item: Title, remaining: number, at?: number): SimSession {
    const rng = this.rng;
    const key = itemKey(v.userId, item);
    let position = 0;
    if (at !== undefined) position = at;
    else if (v.left.has(key)) position = v.left.get(key)!;
    else if (rng.chance(this.behaviour.startInside)) position = Math.floor(item.duration * 0.97 * rng.next());
    const s: SimSession = {
      id: rng.uuid(),
      item,
      key,
      position,
      played: 0,
      started: false,
      inflated: rng.chance(this.behaviour.inflated),
      remaining,
    };
    if (s.inflated) this.stats.inflatedSessions++;
    v.sessions.push(s);
    this.stats.sessions++;
    return s;
  }

  private addSecondDevice(v: Viewer): void {
    const first = v.sessions[0];
    this.stats.secondDevice++;
    if (this.rng.chance(0.5)) {
      // Hand-over: the title goes on on another device from where it is; the first device
      // sends a beat or two more and stops.
      first.remaining = this.rng.int(1, 2);
      this.startSession(v, first.item, -1, first.position);
    } else {
      // Someone else plays something on a second device for a while.
      this.startSession(v, episode(3 * this.rng.int(1, SHOWS / 3), 1, this.rng.int(1, EPISODES)), this.rng.int(3, 12));
    }
  }

  private endSession(v: Viewer, s: SimSession): void {
    v.sessions.splice(v.sessions.indexOf(s), 1);
    const finished = progressOf(s.position, s.item.duration) >= FINISHED_PERCENT;
    v.left.set(s.key, finished ? 0 : Math.min(s.position, s.item.duration));
    if (v.sessions.length > 0) return;
    const rng = this.rng;
    if (finished && rng.chance(this.behaviour.rewatch)) {
      v.queued = s.item;
      this.stats.rewatches++;
    } else if (finished && s.item.mediaType === 'tv' && rng.chance(this.behaviour.nextEpisode)) {
      v.queued = nextEpisodeOf(s.item);
    }
    // A short break before the next title.
    v.clock += rng.int(5, 120) * 1000;
  }
}
