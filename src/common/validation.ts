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
