import { isFinished, isResumable, positionState, progressOf, resumeAt } from './progress.js';

const t = { finishedPercent: 90, minResumePercent: 5 };

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
    expect(isFinished(90, 90)).toBe(true);
    expect(isFinished(89, 90)).toBe(false);
    expect(isFinished(100, 100)).toBe(true);
  });

  it('comes from the rounded progress of the position', () => {
    expect(positionState(895, 1000, 90)).toEqual({ progress: 90, finished: true });
    expect(positionState(894, 1000, 90)).toEqual({ progress: 89, finished: false });
    expect(positionState(500, 1000, 50)).toEqual({ progress: 50, finished: true });
  });
});

describe('resumeAt', () => {
  it('is the position from exactly minResumePercent (>=, not >)', () => {
    expect(resumeAt({ finished: false, progress: 5, currentTime: 50 }, t)).toBe(50);
    expect(isResumable({ finished: false, progress: 5 }, t)).toBe(true);
  });

  it('is 0 just below minResumePercent', () => {
    expect(resumeAt({ finished: false, progress: 4, currentTime: 44 }, t)).toBe(0);
    expect(isResumable({ finished: false, progress: 4 }, t)).toBe(false);
  });

  it('is 0 at the finished point, and when the item is marked finished', () => {
    expect(resumeAt({ finished: false, progress: 90, currentTime: 900 }, t)).toBe(0);
    expect(resumeAt({ finished: false, progress: 89, currentTime: 890 }, t)).toBe(890);
    expect(resumeAt({ finished: true, progress: 50, currentTime: 500 }, t)).toBe(0);
  });

  it('follows the thresholds it is given, not fixed ones', () => {
    const strict = { finishedPercent: 95, minResumePercent: 20 };
    expect(resumeAt({ finished: false, progress: 92, currentTime: 920 }, strict)).toBe(920);
    expect(resumeAt({ finished: false, progress: 10, currentTime: 100 }, strict)).toBe(0);
    expect(resumeAt({ finished: false, progress: 20, currentTime: 200 }, strict)).toBe(200);
    expect(resumeAt({ finished: false, progress: 95, currentTime: 950 }, strict)).toBe(0);
  });
});
