import { checkpointAt, erasedByDelete, erasedByDeleteSql, peakAfter } from './pending.js';

const cp = (at: number, maxPlayed: number, own = 0) => ({
  at, maxPlayed, firstAt: 0, lastAt: at, peakProgress: own, peakTime: own * 10, ownPeakProgress: own, ownPeakTime: own * 10,
});

describe('checkpointAt', () => {
  const receipts = [cp(1000, 10), cp(2000, 20), cp(3000, 30)];

  it('takes the last checkpoint received at or before the time', () => {
    expect(checkpointAt(receipts, 2000)?.maxPlayed).toBe(20);
    expect(checkpointAt(receipts, 2999)?.maxPlayed).toBe(20);
    expect(checkpointAt(receipts, 5000)?.maxPlayed).toBe(30);
  });

  it('is null before the first one', () => {
    expect(checkpointAt(receipts, 999)).toBeNull();
    expect(checkpointAt([], 5000)).toBeNull();
  });
});

describe('peakAfter', () => {
  // cumulative peaks would say 95 for every time: only the own peaks of later receipts count
  const receipts = [cp(1000, 10, 95), cp(2000, 20, 40), cp(3000, 30, 60), cp(4000, 40, 50)];

  it('takes the largest own peaks of the checkpoints received strictly after the time', () => {
    expect(peakAfter(receipts, 1000)).toEqual({ peakProgress: 60, peakTime: 600 });
    expect(peakAfter(receipts, 999)).toEqual({ peakProgress: 95, peakTime: 950 });
    expect(peakAfter(receipts, 3000)).toEqual({ peakProgress: 50, peakTime: 500 });
  });

  it('is zero when nothing came later', () => {
    expect(peakAfter(receipts, 4000)).toEqual({ peakProgress: 0, peakTime: 0 });
    expect(peakAfter([], 0)).toEqual({ peakProgress: 0, peakTime: 0 });
  });
});

describe('erasedByDelete', () => {
  it('erases what was received at or before the delete', () => {
    expect(erasedByDelete({ receivedAt: 1000 }, 1000)).toBe(true);
    expect(erasedByDelete({ receivedAt: 999 }, 1000)).toBe(true);
    expect(erasedByDelete({ receivedAt: 1001 }, 1000)).toBe(false);
    expect(erasedByDelete({ receivedAt: 1000 }, null)).toBe(false);
  });

  it('is the same comparison in SQL', () => {
    expect(erasedByDeleteSql('i.received_at', 'i.erased_at')).toBe('(i.erased_at IS NOT NULL AND i.received_at <= i.erased_at)');
  });
});
