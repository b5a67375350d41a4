import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { RequestMethod } from '@nestjs/common';
import type { LoggingParams } from './logging.module.js';
import type { AppConfig } from '../config/app-config.js';
import { rootLogger } from './root-logger.js';

const REQUEST_ID = /^[\w.-]{1,64}$/;

/** The request id: the caller's `X-Request-Id` when it looks like one, else a new UUID. */
export function requestId(raw: IncomingMessage): string {
  const incoming = raw.headers['x-request-id'];
  const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  // pino-http reads `req.id`, Fastify uses the returned value: one id for both.
  (raw as IncomingMessage & { id?: string }).id = id;
  return id;
}

export const QUIET_ROUTES = /^\/(health|metrics)(\/|$)/;

/** The level of a request's log line: errors, then refusals, then the rest. */
export function statusLevel(status: number, err?: Error): 'error' | 'warn' | 'info' {
  return err || (status >= 500 && status !== 503) ? 'error' : status >= 400 ? 'warn' : 'info';
}

/**
 * pino-http runs on every request only when it may log every request (LOG_LEVEL info or below).
 * At warn and above it would build a child logger and an async context per request for lines that
 * are never written: `QuietAccessLog` (access-log.ts) logs the 4xx/5xx ones instead.
 */
export function perRequestLogger(config: AppConfig): boolean {
  return !['warn', 'error', 'fatal'].includes(config.LOG_LEVEL);
}

/**
 * Structured JSON logs (pino): one line per request with its id, method, route, status and time,
 * one per flush; never the Authorization header, cookies or a token in a body. Pretty-printed when
 * run by hand in a terminal outside production.
 */
export function loggerOptions(config: AppConfig, interactive: boolean): LoggingParams {
  return {
    // Every route (the library's default pattern does not match under the Fastify adapter); none
    // at warn and above (see perRequestLogger).
    forRoutes: perRequestLogger(config) ? [{ path: '{*path}', method: RequestMethod.ALL }] : [],
    pinoHttp: {
      // The process's one logger (level, redaction, format): see rootLogger.
      logger: rootLogger(config, interactive),
      genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id?: string }).id ?? requestId(req),
      serializers: {
        req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url.replace(/([?&](token|accessToken)=)[^&]*/gi, '$1[redacted]'),
        }),
        res: (res: ServerResponse | { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req: IncomingMessage & { originalUrl?: string }) => QUIET_ROUTES.test(req.originalUrl ?? req.url ?? '') },
      customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) => statusLevel(res.statusCode, err),
    },
  };
}
