import fc from 'fast-check';
import { numberArray, timestampArray } from '../../src/database/pg-arrays.js';
import { withAdminClient } from '../utils/test-database.js';

/**
 * The flush's array literals, read back by a real PostgreSQL: every value arrives as the number or
 * the millisecond it was, whatever node-postgres would have made of it.
 */
describe('PostgreSQL array literals (numberArray, timestampArray)', () => {
  it('round-trip numbers, nulls and times through float8[], int8[], int[] and timestamptz[]', async () => {
    await withAdminClient(async (c) => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }), { maxLength: 50 }),
          fc.array(fc.option(fc.integer({ min: -2147483648, max: 2147483647 }), { nil: null }), { maxLength: 50 }),
          fc.array(fc.maxSafeInteger(), { maxLength: 20 }),
          fc.array(fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(9999, 11, 31) }), { maxLength: 50 }),
          async (floats, ints, bigs, times) => {
            const { rows } = await c.query(
              `SELECT $1::float8[] AS floats, $2::int[] AS ints, $3::int8[]::text[] AS bigs,
                      (SELECT array_agg((extract(epoch FROM t) * 1000)::int8::text ORDER BY n) FROM unnest($4::timestamptz[]) WITH ORDINALITY AS x(t, n)) AS times`,
              [numberArray(floats), numberArray(ints), numberArray(bigs), timestampArray(times)],
            );
            // -0 is 0 to PostgreSQL too.
            expect(rows[0].floats.map((v: number | null) => (v === null ? null : Number(v)))).toEqual(floats.map((v) => (v === null ? null : v + 0)));
            expect(rows[0].ints).toEqual(ints);
            expect(rows[0].bigs.map(Number)).toEqual(bigs);
            expect((rows[0].times ?? []).map(Number)).toEqual(times);
          },
        ),
        { numRuns: 60 },
      );
    });
  });

  it('refuse what is not a finite number or time, rather than send it', () => {
    expect(() => numberArray([1, Number.NaN])).toThrow(/index 1/);
    expect(() => numberArray([Infinity])).toThrow(RangeError);
    expect(() => timestampArray([0, -Infinity])).toThrow(/index 1/);
    expect(numberArray([])).toBe('{}');
    expect(timestampArray([Date.UTC(2026, 11, 3, 13)])).toBe('{2026-12-03T13:00:00.000Z}');
  });
});
