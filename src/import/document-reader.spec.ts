import { MAX_DOCUMENT_CHARS, readDocuments, type RawDocument } from './document-reader.js';

/** The documents of `text` cut into chunks at every `size` bytes (so UTF-8 characters split too). */
async function read(text: string, size = 7): Promise<RawDocument[]> {
  const bytes = Buffer.from(text, 'utf8');
  async function* chunks() {
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
  }
  const out: RawDocument[] = [];
  for await (const d of readDocuments(chunks())) out.push(d);
  return out;
}

describe('readDocuments', () => {
  it('cuts NDJSON into lines, numbered from 1, skipping blank ones, whatever the chunk boundaries', async () => {
    const text = '{"a":"é€"}\r\n\n  \n{"b":2}\n{"c":3}';
    for (const size of [1, 2, 3, 7, 1000]) {
      expect(await read(text, size)).toEqual([
        { line: 1, text: '{"a":"é€"}\r' },
        { line: 4, text: '{"b":2}' },
        { line: 5, text: '{"c":3}' },
      ]);
    }
  });

  it('refuses a line past the limit without keeping it, and goes on with the next one', async () => {
    const long = `{"x":"${'a'.repeat(MAX_DOCUMENT_CHARS)}"}`;
    const docs = await read(`{"a":1}\n${long}\n{"b":2}\n${long}`, 4096);
    expect(docs.map((d) => [d.line, d.problem ?? d.text])).toEqual([
      [1, '{"a":1}'],
      [2, expect.stringMatching(/longer than/)],
      [3, '{"b":2}'],
      [4, expect.stringMatching(/longer than/)],
    ]);
  });

  it('splits a JSON array at its top-level commas only (strings, escapes and nesting kept whole)', async () => {
    const a = { s: 'a, "b" ] } [ {', n: [1, { x: ',' }] };
    const b = { t: '\\"' };
    for (const size of [1, 5, 1000]) {
      const docs = await read(`\uFEFF \n[ ${JSON.stringify(a)} ,\n${JSON.stringify(b)} ]\n`, size);
      expect(docs.map((d) => [d.line, JSON.parse(d.text)])).toEqual([[1, a], [2, b]]);
    }
  });

  it('names broken arrays: an empty element, an array never closed, content after it; [] is nothing', async () => {
    expect(await read('[]')).toEqual([]);
    expect((await read('[{"a":1},,{"b":2}]')).map((d) => [d.line, d.problem ?? d.text])).toEqual([[1, '{"a":1}'], [2, 'is empty'], [3, '{"b":2}']]);
    expect((await read('[{"a":1},{"b":')).map((d) => [d.line, d.problem ?? d.text])).toEqual([[1, '{"a":1}'], [2, 'the array is not closed']]);
    expect((await read('[{"a":1}] x')).map((d) => [d.line, d.problem ?? d.text])).toEqual([[1, '{"a":1}'], [2, 'unexpected content after the array']]);
  });

  it('reads nothing from an empty or blank body', async () => {
    expect(await read('')).toEqual([]);
    expect(await read(' \n\n ')).toEqual([]);
  });
});
