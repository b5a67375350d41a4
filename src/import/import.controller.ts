import { Controller, HttpCode, Post, Req, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AdminOnly } from '../auth/auth.decorators.js';
import { ApiErrors } from '../common/api-errors.js';
import { FieldValidationException } from '../common/errors.js';
import { importResultSchema, legacyDocumentSchema } from './dto/legacy-document.schema.js';
import { readDocuments } from './document-reader.js';
import { ImportService, type IncomingDocument } from './import.service.js';

/** NDJSON bodies reach the route as the request stream itself: never buffered, never size-limited. */
export const NDJSON = 'application/x-ndjson';

const EXAMPLE_LINES = [
  '{"userId":"user-42","mediaType":"movie","mediaId":550,"progress":97,"currentTime":8150,"totalDuration":8400,"totalPlayedSeconds":8400,"finished":true,"lastWatchedAt":"2025-10-30T22:41:00Z","title":"Fight Club"}',
  '{"userId":"user-42","mediaType":"tv","mediaId":1399,"seasonNumber":1,"episodeNumber":3,"progress":52,"currentTime":1870,"totalDuration":3600,"totalPlayedSeconds":2400,"finished":false,"lastWatchedAt":"2025-11-02T21:14:00Z","title":"Lord Snow"}',
];

@ApiTags('admin')
@ApiBearerAuth('jwt')
@AdminOnly()
@Controller('v1/admin/history')
export class ImportController implements OnModuleInit {
  constructor(
    private readonly imports: ImportService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance() as FastifyInstance | undefined;
    if (fastify && !fastify.hasContentTypeParser(NDJSON)) {
      fastify.addContentTypeParser(NDJSON, (_req, payload, done) => done(null, payload));
    }
  }

  @Post('import')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Import watch history from the system Playtime replaces (admin)',
    description:
      `\`${NDJSON}\`: one document a line, any number of lines, read as a stream in bounded memory (a body that begins with \`[\` is read as a streamed JSON array). ` +
      '`application/json`: a JSON array of documents, within the 256 KB body limit. ' +
      'Each document becomes one play of `totalPlayedSeconds` ending at `lastWatchedAt` (counted in statistics and reports in that hour, exempt from the plausibility clamp ' +
      'and the per-user hourly ceiling), a completion when `finished`, and the item\'s position when it is the item\'s latest play. ' +
      'Plays are stored 1000 documents per transaction. The play\'s session id is derived from the user, the item, `lastWatchedAt` and `totalPlayedSeconds`, ' +
      'so importing the same document again changes nothing (it counts as `unchanged`) and an import stopped half-way can simply be run again. ' +
      'A bad document is rejected alone (its line, the field and why, in `errors`); the others are imported. ' +
      'Unknown fields are refused: strip the old store\'s own fields (`_id`, ...) first. A NUL character in a JSON-array body refuses the whole request (400), in an NDJSON line only that line.',
  })
  @ApiConsumes(NDJSON, 'application/json')
  @ApiBody({
    standardSchema: z.array(legacyDocumentSchema),
    description: `NDJSON (one \`LegacyHistoryDocument\` a line), or a JSON array of them. NDJSON example:\n\n\`\`\`\n${EXAMPLE_LINES.join('\n')}\n\`\`\``,
  } as never)
  @ApiResponse({
    status: 200,
    description: 'Counts, and the first 100 errors (one per bad field).',
    standardSchema: importResultSchema,
    example: { imported: 2, unchanged: 0, rejected: 1, errors: [{ line: 3, field: 'totalDuration', message: 'Too small: expected number to be >0' }] },
  } as never)
  @ApiErrors(400, 401, 403)
  async import(@Req() req: FastifyRequest) {
    return this.imports.importDocuments(documentsOf(req.body));
  }
}

/** The documents of a body: a parsed JSON array, or the NDJSON stream. */
function documentsOf(body: unknown): Iterable<IncomingDocument> | AsyncIterable<IncomingDocument> {
  if (Array.isArray(body)) return body.map((value: unknown, i) => ({ line: i + 1, value }));
  if (body && typeof body === 'object' && Symbol.asyncIterator in body) return readDocuments(body as AsyncIterable<Buffer>);
  throw new FieldValidationException([{ field: 'body', message: `must be NDJSON (${NDJSON}) or a JSON array of documents` }]);
}
