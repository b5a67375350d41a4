import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import semver from 'semver';

/** What a newcomer meets first: the Node the README promises, the README's links, `npm start`'s build step. */
describe('the first run, as a newcomer meets it', () => {
  const root = resolve('.');
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };

  it('every package in the lock file supports the oldest Node that package.json and the README promise (no EBADENGINE)', () => {
    const promised = semver.minVersion(pkg.engines.node)!.version;
    expect(readFileSync('README.md', 'utf8')).toContain(`Node.js ≥ ${promised.replace(/(\.0)+$/, '')}`);
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { engines?: unknown; optional?: boolean; os?: string[] }> };
    const refusing: string[] = [];
    let checked = 0;
    for (const [path, p] of Object.entries(lock.packages)) {
      const range = (p.engines as { node?: unknown } | undefined)?.node;
      if (!path || typeof range !== 'string') continue;
      // platform-specific optional builds for other systems are never installed here
      if (p.optional && p.os && !p.os.includes(process.platform)) continue;
      checked++;
      for (const node of [promised, process.versions.node]) {
        if (!semver.satisfies(node, range, { includePrerelease: true })) refusing.push(`${path} wants node ${range}, not ${node}`);
      }
    }
    expect(checked).toBeGreaterThan(50);
    expect(refusing).toEqual([]);
  });

  it('the README and docs/ link only to files inside the repository, and every one exists', () => {
    const files = ['README.md', 'docs/api.md'];
    const broken: string[] = [];
    let links = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      expect(text).not.toMatch(/shared\/(SPEC|STYLE|PITFALLS|MEASURED)\.md/);
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:|#)/.test(target)) continue;
        links++;
        const path = resolve(dirname(file), target.split('#')[0]);
        if (relative(root, path).startsWith('..') || !existsSync(path)) broken.push(`${file}: ${target}`);
      }
    }
    expect(links).toBeGreaterThan(3);
    expect(broken).toEqual([]);
  });

  describe('npm start builds only when something changed (scripts/build-if-changed.mjs)', () => {
    const script = resolve('scripts/build-if-changed.mjs');
    let dir: string;
    // A checkout in miniature: a source file, and a "build" that leaves a mark.
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'build-if-changed-'));
      mkdirSync(join(dir, 'src'));
      mkdirSync(join(dir, 'dist'));
      writeFileSync(join(dir, 'src/main.ts'), 'export {};\n');
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', scripts: { build: `node -e "require('fs').appendFileSync('builds', 'b')"` } }));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    const run = () => spawnSync(process.execPath, [script], { cwd: dir, encoding: 'utf8' });
    const builds = () => (existsSync(join(dir, 'builds')) ? readFileSync(join(dir, 'builds'), 'utf8').length : 0);

    it('builds the first time, not again while nothing changed, and again once a source is newer than the last build', () => {
      expect(run()).toMatchObject({ status: 0, stderr: expect.stringContaining('building') });
      expect(builds()).toBe(1);
      const stamp = statSync(join(dir, 'dist/.build-stamp')).mtimeMs;

      // nothing changed: no build, no output, the stamp stays
      const quiet = run();
      expect(quiet).toMatchObject({ status: 0, stderr: '' });
      expect(builds()).toBe(1);
      expect(statSync(join(dir, 'dist/.build-stamp')).mtimeMs).toBe(stamp);

      // a source saved after the build
      const later = new Date(stamp + 5000);
      utimesSync(join(dir, 'src/main.ts'), later, later);
      expect(run()).toMatchObject({ status: 0, stderr: expect.stringContaining('sources changed since the last build: building') });
      expect(builds()).toBe(2);
    });

    it('a failed build leaves no stamp, so the next start tries again, and its exit code is the build\'s', () => {
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', scripts: { build: 'node -e "process.exit(3)"' } }));
      expect(run().status).toBe(3);
      expect(existsSync(join(dir, 'dist/.build-stamp'))).toBe(false);
    });
  });
});
