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

/**
 * `writers`: chunks written at once (default 1), each on its own connection; a user's documents
 * always go to the same one, so they apply in file order and the result equals one writer's.
 * `chunkSize`: documents per transaction (IMPORT_CHUNK; smaller only in tests).
 */
export interface ImportOptions {
  writers?: number;
  chunkSize?: number;
}

/** Called after each chunk is stored: the counts so far. */
export type ImportProgress = (counts: Omit<ImportResult, 'errors'>) => void;

/**
 * The import (SPEC §9): validates each document alone, turns it into a play and stores plays in
 * chunks. Memory holds two chunks per writer (one being written, one being filled) whatever the
 * size of the input, which is pulled only as fast as chunks are stored. Used by the HTTP route and
 * by `npm run import` (`--writers=N`).
 */
@Injectable()
export class ImportService {
  private readonly logger = new Logger(ImportService.name);

  constructor(
    private readonly repository: ImportRepository,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'FINISHED_PERCENT'>,
  ) {}

  async importDocuments(
    documents: AsyncIterable<IncomingDocument> | Iterable<IncomingDocument>,
    onProgress?: ImportProgress,
    options: ImportOptions = {},
  ): Promise<ImportResult> {
    const writers = options.writers ?? 1;
    const chunkSize = options.chunkSize ?? IMPORT_CHUNK;
    const result: ImportResult = { imported: 0, unchanged: 0, rejected: 0, errors: [] };
    const store = async (plays: LegacyPlay[]) => {
      const imported = await this.repository.apply(plays, this.config.FINISHED_PERCENT);
      result.imported += imported;
      result.unchanged += plays.length - imported;
      onProgress?.({ imported: result.imported, unchanged: result.unchanged, rejected: result.rejected });
    };
    // One lane per writer, each user always in the same lane: a lane commits its chunks in order
    // (one written while the next fills), so each user's documents apply in file order.
    const lanes = Array.from({ length: writers }, () => ({ chunk: [] as LegacyPlay[], sessionIds: new Set<string>(), inFlight: Promise.resolve() }));
    const send = async (lane: (typeof lanes)[number]) => {
      await lane.inFlight;
      const plays = lane.chunk;
      lane.chunk = [];
      lane.sessionIds = new Set();
      lane.inFlight = store(plays);
      // surfaced by the next `await lane.inFlight`; never an unhandled rejection meanwhile
      lane.inFlight.catch(() => undefined);
    };
    for await (const doc of documents) {
      const parsed = parseDocument(doc);
      if ('errors' in parsed) {
        result.rejected += 1;
        for (const e of parsed.errors) if (result.errors.length < MAX_REPORTED_ERRORS) result.errors.push(e);
        continue;
      }
      const lane = lanes[laneOf(parsed.play.userId, writers)];
      // the same document twice in one chunk: the second finds the first (as in a later chunk)
      if (lane.sessionIds.has(parsed.play.sessionId)) {
        result.unchanged += 1;
        continue;
      }
      lane.sessionIds.add(parsed.play.sessionId);
      lane.chunk.push(parsed.play);
      if (lane.chunk.length >= chunkSize) await send(lane);
    }
    for (const lane of lanes) if (lane.chunk.length) await send(lane);
    // Every lane's last chunk, and the first failure among them.
    await Promise.all(lanes.map((lane) => lane.inFlight));
    if (!result.imported && !result.unchanged) onProgress?.({ imported: 0, unchanged: 0, rejected: result.rejected });
    this.logger.log(`history import: ${result.imported} imported, ${result.unchanged} unchanged, ${result.rejected} rejected`);
    return result;
  }
}

/** A user's lane among `n` (FNV-1a of the user id): stable, so a user's documents stay in order. */
export function laneOf(userId: string, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) h = Math.imul(h ^ userId.charCodeAt(i), 0x01000193);
  return (h >>> 0) % n;
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
