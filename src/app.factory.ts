import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AppModule, type AppModuleOptions } from './app.module.js';
import type { AppConfig } from './config/app-config.js';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';
import { createValidationPipe } from './common/validation.js';
import { harden } from './common/http-hardening.js';
import { coalesceWrites } from './common/write-coalescing.js';
import { requestId } from './logging/logger-options.js';
import { AppLogger } from './logging/logging.module.js';

/** Request bodies above this are refused with 413 (a full batch of 100 heartbeats is ~30 KB). */
const BODY_LIMIT_BYTES = 256 * 1024;

/**
 * Builds the application exactly as `main.ts` serves it: the same adapter, pipe, filter and docs.
 * Tests use it too, so they exercise what production runs.
 */
export async function createApp(options: AppModuleOptions): Promise<NestFastifyApplication> {
  const { config } = options;
  const adapter = new FastifyAdapter({
    trustProxy: trustProxy(config.TRUST_PROXY),
    bodyLimit: BODY_LIMIT_BYTES,
    // Fastify's own logger stays off (the default): pino-http logs one line per request.
    genReqId: requestId,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(options), adapter, {
    forceCloseConnections: true,
    bufferLogs: true,
  });
  app.useLogger(app.get(AppLogger));
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (req, reply, done) => {
      reply.header('X-Request-Id', req.id);
      done();
    });
  await harden(app, config);
  coalesceWrites(app.getHttpAdapter().getInstance());
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());
  if (config.DOCS_ENABLED) setupSwagger(app);
  await app.init();
  return app;
}

/**
 * `TRUST_PROXY` as Fastify wants it: a hop count becomes "trust the N nearest hops" (Fastify
 * ignores a plain number), a list stays a list of trusted proxy addresses, false trusts nobody.
 */
function trustProxy(value: AppConfig['TRUST_PROXY']): false | string[] | ((addr: string, hop: number) => boolean) {
  if (typeof value === 'number') return value > 0 ? (_addr, hop) => hop < value : false;
  return value;
}

/** Every tag an operation uses, described once (Spectral's `operation-tag-defined`). */
const API_TAGS: [name: string, description: string][] = [
  ['playtime', 'Heartbeats from players: one, a batch after being offline, or a beacon on page close.'],
  ['history', "The caller's own watch history: continue watching, resume positions, watched marks, deletion, export."],
  ['stats', "The caller's own watch statistics."],
  ['settings', "The caller's own thresholds: finished point, resume point, continue-watching staleness, auto-delete."],
  ['catalog', 'The catalogue of movies and episodes (cached reads).'],
  ['admin', 'Operators only: needs `"admin"` in the token\'s `roles`.'],
  ['reports', 'Watch-hour reports and roll-ups (admin).'],
  ['health', 'Liveness and readiness probes, and Prometheus metrics; no token.'],
  ['demo', 'Development tokens for the demo page and the admin dashboard (development-token mode only).'],
];

function setupSwagger(app: NestFastifyApplication): void {
  let builder = new DocumentBuilder()
    .setTitle('Playtime')
    .setDescription(
      'Tracks what every viewer watches: resume positions, seconds really watched, finished items. ' +
        'Every `/v1` route needs `Authorization: Bearer <JWT>` except the beacon (token in the body). ' +
        'Errors are JSON `{ statusCode, error, message, errors? }`; validation errors name each bad field.\n\n' +
        '**Authentication.** A missing, malformed, expired or wrongly signed token is a `401`. ' +
        'A token signed by an identity-provider key the service does not have yet (the provider rotated its keys) is a `503` ' +
        'with `Retry-After` until the service has fetched the provider\'s keys again, never a `401`. ' +
        'After `AUTH_FAILURE_LIMIT` (default 100) failed authentications in a minute from one client address, that address gets `429` ' +
        'with `Retry-After` for the rest of the minute; tokens it already used successfully keep working.',
    )
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'jwt');
  for (const [name, description] of API_TAGS) builder = builder.addTag(name, description);
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, builder.build()), {
    jsonDocumentUrl: 'docs-json',
    // The server is the origin these docs were asked from (as Fastify sees it, honouring
    // TRUST_PROXY), so "Try it out" calls this service by the name the reader reached it by.
    patchDocumentOnRequest: <TRequest, TResponse>(req: TRequest, _res: TResponse, document: OpenAPIObject): OpenAPIObject => {
      const { protocol, host } = req as unknown as FastifyRequest;
      return { ...document, servers: [{ url: `${protocol}://${host}`, description: 'This service' }] };
    },
  });
}
