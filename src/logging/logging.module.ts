import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Global, Inject, Injectable, Module, type DynamicModule, type MiddlewareConsumer, type NestModule, RequestMethod } from '@nestjs/common';
import { pinoHttp, type Options as PinoHttpOptions } from 'pino-http';
import type { Logger as Pino } from 'pino';
import { PinoNestLogger } from './root-logger.js';

/** What `loggerOptions()` builds: the routes to log, and pino-http's options (with the root logger). */
export interface LoggingParams {
  forRoutes: { path: string; method: RequestMethod }[];
  pinoHttp: PinoHttpOptions & { logger: Pino };
}

/** The logging parameters, for providers that log requests outside pino-http (access-log.ts). */
export const LOGGING_PARAMS = Symbol('LOGGING_PARAMS');
const PARAMS = LOGGING_PARAMS;

/** The request's logger (pino-http's child, carrying the request id) while a request is handled. */
const requestLogger = new AsyncLocalStorage<Pino>();

/**
 * Nest's logger for the whole application: every `Logger` of `@nestjs/common` writes through the
 * process's one pino logger, and inside a request through that request's child (its `req.id`).
 */
@Injectable()
export class AppLogger extends PinoNestLogger {
  constructor(@Inject(PARAMS) params: LoggingParams) {
    const root = params.pinoHttp.logger;
    super(() => requestLogger.getStore() ?? root);
  }
}

/**
 * JSON request logs (pino-http: one line per request) and the application logger. Our own small
 * module rather than `nestjs-pino`, whose versions for Nest 12 require Node 22.
 */
@Global()
@Module({})
export class LoggingModule implements NestModule {
  constructor(@Inject(PARAMS) private readonly params: LoggingParams) {}

  static forRoot(params: LoggingParams): DynamicModule {
    return {
      module: LoggingModule,
      providers: [{ provide: PARAMS, useValue: params }, AppLogger],
      exports: [AppLogger, PARAMS],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    const http = pinoHttp(this.params.pinoHttp);
    const middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
      // The raw request already carries a placeholder `log` (a bare object with `child`) under the
      // Fastify adapter, and pino-http keeps an existing `req.log`: every line logged inside a
      // request then went nowhere. Clear it so the request's pino-http child takes its place.
      Reflect.deleteProperty(req, 'log');
      http(req, res);
      requestLogger.run((req as IncomingMessage & { log: Pino }).log, next);
    };
    consumer.apply(middleware).forRoutes(...this.params.forRoutes);
  }
}
