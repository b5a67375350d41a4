import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { demoAssetDirs } from './demo-assets.js';
import { demoMode } from './demo-mode.js';

/**
 * The demo page is plain static files: no build server at run time. Everything is same-origin,
 * so the page's Content-Security-Policy allows nothing from elsewhere.
 */
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'", // uPlot positions its legend and cursor with style attributes
  "img-src 'self' data:",
  "media-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/**
 * Serves `/demo/` (public/demo), `/demo/client/` (the built browser client) and
 * `/demo/vendor/uplot/` (uPlot from node_modules) with @fastify/static, registered on the Fastify
 * instance from here so the demo stays inside src/demo. Nothing is served when the demo is off.
 */
@Injectable()
export class DemoStatic implements OnModuleInit {
  private readonly logger = new Logger('Demo');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const mode = demoMode(this.config);
    if (!mode.pages) return;
    let dirs: ReturnType<typeof demoAssetDirs>;
    try {
      dirs = demoAssetDirs();
    } catch (err) {
      this.logger.warn(`demo page disabled: ${(err as Error).message}`);
      return;
    }
    if (!existsSync(join(dirs.client, 'index.js'))) {
      this.logger.warn(`the demo page needs the browser client: run \`npm run build\` (missing ${dirs.client})`);
    }
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const common = {
      decorateReply: false, // Swagger UI registers @fastify/static too
      dotfiles: 'ignore' as const,
      setHeaders: (reply: FastifyReply, path: string) => {
        reply.header('X-Content-Type-Options', 'nosniff');
        if (path.endsWith('.html')) {
          reply.header('Content-Security-Policy', PAGE_CSP);
          reply.header('Cache-Control', 'no-cache');
        }
      },
    };
    // One encapsulated plugin: the three static roots do not leak into the rest of the app.
    void fastify.register(async (scope) => {
      scope.get('/demo', (_req, reply) => reply.redirect('/demo/', 301));
      await scope.register(fastifyStatic, { ...common, root: dirs.page, prefix: '/demo/', index: 'index.html' });
      await scope.register(fastifyStatic, { ...common, root: dirs.client, prefix: '/demo/client/' });
      await scope.register(fastifyStatic, { ...common, root: dirs.uplot, prefix: '/demo/vendor/uplot/' });
    });
    const tokens = mode.tokens === 'off' ? 'paste a token' : mode.tokens === 'loopback' ? 'sign in from this machine' : 'sign in';
    this.logger.log(`demo page at /demo/ (${tokens})`);
  }
}
