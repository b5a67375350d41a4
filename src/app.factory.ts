import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule, type AppModuleOptions } from './app.module.js';
import type { AppConfig } from './config/app-config.js';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';
import { createValidationPipe } from './common/validation.js';
import { harden } from './common/http-hardening.js';
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
    .addHook('onRequest', async (req, reply) => {
      reply.header('X-Request-Id', req.id);
    });
  await harden(app, config);
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

function setupSwagger(app: NestFastifyApplication): void {
  const doc = new DocumentBuilder()
    .setTitle('Playtime')
    .setDescription(
      'Tracks what every viewer watches: resume positions, seconds really watched, finished items. ' +
        'Every `/v1` route needs `Authorization: Bearer <JWT>` except the beacon (token in the body). ' +
        'Errors are JSON `{ statusCode, error, message, errors? }`; validation errors name each bad field.',
    )
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'jwt')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, doc), {
    jsonDocumentUrl: 'docs-json',
  });
}
