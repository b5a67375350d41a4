import { StandardSchemaValidationPipe } from '@nestjs/common';
import { FieldValidationException, type FieldError } from './errors.js';

type PathSegment = PropertyKey | { key: PropertyKey };
interface Issue {
  message: string;
  path?: ReadonlyArray<PathSegment>;
  code?: string;
  keys?: string[];
}

/** `heartbeats[3].mediaId` from `['heartbeats', 3, 'mediaId']`. */
export function fieldPath(path: ReadonlyArray<PathSegment> = []): string {
  let out = '';
  for (const seg of path) {
    const key = typeof seg === 'object' && seg !== null ? seg.key : seg;
    out += typeof key === 'number' ? `[${key}]` : out ? `.${String(key)}` : String(key);
  }
  return out;
}

/** One error per bad field; unknown fields are named one by one. */
export function issuesToFieldErrors(issues: readonly Issue[]): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of issues) {
    const base = fieldPath(issue.path);
    if (issue.code === 'unrecognized_keys' && issue.keys?.length) {
      for (const key of issue.keys) errors.push({ field: base ? `${base}.${key}` : key, message: 'is not a known field' });
    } else {
      errors.push({ field: base || 'body', message: issue.message });
    }
  }
  return errors;
}

/** The one global validation pipe: schemas declared on `@Body/@Query/@Param({ schema })`. */
export function createValidationPipe(): StandardSchemaValidationPipe {
  return new StandardSchemaValidationPipe({
    exceptionFactory: (issues) => new FieldValidationException(issuesToFieldErrors(issues as readonly Issue[])),
  });
}

/** PostgreSQL `text` cannot hold NUL (SQLSTATE 22021): no string anywhere in a request may. */
export const NUL_MESSAGE = 'must not contain the NUL character (\\u0000)';

export function hasNul(s: string): boolean {
  return s.includes('\u0000');
}

/** A key as it can be shown in a field path (NUL written as the escape). */
const printable = (key: string) => key.replaceAll('\u0000', '\\u0000');

/**
 * Field path of the first string (value or object key) holding NUL inside `value`, or null.
 * Runs on every request's query and path parameters: no allocation unless something is found.
 */
export function findNul(value: unknown, path: string): string | null {
  if (typeof value === 'string') return hasNul(value) ? path : null;
  if (typeof value !== 'object' || value === null) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if ((typeof v === 'string' && hasNul(v)) || (typeof v === 'object' && v !== null)) {
        const found = findNul(v, `${path}[${i}]`);
        if (found !== null) return found;
      }
    }
    return null;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const v = record[key];
    const bad = hasNul(key) || (typeof v === 'string' && hasNul(v));
    if (!bad && (typeof v !== 'object' || v === null)) continue;
    const field = path ? `${path}.${printable(key)}` : printable(key);
    if (bad) return field;
    const found = findNul(v, field);
    if (found !== null) return found;
  }
  return null;
}
