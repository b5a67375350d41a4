import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot, uplotDir } from '../common/static-pages.js';

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
  const dir = projectRoot(join('public', 'demo', 'index.html'), from);
  return {
    page: join(dir, 'public', 'demo'),
    client: join(dir, 'client', 'dist'),
    uplot: uplotDir(dir),
  };
}
