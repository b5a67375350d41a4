/**
 * Where a viewer is in an item, and what follows from it. Thresholds are inputs, not config reads:
 * they come from the user's settings (else the service's) and the catalogue's credits.
 */

/** Where an item counts as finished (SPEC §7): a percentage, or where its end credits begin. */
export interface FinishedPoint {
  /** Progress (0–100) from which an item counts as finished. */
  finishedPercent: number;
  /** Where the end credits begin (seconds), when the catalogue knows it; null otherwise. */
  creditsStart: number | null;
}

export interface ProgressThresholds extends FinishedPoint {
  /** Progress (0–100) from which an unfinished item is offered to resume. */
  minResumePercent: number;
  /** Items shorter than this (seconds) never resume. */
  minResumeDuration: number;
}

/** `round(100 × currentTime / totalDuration)`, with a position past the end clamped to the end. */
export function progressOf(currentTime: number, totalDuration: number): number {
  const pct = Math.round((100 * Math.min(currentTime, totalDuration)) / totalDuration);
  return Math.max(0, Math.min(100, pct));
}

/**
 * `progressOf` in SQL, for double precision expressions. PostgreSQL's `round(float8)` rounds half
 * to even and JavaScript's `Math.round` half up: `floor(x + 0.5)` is JavaScript's rule.
 */
export function progressSql(currentTime: string, totalDuration: string): string {
  return `LEAST(100, GREATEST(0, floor(100 * LEAST(${currentTime}, ${totalDuration}) / ${totalDuration} + 0.5)))::int2`;
}

/** The finished point is reached at exactly `finishedPercent`, or at the start of the credits. */
export function reachedFinish(progress: number, currentTime: number, point: FinishedPoint): boolean {
  return progress >= point.finishedPercent || (point.creditsStart !== null && currentTime >= point.creditsStart);
}

/** `reachedFinish` in SQL; `creditsStart` may be NULL. */
export function reachedFinishSql(progress: string, currentTime: string, finishedPercent: string, creditsStart: string): string {
  return `(${progress} >= ${finishedPercent} OR COALESCE(${currentTime} >= ${creditsStart}, false))`;
}

/** Progress and the finished flag of a position. */
export function positionState(currentTime: number, totalDuration: number, point: FinishedPoint): { progress: number; finished: boolean } {
  const progress = progressOf(currentTime, totalDuration);
  return { progress, finished: reachedFinish(progress, Math.min(currentTime, totalDuration), point) };
}

/**
 * Worth resuming: not finished (`minResumePercent ≤ progress < finishedPercent`, credits not reached), and not a short item (SPEC §7:
 * items under MIN_RESUME_DURATION_SECONDS never resume).
 */
export function isResumable(item: { finished: boolean; progress: number; totalDuration: number }, t: ProgressThresholds): boolean {
  return !item.finished && item.progress >= t.minResumePercent && item.progress < t.finishedPercent && item.totalDuration >= t.minResumeDuration;
}

/** Where a player should seek: the position when resumable, else the start. */
export function resumeAt(item: { finished: boolean; progress: number; currentTime: number; totalDuration: number }, t: ProgressThresholds): number {
  return isResumable(item, t) ? item.currentTime : 0;
}
