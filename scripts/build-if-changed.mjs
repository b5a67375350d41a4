// `npm start` runs this first: it builds (`npm run build`) only when a source, config or lock file
// changed since the last successful build, so a restart does not wait for the compiler.
// Directory times count too, so deleting or renaming a file also triggers a build.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// test/utils counts: the bench imports its simulator and helpers from there.
const INPUTS = [
  'src', 'migrations', 'bench', 'test/utils', 'client/src', 'client/tsconfig.json',
  'tsconfig.json', 'tsconfig.build.json', 'nest-cli.json', 'package.json', 'package-lock.json',
];
const STAMP = 'dist/.build-stamp';

function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

const built = existsSync(STAMP) ? statSync(STAMP).mtimeMs : 0;
const changed = Math.max(...INPUTS.map(newest));
if (built > 0 && changed < built) process.exit(0);

// The stamp gets the time the build started: a file saved during the build triggers the next one.
const startedAt = new Date();
console.error(built ? 'sources changed since the last build: building' : 'building');
const { status } = spawnSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' });
if (status !== 0) process.exit(status ?? 1);
writeFileSync(STAMP, `${startedAt.toISOString()}\n`);
utimesSync(STAMP, startedAt, startedAt);
