import { calendarDateSchema, FIRST_DAY, LAST_DAY } from './calendar-date.js';

const messages = (v: unknown) => {
  const r = calendarDateSchema.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => i.message);
};

describe('calendarDateSchema', () => {
  it.each(['2025-06-30', '2024-02-29', FIRST_DAY, LAST_DAY])('accepts the real day %s as it is', (d) => {
    expect(calendarDateSchema.parse(d)).toBe(d);
  });

  it.each(['2025-6-30', '25-06-30', '2025-06-30T00:00:00Z', ' 2025-06-30', '2025-06-30 ', '2025/06/30', 'x2025-06-30', ''])(
    'refuses %j: not YYYY-MM-DD',
    (d) => {
      expect(messages(d)).toEqual(['must be a date YYYY-MM-DD']);
    },
  );

  it.each(['2025-02-29', '2025-04-31', '2025-13-01', '2025-00-10'])('refuses %s: not a day of the calendar', (d) => {
    expect(messages(d)).toEqual(['is not a calendar date']);
  });

  it.each(['0000-01-01', '1969-12-31'])('refuses %s: before 1970-01-01', (d) => {
    expect(messages(d)).toEqual([`must be between ${FIRST_DAY} and ${LAST_DAY}`]);
  });

  it('names the range 1970-01-01 … 9999-12-31', () => {
    expect([FIRST_DAY, LAST_DAY]).toEqual(['1970-01-01', '9999-12-31']);
  });

  it('refuses what is not a string', () => {
    expect(messages(20250630)).toHaveLength(1);
  });
});
