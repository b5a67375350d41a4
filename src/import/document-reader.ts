import { StringDecoder } from 'node:string_decoder';

/** A document longer than this is refused without being held in memory (one is ~300 bytes). */
export const MAX_DOCUMENT_CHARS = 64 * 1024;

/** One document of a body: its text, or why it could not be cut out. */
export interface RawDocument {
  /** NDJSON: the 1-based line number. JSON array: the 1-based position in the array. */
  line: number;
  text: string;
  /** Set when the document is too long or the array is broken around it. */
  problem?: string;
}

const TOO_LONG = `is longer than ${MAX_DOCUMENT_CHARS} characters`;

/**
 * Cuts a byte stream into documents, holding at most one document (and one chunk) in memory:
 * NDJSON (one document a line; blank lines skipped), or, when the first non-blank character is
 * `[`, a JSON array of documents, split at its top-level commas without parsing the whole.
 * The consumer pulls: while it writes a chunk to the database, the stream is not read further.
 */
export async function* readDocuments(source: AsyncIterable<Buffer | string>): AsyncGenerator<RawDocument> {
  const decoder = new StringDecoder('utf8');
  let reader: NdjsonSplitter | ArraySplitter | null = null;
  let head = '';
  for await (const chunk of source) {
    let piece = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (!reader) {
      head += piece;
      const start = head.search(/[^\s\uFEFF]/);
      if (start < 0) {
        if (head.length > MAX_DOCUMENT_CHARS) head = head.slice(-1); // only blank so far: keep nothing
        continue;
      }
      reader = head[start] === '[' ? new ArraySplitter() : new NdjsonSplitter();
      piece = head;
      head = '';
    }
    yield* reader.push(piece);
  }
  if (!reader) return;
  yield* reader.push(decoder.end());
  yield* reader.end();
}

class NdjsonSplitter {
  private line = 0;
  private partial = '';
  private tooLong = false;

  *push(text: string): Generator<RawDocument> {
    let from = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      yield* this.emit(this.take(text.slice(from, nl)));
      from = nl + 1;
    }
    this.partial = this.take(text.slice(from));
  }

  *end(): Generator<RawDocument> {
    if (this.partial || this.tooLong) yield* this.emit(this.partial);
  }

  /** The line so far, or nothing once it is past the limit (the rest of it is dropped). */
  private take(more: string): string {
    if (this.tooLong) return '';
    const line = this.partial + more;
    this.partial = '';
    if (line.length <= MAX_DOCUMENT_CHARS) return line;
    this.tooLong = true;
    return '';
  }

  private *emit(line: string): Generator<RawDocument> {
    this.line += 1;
    const tooLong = this.tooLong;
    this.tooLong = false;
    this.partial = '';
    if (tooLong) yield { line: this.line, text: '', problem: TOO_LONG };
    else if (line.trim()) yield { line: this.line, text: line };
  }
}

/** A JSON array split at its top-level commas; strings and nesting are tracked, nothing is parsed. */
class ArraySplitter {
  private index = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private element = '';
  private tooLong = false;
  private closed = false;
  private trailing = false;

  *push(text: string): Generator<RawDocument> {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (this.closed) {
        if (!/\s/.test(c)) this.trailing = true;
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (c === '"') this.inString = true;
      else if (c === '{' || c === '[') {
        this.depth += 1;
        if (this.depth === 1) start = i + 1; // the array itself opens
      } else if (c === '}' || c === ']') {
        this.depth -= 1;
        if (this.depth === 0) {
          this.append(text.slice(start, i));
          yield* this.emit(true);
          this.closed = true;
        }
      } else if (c === ',' && this.depth === 1) {
        this.append(text.slice(start, i));
        yield* this.emit(false);
        start = i + 1;
      }
    }
    if (!this.closed && this.depth >= 1) this.append(text.slice(start));
  }

  *end(): Generator<RawDocument> {
    if (!this.closed) {
      this.index += 1;
      yield { line: this.index, text: '', problem: 'the array is not closed' };
    } else if (this.trailing) {
      yield { line: this.index + 1, text: '', problem: 'unexpected content after the array' };
    }
  }

  private append(more: string): void {
    if (this.tooLong) return;
    this.element += more;
    if (this.element.length > MAX_DOCUMENT_CHARS) {
      this.tooLong = true;
      this.element = '';
    }
  }

  private *emit(last: boolean): Generator<RawDocument> {
    const text = this.element;
    const tooLong = this.tooLong;
    this.element = '';
    this.tooLong = false;
    if (last && this.index === 0 && !text.trim() && !tooLong) return; // []
    this.index += 1;
    if (tooLong) yield { line: this.index, text: '', problem: TOO_LONG };
    else if (!text.trim()) yield { line: this.index, text: '', problem: 'is empty' };
    else yield { line: this.index, text };
  }
}
