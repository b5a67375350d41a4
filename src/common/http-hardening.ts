import helmet from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '../config/app-config.js';

/** Routes that may be sent as `text/plain` (navigator.sendBeacon); every other body is JSON. */
const PLAIN_TEXT_ROUTES = new Set(['/v1/playtime/beacon']);

/**
 * Security headers (helmet), CORS for the configured origins only, and strict content types:
 * JSON bodies everywhere but the beacon (Fastify already answers 415 for types it has no parser
 * for, and 413 above the body limit).
 */
export async function harden(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  // No global CSP: the API answers JSON and the Swagger UI needs inline scripts; the demo page sets its own.
  await app.register(helmet, { contentSecurityPolicy: false, crossOriginResourcePolicy: { policy: 'same-site' } });
  if (config.CORS_ORIGINS?.length) {
    app.enableCors({
      origin: config.CORS_ORIGINS.includes('*') ? true : config.CORS_ORIGINS,
      methods: ['GET', 'POST', 'PUT', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id', 'If-None-Match'],
      exposedHeaders: ['Retry-After', 'X-Request-Id', 'ETag', 'Content-Disposition'],
      maxAge: 600,
    });
  }
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('preValidation', async (req, reply) => {
      const type = req.headers['content-type'];
      if (typeof type === 'string' && /^text\/plain/i.test(type) && !PLAIN_TEXT_ROUTES.has(req.routeOptions.url ?? '')) {
        await reply.status(415).send({
          statusCode: 415,
          error: 'Unsupported Media Type',
          message: 'Send the body as application/json (text/plain is accepted by the beacon route only)',
        });
      }
    });
}
