import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createTestApp, type TestApp } from '../utils/create-app.js';
import { generateClientTypes, type OpenApiDocument } from './openapi-to-ts.js';

const TYPES_FILE = resolve('client/src/api-types.ts');

/**
 * The browser client's types are generated from the service's own OpenAPI document: this test
 * regenerates them from the live `/docs-json` and fails when the committed file differs (a schema
 * changed, or someone edited the types by hand). `UPDATE_API_TYPES=1` rewrites the file instead.
 */
describe('client/src/api-types.ts', () => {
  let t: TestApp;
  let doc: OpenApiDocument;
  beforeAll(async () => {
    t = await createTestApp();
    doc = (await t.http().get('/docs-json').expect(200)).body as OpenApiDocument;
  });
  afterAll(() => t.close());

  it('is what /docs-json generates', () => {
    const generated = generateClientTypes(doc);
    if (process.env.UPDATE_API_TYPES === '1') writeFileSync(TYPES_FILE, generated);
    const committed = readFileSync(TYPES_FILE, 'utf8');
    if (committed !== generated) {
      throw new Error(
        'client/src/api-types.ts does not match /docs-json; regenerate it with ' +
          '`UPDATE_API_TYPES=1 npx jest test/client/api-types` and review the diff',
      );
    }
  });

  it('carries the fields the tracker relies on, with their documented optionality', () => {
    const text = generateClientTypes(doc);
    const heartbeat = /export interface Heartbeat \{([\s\S]*?)\n\}/.exec(text)?.[1] ?? '';
    for (const field of ['sessionId: string;', 'currentTime: number;', 'totalDuration: number;', 'playedSeconds: number;', "event?: 'start' | 'progress' | 'pause' | 'stop';", 'occurredAt?: string;']) {
      expect(heartbeat).toContain(field);
    }
    expect(text).toContain("'GET /v1/history/continue-watching': ContinueWatching;");
    expect(text).toMatch(/export interface HistoryItem \{[\s\S]*?\n {2}resumeAt: number;/);
  });

  it('refuses a document that lost a schema the client needs', () => {
    const broken = structuredClone(doc);
    delete (broken.components.schemas as Record<string, unknown>).UserStats;
    expect(() => generateClientTypes(broken)).toThrow(/UserStats/);
  });
});
