/**
 * The keyset position of a history page: the row's `last_watched_at` as PostgreSQL prints it and
 * its id, as base64url JSON. A cursor is only ever handed back to PostgreSQL after the checks
 * below: anything this service could not have issued (other shapes, impossible dates such as
 * 2020-02-30, ids past bigint) is refused at the edge instead of failing as a 500 in the query.
 */
export interface HistoryCursor {
  at: string;
  id: string;
}

const MAX_BIGINT = 9_223_372_036_854_775_807n;
/** PostgreSQL's text form of a timestamptz: `2025-12-15 14:30:00.123456+00` (offset with minutes in some zones). */
const TIMESTAMPTZ = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?(?:Z|[+-]\d{2}(?::?\d{2}){0,2})$/;

export function encodeCursor(c: HistoryCursor): string {
  return Buffer.from(JSON.stringify([c.at, c.id])).toString('base64url');
}

/** The cursor, or null when `s` is not one this service issued. */
export function decodeCursor(s: string): HistoryCursor | null {
  if (!/^[A-Za-z0-9_-]+$/.test(s)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) return null;
  const [at, id] = parsed as unknown[];
  if (typeof at !== 'string' || typeof id !== 'string') return null;
  if (!isTimestamp(at) || !/^[1-9]\d{0,18}$/.test(id) || BigInt(id) > MAX_BIGINT) return null;
  return { at, id };
}

function isTimestamp(at: string): boolean {
  const m = TIMESTAMPTZ.exec(at);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (year < 1970 || hour > 23 || minute > 59 || second > 59) return false;
  // Date.UTC rolls 2020-02-30 over to March 1st: a real day is one that comes back unchanged.
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}
