import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { servePage } from '../common/static-pages.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { demoAssetDirs } from './demo-assets.js';
import { demoMode } from './demo-mode.js';

/**
 * Serves `/demo/` (public/demo), `/demo/client/` (the built browser client) and
 * `/demo/vendor/uplot/` (uPlot from node_modules), registered on the Fastify instance from here so
 * the demo stays inside src/demo. Nothing is served when the demo is off. Same-origin only: see
 * `PAGE_CSP`.
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
    servePage(this.adapterHost.httpAdapter.getInstance<FastifyInstance>(), '/demo', [
      { prefix: '/demo/', root: dirs.page, index: true },
      { prefix: '/demo/client/', root: dirs.client },
      { prefix: '/demo/vendor/uplot/', root: dirs.uplot },
    ]);
    const tokens = mode.tokens === 'off' ? 'paste a token' : mode.tokens === 'loopback' ? 'sign in from this machine' : 'sign in';
    this.logger.log(`demo page at /demo/ (${tokens})`);
  }
}
