import { dayLockKeySql, LOCK_IDS, userLockKeySql } from './lock-ids.js';

describe('advisory lock ids', () => {
  it('are all distinct', () => {
    const values = Object.values(LOCK_IDS);
    expect(new Set(values).size).toBe(values.length);
  });
});

describe('lock keys in SQL', () => {
  it('hash the user id, and number days from 1970-01-01 as utcDayNumber does', () => {
    expect(userLockKeySql('$1')).toBe('hashtext($1)');
    expect(dayLockKeySql('$1::date')).toBe("($1::date - DATE '1970-01-01')");
  });
});
