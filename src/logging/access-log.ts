import { Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { QUIET_ROUTES, perRequestLogger, statusLevel } from './logger-options.js';
import { LOGGING_PARAMS, type LoggingParams } from './logging.module.js';

/**
 * The request log when `LOG_LEVEL` is warn or above (see `perRequestLogger`): pino-http's
 * middleware is then off, and this Fastify hook writes the same line for the requests that reach
 * the level (4xx and 5xx answers) and does nothing else for the others, so a 2xx costs one
 * comparison instead of a child logger, a middleware pass and an async-context switch.
 */
@Injectable()
export class QuietAccessLog implements OnModuleInit {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGING_PARAMS) private readonly params: LoggingParams,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    if (perRequestLogger(this.config)) return;
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    const minStatus = this.config.LOG_LEVEL === 'warn' ? 400 : 500;
    const logger = this.params.pinoHttp.logger;
    // pino-http's own serializers (and so its redaction of tokens in URLs), applied by hand: the
    // root logger does not carry them, and a raw request would log every header.
    const serializers = this.params.pinoHttp.serializers as Record<'req' | 'res', (v: unknown) => unknown>;
    fastify?.addHook('onResponse', (req, reply, done) => {
      const status = reply.statusCode;
      if (status >= minStatus && !QUIET_ROUTES.test(req.url)) {
        const level = statusLevel(status);
        if (logger.isLevelEnabled(level)) {
          logger[level](
            {
              req: serializers.req({ id: req.id, method: req.method, url: req.url }),
              res: serializers.res({ statusCode: status }),
              responseTime: Math.round(reply.elapsedTime),
            },
            'request completed',
          );
        }
      }
      done();
    });
  }
}

@Module({ providers: [QuietAccessLog] })
export class AccessLogModule {}
