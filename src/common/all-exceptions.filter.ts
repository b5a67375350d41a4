import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RetryLaterException } from './errors.js';
import { describeDbError, isConnectionError } from '../database/db-errors.js';

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests',
  500: 'Internal Server Error', 503: 'Service Unavailable',
};

/**
 * Every error leaves as JSON `{ statusCode, error, message, ... }`. Known HTTP errors keep their
 * body; Fastify's own client errors (bad JSON, wrong content type, body too large) keep their
 * status; anything else is a generic 500 with the request id, and the details go to the log only.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const request = ctx.getRequest<FastifyRequest>();
    // Nest hands Fastify's own client errors to filters wrapped in a plain HttpException (message
    // string, no `errors`): answer them from the original error, below.
    if (exception instanceof HttpException && isFastifyClientError(exception.cause)) exception = exception.cause;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      if (exception instanceof RetryLaterException) reply.header('Retry-After', String(exception.retryAfterSeconds));
      if (status === 401) reply.header('WWW-Authenticate', 'Bearer');
      const payload =
        typeof body === 'object' && body !== null
          ? { statusCode: status, error: STATUS_TEXT[status] ?? 'Error', ...body }
          : { statusCode: status, error: STATUS_TEXT[status] ?? 'Error', message: body };
      void reply.status(status).send(payload);
      return;
    }
    const fastifyError = exception as { statusCode?: number; code?: string; message?: string };
    if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
      const status = fastifyError.statusCode;
      const detail = fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || /JSON/i.test(fastifyError.message ?? '')
        ? 'must be valid JSON'
        : (fastifyError.message ?? STATUS_TEXT[status]);
      // A 400 has the same shape as a validation error: `message` lists "field: problem", `errors` names the field.
      void reply.status(status).send(
        status === 400
          ? { statusCode: status, error: STATUS_TEXT[status], message: [`body: ${detail}`], errors: [{ field: 'body', message: detail }] }
          : { statusCode: status, error: STATUS_TEXT[status] ?? 'Error', message: detail },
      );
      return;
    }
    if (isConnectionError(exception)) {
      this.logger.warn(`request ${request.id} ${request.method} ${request.routeOptions?.url ?? ''}: database unavailable (${describeDbError(exception)})`);
      void reply
        .status(503)
        .header('Retry-After', '5')
        .send({ statusCode: 503, error: 'Service Unavailable', message: 'The database is unavailable; retry shortly.', requestId: request.id });
      return;
    }
    this.logger.error(
      `request ${request.id} ${request.method} ${request.routeOptions?.url ?? ''} failed: ${(exception as Error)?.stack ?? String(exception)}`,
    );
    void reply.status(500).send({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error', requestId: request.id });
  }
}

function isFastifyClientError(e: unknown): e is Error & { statusCode: number; code?: string } {
  const status = (e as { statusCode?: unknown } | null)?.statusCode;
  return e instanceof Error && e.name === 'FastifyError' && typeof status === 'number' && status >= 400 && status < 500;
}
