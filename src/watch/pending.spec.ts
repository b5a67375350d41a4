import { checkpointAt, erasedByDelete, erasedByDeleteSql } from './pending.js';

const cp = (at: number, maxPlayed: number) => ({ at, maxPlayed, firstAt: 0, lastAt: at, peakProgress: 0, peakTime: 0 });

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
