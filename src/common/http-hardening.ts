import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/app-config.js';
import { findNul, NUL_MESSAGE } from './validation.js';

/** Routes that may be sent as `text/plain` (navigator.sendBeacon); every other body is JSON. */
const PLAIN_TEXT_ROUTES = new Set(['/v1/playtime/beacon']);

/**
 * Security headers (helmet), CORS for the configured origins only, and strict content types:
 * JSON bodies everywhere but the beacon (Fastify already answers 415 for types it has no parser
 * for, and 413 above the body limit).
 */
export async function harden(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const headers = securityHeaders();
  fastify.addHook('onRequest', (_req, reply, done) => {
    reply.headers(headers);
    done();
  });
  if (config.CORS_ORIGINS?.length) {
    app.enableCors({
      origin: config.CORS_ORIGINS.includes('*') ? true : config.CORS_ORIGINS,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id', 'If-None-Match'],
      exposedHeaders: ['Retry-After', 'X-Request-Id', 'ETag', 'Content-Disposition'],
      maxAge: 600,
    });
  }
  markJsonBodiesWithNul(app, fastify);
  // Callback style, as the other per-request hooks: an async hook costs a promise per request.
  fastify.addHook('preValidation', (req, reply, done) => {
    const refusal = unsupportedText(req) ?? nulRefusal(req);
    // An early answer ends the request here: `done` is not called.
    if (refusal) void reply.status(refusal.statusCode).send(refusal);
    else done();
  });
}

/** No global CSP: the API answers JSON and the Swagger UI needs inline scripts; the pages set their own. */
const HELMET_OPTIONS: HelmetOptions = { contentSecurityPolicy: false, crossOriginResourcePolicy: { policy: 'same-site' } };

/**
 * The headers helmet sets, for these options, on every answer. They depend on the options only
 * (no CSP nonces here), so helmet's middleware runs once, at start-up, against a recorder, and
 * each request gets the recorded set in one call. Run per request (as @fastify/helmet does,
 * rebuilding helmet's middleware chain for each one), it cost about 3 % of a heartbeat's CPU.
 */
export function securityHeaders(options: HelmetOptions = HELMET_OPTIONS): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string) => (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => delete headers[name.toLowerCase()],
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
  });
  return headers;
}

const BODY_HAS_NUL = Symbol('bodyHasNul');
/** The JSON escape of NUL, as bytes: searched in each raw JSON body. */
const NUL_ESCAPE = Buffer.from('\\u0000');
type MarkedRequest = FastifyRequest & { [BODY_HAS_NUL]?: boolean };

/**
 * JSON can carry NUL only as the escape `\u0000` (a raw control character is invalid JSON), so a
 * look at the raw text tells whether the parsed body needs walking: the walk is skipped on the
 * hot path. Parsing itself stays Fastify's own (same prototype-poisoning rules).
 */
function markJsonBodiesWithNul(app: NestFastifyApplication, fastify: FastifyInstance): void {
  const { bodyLimit, onProtoPoisoning, onConstructorPoisoning } = fastify.initialConfig;
  const parse = fastify.getDefaultJsonParser(onProtoPoisoning ?? 'error', onConstructorPoisoning ?? 'error');
  app.useBodyParser('application/json', { bodyLimit }, (req, body, done) => {
    if (body.includes(NUL_ESCAPE)) (req as MarkedRequest)[BODY_HAS_NUL] = true;
    parse(req as FastifyRequest, body as unknown as string, done);
  });
}

interface Refusal {
  statusCode: number;
  error: string;
  message: string | string[];
  errors?: { field: string; message: string }[];
}

/** JSON bodies everywhere but the beacon: a text/plain body elsewhere is a 415. */
function unsupportedText(req: FastifyRequest): Refusal | null {
  const type = req.headers['content-type'];
  if (typeof type !== 'string' || !/^text\/plain/i.test(type) || PLAIN_TEXT_ROUTES.has(req.routeOptions.url ?? '')) return null;
  return {
    statusCode: 415,
    error: 'Unsupported Media Type',
    message: 'Send the body as application/json (text/plain is accepted by the beacon route only)',
  };
}

/**
 * SPEC: no string anywhere in a request may contain NUL; PostgreSQL would refuse it later, far
 * from the request (a flush, a search). Query and path parameters are a few short strings and are
 * always checked; a JSON body only when its raw text holds the escape; a text/plain beacon
 * body (a string until the guard parses it) only when it holds the escape too.
 */
function nulRefusal(req: FastifyRequest): Refusal | null {
  let field = findNul(req.params, '') ?? findNul(req.query, '');
  if (field === null) {
    const body = req.body;
    if ((req as MarkedRequest)[BODY_HAS_NUL]) field = findNul(body, '') ?? 'body';
    else if (typeof body === 'string' && (body.includes('\u0000') || body.includes('\\u0000'))) field = nulInText(body);
  }
  if (field === null) return null;
  const name = field || 'body';
  return {
    statusCode: 400,
    error: 'Bad Request',
    message: [`${name}: ${NUL_MESSAGE}`],
    errors: [{ field: name, message: NUL_MESSAGE }],
  };
}

/** The field of a text body (JSON sent as text/plain) that holds NUL, or `body` itself. */
function nulInText(text: string): string | null {
  try {
    return findNul(JSON.parse(text), '') ?? (text.includes('\u0000') ? 'body' : null);
  } catch {
    return text.includes('\u0000') ? 'body' : null;
  }
}
