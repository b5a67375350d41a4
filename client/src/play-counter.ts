/** What the counter reads from the media element (an `HTMLMediaElement` has all of it). */
export interface MediaClock {
  readonly currentTime: number;
  readonly playbackRate: number;
  readonly seeking: boolean;
}

/**
 * Media time may run this much faster than the wall clock times the playback rate before an
 * advance counts as a jump: media and wall clocks drift a little, and events arrive late.
 */
const RATE_TOLERANCE = 1.25;
const SLACK_SECONDS = 0.5;
/** The most credited for the moment between the last sample and a seek (timeupdate fires ~4×/s). */
const MAX_PRE_SEEK_SECONDS = 1;

/**
 * Counts the seconds of media really played in a session.
 *
 * It credits how far the *media* position moved forward between two samples (timeupdate, pause,
 * every heartbeat...), so paused and buffering time count nothing (the position stands still) and
 * a 2× rate counts two seconds of content per second, as the service expects. A seek is never
 * credited: while the element seeks there is no baseline, and after `seeked` counting starts from
 * the new position. As a second guard, a forward move larger than the wall clock allows at the
 * current rate is a jump (a seek whose events were missed) and counts nothing.
 */
export class PlayCounter {
  private played = 0;
  private lastPos: number | null = null;
  private lastWall = 0;
  private lastRate = 1;

  constructor(
    private readonly media: MediaClock,
    /** Monotonic milliseconds. */
    private readonly now: () => number,
  ) {}

  /** Seconds played so far in this session. */
  get seconds(): number {
    return this.played;
  }

  /** Starts a new session: zero, counting from the current position. */
  reset(): void {
    this.played = 0;
    this.rebase();
  }

  /** Takes the current position as the baseline without crediting anything (after `seeked`). */
  rebase(): void {
    const { currentTime, seeking, playbackRate } = this.media;
    this.lastPos = seeking || !Number.isFinite(currentTime) ? null : currentTime;
    this.lastWall = this.now();
    this.lastRate = playbackRate;
  }

  /** Credits the forward progress since the last sample, if plausible, and moves the baseline. */
  sample(): void {
    const { currentTime, seeking, playbackRate } = this.media;
    const now = this.now();
    if (this.lastPos !== null && !seeking && Number.isFinite(currentTime)) {
      const advanced = currentTime - this.lastPos;
      const wallSeconds = Math.max(0, now - this.lastWall) / 1000;
      const rate = Math.max(Math.abs(playbackRate), Math.abs(this.lastRate));
      if (advanced > 0 && advanced <= wallSeconds * rate * RATE_TOLERANCE + SLACK_SECONDS) this.played += advanced;
    }
    this.rebase();
  }

  /**
   * A seek began (`seeking`): the element already reports the target position, so the bit played
   * since the last sample is estimated from the wall clock, if it was playing, and no baseline is
   * kept until `seeked`.
   */
  seekStarted(wasPlaying: boolean): void {
    const now = this.now();
    if (wasPlaying && this.lastPos !== null) {
      this.played += Math.min((Math.max(0, now - this.lastWall) / 1000) * Math.abs(this.lastRate), MAX_PRE_SEEK_SECONDS);
    }
    this.lastPos = null;
    this.lastWall = now;
  }
}
