import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * The service's own pages (`/demo/`, `/admin/`) are plain static files, everything same-origin:
 * their Content-Security-Policy allows nothing from elsewhere.
 */
export const PAGE_CSP = [
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
 * The project root seen from wherever the caller runs (src/... under Jest, dist/src/... once
 * built): the nearest parent holding `marker` (a path relative to the root).
 */
export function projectRoot(marker: string, from: string): string {
  let dir = resolve(from);
  while (!existsSync(join(dir, marker))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`${marker} not found above ${from}`);
    dir = parent;
  }
  return dir;
}

/** uPlot's distribution files (a dependency), as resolved from the project root. */
export function uplotDir(root: string): string {
  return dirname(createRequire(join(root, 'package.json')).resolve('uplot/dist/uPlot.esm.js'));
}

export interface StaticRoot {
  /** URL prefix, with both slashes: `/admin/`. */
  prefix: string;
  root: string;
  /** Serve `index.html` for the prefix itself. */
  index?: boolean;
}

/**
 * Serves a page and its static roots with @fastify/static in one encapsulated plugin (the roots
 * do not leak into the rest of the app): `page` redirects to `page/`, HTML gets the CSP and is
 * never cached, nothing is sniffed, dotfiles are not served.
 */
export function servePage(fastify: FastifyInstance, page: string, roots: StaticRoot[]): void {
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
  void fastify.register(async (scope) => {
    scope.get(page, (_req, reply) => reply.redirect(`${page}/`, 301));
    for (const { prefix, root, index } of roots) {
      await scope.register(fastifyStatic, { ...common, root, prefix, ...(index ? { index: 'index.html' } : { index: false }) });
    }
  });
}
