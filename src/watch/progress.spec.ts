import { isResumable, positionState, progressOf, reachedFinish, resumeAt } from './progress.js';

const t = { finishedPercent: 90, minResumePercent: 5, creditsStart: null, minResumeDuration: 0 };
const at = (progress: number, currentTime: number, totalDuration = 1000) => ({ finished: false, progress, currentTime, totalDuration });

describe('progressOf', () => {
  it('rounds half up, and clamps a position past the end', () => {
    expect(progressOf(6300, 8400)).toBe(75);
    expect(progressOf(25, 1000)).toBe(3);
    expect(progressOf(5000, 1000)).toBe(100);
    expect(progressOf(0, 1000)).toBe(0);
  });

  it('rounds, not floors: 89.5 % is 90 and 2.5 % is 3', () => {
    expect(progressOf(895, 1000)).toBe(90);
    expect(progressOf(894, 1000)).toBe(89);
    expect(progressOf(999, 1000)).toBe(100);
  });

  it('never leaves 0..100, whatever the inputs', () => {
    expect(progressOf(-10, 1000)).toBe(0);
    expect(progressOf(1e9, 1)).toBe(100);
  });
});

describe('the finished point', () => {
  it('is reached at exactly the threshold (>=, not >)', () => {
    expect(reachedFinish(90, 0, t)).toBe(true);
    expect(reachedFinish(89, 0, t)).toBe(false);
    expect(reachedFinish(100, 0, { ...t, finishedPercent: 100 })).toBe(true);
  });

  it('is reached at the start of the credits when that comes first, and not a second before', () => {
    const credits = { finishedPercent: 90, creditsStart: 800 };
    expect(reachedFinish(80, 800, credits)).toBe(true);
    expect(reachedFinish(80, 799, credits)).toBe(false);
    // credits after the percentage: the percentage still counts
    expect(reachedFinish(90, 900, { finishedPercent: 90, creditsStart: 950 })).toBe(true);
  });

  it('comes from the rounded progress of the position', () => {
    expect(positionState(895, 1000, t)).toEqual({ progress: 90, finished: true });
    expect(positionState(894, 1000, t)).toEqual({ progress: 89, finished: false });
    expect(positionState(500, 1000, { ...t, finishedPercent: 50 })).toEqual({ progress: 50, finished: true });
    expect(positionState(700, 1000, { ...t, creditsStart: 700 })).toEqual({ progress: 70, finished: true });
  });

  it('judges a position past the end at the end', () => {
    expect(positionState(5000, 1000, { finishedPercent: 100, creditsStart: 1000 })).toEqual({ progress: 100, finished: true });
  });
});

describe('resumeAt', () => {
  it('is the position from exactly minResumePercent (>=, not >)', () => {
    expect(resumeAt(at(5, 50), t)).toBe(50);
    expect(isResumable(at(5, 50), t)).toBe(true);
  });

  it('is 0 just below minResumePercent', () => {
    expect(resumeAt(at(4, 44), t)).toBe(0);
    expect(isResumable(at(4, 44), t)).toBe(false);
  });

  it('is 0 at the finished point, and when the item is marked finished', () => {
    expect(resumeAt(at(90, 900), t)).toBe(0);
    expect(resumeAt(at(89, 890), t)).toBe(890);
    expect(resumeAt({ ...at(50, 500), finished: true }, t)).toBe(0);
  });

  it('is 0 for an item shorter than the minimum resume duration, and the position from exactly it', () => {
    const short = { ...t, minResumeDuration: 300 };
    expect(resumeAt(at(50, 149, 299), short)).toBe(0);
    expect(resumeAt(at(50, 150, 300), short)).toBe(150);
  });

  it('follows the thresholds it is given, not fixed ones', () => {
    const strict = { ...t, finishedPercent: 95, minResumePercent: 20 };
    expect(resumeAt(at(92, 920), strict)).toBe(920);
    expect(resumeAt(at(10, 100), strict)).toBe(0);
    expect(resumeAt(at(20, 200), strict)).toBe(200);
    expect(resumeAt(at(95, 950), strict)).toBe(0);
  });
});
