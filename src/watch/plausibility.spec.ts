import { hourlyCeilingSeconds, plausibleCap, plausibleCapSql } from './plausibility.js';

describe('plausibleCap', () => {
  it('is twice the span plus a minute', () => {
    expect(plausibleCap(0, 0)).toBe(60);
    expect(plausibleCap(1000, 101_000)).toBe(260);
    expect(plausibleCap(5000, 5500)).toBe(61);
  });

  it('is written in SQL with the same factor and slack', () => {
    expect(plausibleCapSql('a.first_at', 'a.last_at')).toBe('2 * EXTRACT(EPOCH FROM a.last_at - a.first_at)::float8 + 60');
  });
});

describe('the per-user ceiling', () => {
  it('is an hour per stream per UTC hour', () => {
    expect(hourlyCeilingSeconds(4)).toBe(14_400);
    expect(hourlyCeilingSeconds(1)).toBe(3600);
  });
});
