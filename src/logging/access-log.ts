import { Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { QUIET_ROUTES, perRequestLogger, statusLevel } from './logger-options.js';

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
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    if (perRequestLogger(this.config)) return;
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    const minStatus = this.config.LOG_LEVEL === 'warn' ? 400 : 500;
    fastify?.addHook('onResponse', (req, reply, done) => {
      const status = reply.statusCode;
      if (status >= minStatus && !QUIET_ROUTES.test(req.url)) {
        const level = statusLevel(status);
        const logger = PinoLogger.root;
        if (logger?.isLevelEnabled(level)) {
          logger[level](
            // The raw objects, as pino-http passes them: the same serializers (and redaction) apply.
            { req: req.raw, res: reply.raw, responseTime: Math.round(reply.elapsedTime) },
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
