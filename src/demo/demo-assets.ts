import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface DemoAssetDirs {
  /** public/demo: the page, its script and styles, the test-pattern video. */
  page: string;
  /** client/dist: the browser client, built by `npm run build` (`build:client`). */
  client: string;
  /** uPlot's distribution files (a dependency). */
  uplot: string;
}

/**
 * Where the demo's files are, from wherever this module runs (src/demo under Jest, dist/src/demo
 * once built): the project root is the nearest parent holding public/demo/index.html.
 */
export function demoAssetDirs(from: string = dirname(fileURLToPath(import.meta.url))): DemoAssetDirs {
  let dir = resolve(from);
  while (!existsSync(join(dir, 'public', 'demo', 'index.html'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`public/demo/index.html not found above ${from}`);
    dir = parent;
  }
  const require = createRequire(join(dir, 'package.json'));
  return {
    page: join(dir, 'public', 'demo'),
    client: join(dir, 'client', 'dist'),
    uplot: dirname(require.resolve('uplot/dist/uPlot.esm.js')),
  };
}
