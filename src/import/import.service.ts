import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { issuesToFieldErrors } from '../common/validation.js';
import { legacyDocumentSchema, type ImportError, type ImportResult } from './dto/legacy-document.schema.js';
import type { RawDocument } from './document-reader.js';
import { ImportRepository } from './import.repository.js';
import { legacyPlay, type LegacyPlay } from './legacy-play.js';

/**
 * Documents per transaction: large enough that per-transaction costs vanish, small enough that a
 * chunk holds its users' locks for a moment only (and the arrays stay a few hundred kilobytes).
 */
export const IMPORT_CHUNK = 1000;
/** The answer lists this many errors at most; the count of rejected documents is complete. */
export const MAX_REPORTED_ERRORS = 100;

/** A document from a parsed body (JSON array) or cut out of a stream (`text`). */
export type IncomingDocument = RawDocument | { line: number; value: unknown };

/** Called after each chunk is stored: the counts so far. */
export type ImportProgress = (counts: Omit<ImportResult, 'errors'>) => void;

/**
 * The import (SPEC §9): validates each document alone, turns it into a play and stores plays in
 * chunks. Memory holds two chunks (one being written, one being parsed) whatever the size of the
 * input, which is pulled only as fast as chunks are stored. Used by the HTTP route and by
 * `npm run import`.
 */
@Injectable()
export class ImportService {
  private readonly logger = new Logger(ImportService.name);

  constructor(
    private readonly repository: ImportRepository,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'FINISHED_PERCENT'>,
  ) {}

  async importDocuments(documents: AsyncIterable<IncomingDocument> | Iterable<IncomingDocument>, onProgress?: ImportProgress): Promise<ImportResult> {
    const result: ImportResult = { imported: 0, unchanged: 0, rejected: 0, errors: [] };
    let chunk: LegacyPlay[] = [];
    let sessionIds = new Set<string>();
    // One chunk is written while the next one is parsed (never more: chunks commit in order).
    let inFlight: Promise<void> = Promise.resolve();
    const store = async (plays: LegacyPlay[]) => {
      const imported = await this.repository.apply(plays, this.config.FINISHED_PERCENT);
      result.imported += imported;
      result.unchanged += plays.length - imported;
      onProgress?.({ imported: result.imported, unchanged: result.unchanged, rejected: result.rejected });
    };
    const send = async () => {
      await inFlight;
      const plays = chunk;
      chunk = [];
      sessionIds = new Set();
      inFlight = store(plays);
      // surfaced by the next `await inFlight`; never an unhandled rejection meanwhile
      inFlight.catch(() => undefined);
    };
    for await (const doc of documents) {
      const parsed = parseDocument(doc);
      if ('errors' in parsed) {
        result.rejected += 1;
        for (const e of parsed.errors) if (result.errors.length < MAX_REPORTED_ERRORS) result.errors.push(e);
        continue;
      }
      // the same document twice in one chunk: the second finds the first (as in a later chunk)
      if (sessionIds.has(parsed.play.sessionId)) {
        result.unchanged += 1;
        continue;
      }
      sessionIds.add(parsed.play.sessionId);
      chunk.push(parsed.play);
      if (chunk.length >= IMPORT_CHUNK) await send();
    }
    if (chunk.length) await send();
    await inFlight;
    if (!result.imported && !result.unchanged) onProgress?.({ imported: 0, unchanged: 0, rejected: result.rejected });
    this.logger.log(`history import: ${result.imported} imported, ${result.unchanged} unchanged, ${result.rejected} rejected`);
    return result;
  }
}

/** One document validated, or its errors (one per bad field, with its line). */
export function parseDocument(doc: IncomingDocument): { play: LegacyPlay } | { errors: ImportError[] } {
  const { line } = doc;
  let value: unknown;
  if ('value' in doc) value = doc.value;
  else if (doc.problem) return { errors: [{ line, field: 'document', message: doc.problem }] };
  else {
    try {
      value = JSON.parse(doc.text);
    } catch {
      return { errors: [{ line, field: 'document', message: 'is not valid JSON' }] };
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { errors: [{ line, field: 'document', message: 'must be a JSON object' }] };
  }
  const parsed = legacyDocumentSchema.safeParse(value);
  if (!parsed.success) {
    return { errors: issuesToFieldErrors(parsed.error.issues).map((e) => ({ line, field: e.field === 'body' ? 'document' : e.field, message: e.message })) };
  }
  return { play: legacyPlay(parsed.data) };
}
