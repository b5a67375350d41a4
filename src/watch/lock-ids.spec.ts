import { LOCK_IDS } from './lock-ids.js';

describe('advisory lock ids', () => {
  it('are all distinct', () => {
    const values = Object.values(LOCK_IDS);
    expect(new Set(values).size).toBe(values.length);
  });
});
