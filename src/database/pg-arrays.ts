/**
 * PostgreSQL array literals for the flush's `unnest` parameters, built directly from numbers.
 * node-postgres serialises a JS array element by element (a Date through a local-time string
 * with its offset, every element quoted and escaped): on a large batch that was about 5 % of a
 * heartbeat's CPU and a sixth of the bytes the service allocates per heartbeat. Numbers and ISO
 * timestamps need no quoting, so a join does the same in one pass. Text columns stay with
 * node-postgres, which escapes them.
 */

/** `{1,2.5,NULL}` for an `int[]`, `int8[]`, `int2[]` or `float8[]` parameter. */
export function numberArray(values: readonly (number | null)[]): string {
  return literal('numberArray', 'number', values, (v) => String(v));
}

/** `{2026-12-03T13:00:00.000Z,…}` for a `timestamptz[]` parameter, from epoch milliseconds. */
export function timestampArray(epochMs: readonly number[]): string {
  return literal('timestampArray', 'time', epochMs, (ms) => new Date(ms).toISOString());
}

/** One pass over the values; a non-finite one throws rather than reach PostgreSQL. */
function literal(name: string, what: string, values: readonly (number | null)[], element: (v: number) => string): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && !Number.isFinite(v)) throw new RangeError(`${name}: ${v} at index ${i} is not a finite ${what}`);
    out += (i ? ',' : '') + (v === null ? 'NULL' : element(v));
  }
  return out + '}';
}
