import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { projectRoot, servePage, uplotDir } from '../common/static-pages.js';

/** Where the dashboard's files are, from wherever this module runs (src/ or dist/src/). */
export function dashboardAssetDirs(from: string = dirname(fileURLToPath(import.meta.url))): { page: string; uplot: string } {
  const root = projectRoot(join('public', 'admin', 'index.html'), from);
  return { page: join(root, 'public', 'admin'), uplot: uplotDir(root) };
}

/**
 * Serves the admin dashboard: `/admin/` (public/admin) and `/admin/vendor/uplot/`. Always on: the
 * page holds nothing but code, and everything it shows comes from the admin routes, which need an
 * admin token (pasted into the page, or in development-token mode fetched from
 * `POST /demo/admin-token`). Not an API route, so not in the API docs.
 */
@Injectable()
export class DashboardStatic implements OnModuleInit {
  private readonly logger = new Logger('Dashboard');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    let dirs: ReturnType<typeof dashboardAssetDirs>;
    try {
      dirs = dashboardAssetDirs();
    } catch (err) {
      this.logger.warn(`admin dashboard disabled: ${(err as Error).message}`);
      return;
    }
    servePage(this.adapterHost.httpAdapter.getInstance<FastifyInstance>(), '/admin', [
      { prefix: '/admin/', root: dirs.page, index: true },
      { prefix: '/admin/vendor/uplot/', root: dirs.uplot },
    ]);
    this.logger.log('admin dashboard at /admin/ (needs an admin token)');
  }
}
