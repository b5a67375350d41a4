/**
 * Where a viewer is in an item, and what follows from it. Thresholds are inputs, not config reads:
 * they come from the service's settings today and will come per user (and per catalogue entry's
 * credits) later, without these rules changing shape.
 */

export interface ProgressThresholds {
  /** Progress (0–100) from which an item counts as finished. */
  finishedPercent: number;
  /** Progress (0–100) from which an unfinished item is offered to resume. */
  minResumePercent: number;
}

/** `round(100 × currentTime / totalDuration)`, with a position past the end clamped to the end. */
export function progressOf(currentTime: number, totalDuration: number): number {
  const pct = Math.round((100 * Math.min(currentTime, totalDuration)) / totalDuration);
  return Math.max(0, Math.min(100, pct));
}

/** The finished point: reached at exactly `finishedPercent`. */
export function isFinished(progress: number, finishedPercent: number): boolean {
  return progress >= finishedPercent;
}

/** Progress and the finished flag of a position, as stored with the item. */
export function positionState(currentTime: number, totalDuration: number, finishedPercent: number): { progress: number; finished: boolean } {
  const progress = progressOf(currentTime, totalDuration);
  return { progress, finished: isFinished(progress, finishedPercent) };
}

/** Worth resuming: not finished, and `minResumePercent ≤ progress < finishedPercent`. */
export function isResumable(item: { finished: boolean; progress: number }, t: ProgressThresholds): boolean {
  return !item.finished && item.progress >= t.minResumePercent && item.progress < t.finishedPercent;
}

/** Where a player should seek: the position when resumable, else the start. */
export function resumeAt(item: { finished: boolean; progress: number; currentTime: number }, t: ProgressThresholds): number {
  return isResumable(item, t) ? item.currentTime : 0;
}
