// Hand-written mutants of the SQL (and of the few TypeScript rules mutation tools missed), listed in
// mutation/sql-mutants.json: each is one exact find/replace in one file plus the test files that
// concern it. For each, a copy of the checkout is made, the change applied there, and only its
// tests run; a mutant whose tests still pass "survived". Exits 1 if any survived, or if any find
// string no longer matches exactly once (so the list cannot rot silently when code moves).
//
//   npm run test:sql-mutants [-- --only id1,id2] [--ports 55415,55425] [--keep] [--verbose]
//
// --ports: the embedded PostgreSQL ports of the runs (default 55415), one run per port at a time,
// so two ports run two mutants side by side.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const listFile = join(root, 'mutation/sql-mutants.json');
const reportFile = join(root, 'mutation/sql-mutants-report.md');
const args = process.argv.slice(2);
const onlyArg = args.indexOf('--only');
const only = onlyArg >= 0 ? new Set(args[onlyArg + 1].split(',')) : null;
const keep = args.includes('--keep');
const verbose = args.includes('--verbose');
const portsArg = args.indexOf('--ports');
const ports = (portsArg >= 0 ? args[portsArg + 1] : '55415').split(',').map((p) => p.trim()).filter(Boolean);

const all = JSON.parse(readFileSync(listFile, 'utf8')).mutants;
for (const id of only ?? []) {
  if (!all.some((m) => m.id === id)) {
    console.error(`no mutant named ${id} in mutation/sql-mutants.json`);
    process.exit(1);
  }
}
// Every find string is checked, even when only some mutants run.
const mutants = all.filter((m) => !only || only.has(m.id));

/** A find string must match exactly once, or the mutant is ambiguous or stale. */
function checkFind(m) {
  const file = join(root, m.file);
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return `file ${m.file} does not exist`;
  }
  const count = text.split(m.find).length - 1;
  if (count === 1) return null;
  return `find string of ${m.id} matches ${count} times in ${m.file} (needs exactly 1): ${JSON.stringify(m.find)}`;
}

const stale = all.map(checkFind).filter(Boolean);
for (const s of stale) console.error(`STALE: ${s}`);
if (stale.length) {
  console.error('Retarget the listed find strings in mutation/sql-mutants.json to where the code lives now.');
  process.exit(1);
}
for (const m of mutants) {
  for (const t of m.tests) {
    try {
      statSync(join(root, t));
    } catch {
      console.error(`STALE: test file ${t} of ${m.id} does not exist`);
      process.exit(1);
    }
  }
}

// One build of the unmutated checkout, copied into every mutant's copy.
if (spawnSync(process.execPath, [join(root, 'scripts/build-if-changed.mjs')], { cwd: root, stdio: 'inherit' }).status !== 0) process.exit(1);

/** Tracked and new (not ignored) files of the checkout: what the copy needs, without build output. */
const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root })
  .toString()
  .split('\0')
  .filter(Boolean);

/** Tests that start the built service need dist/ rebuilt from the mutated source. */
const usesBuild = (tests) => tests.some((t) => /child-server|startChild|npm-start|startNpm/.test(readFileSync(join(root, t), 'utf8')));

function makeCopy() {
  const dir = mkdtempSync(join(tmpdir(), 'playtime-mutant-'));
  // As root, the embedded PostgreSQL runs as "postgres", which must be able to enter the copy.
  chmodSync(dir, 0o755);
  for (const f of files) {
    const from = join(root, f);
    let st;
    try {
      st = statSync(from);
    } catch {
      continue; // deleted in the working tree
    }
    if (!st.isFile()) continue;
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(from, join(dir, f), { preserveTimestamps: true });
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  // The unmutated build, with its stamp: runs whose tests do not start the built service skip the compiler.
  cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true, preserveTimestamps: true });
  return dir;
}

/** Runs jest on `tests` in `dir`; resolves with its output once it exits. */
function jest(dir, tests, resultFile, pgPort) {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(dir, 'node_modules/jest/bin/jest.js'), '--runInBand', '--json', `--outputFile=${resultFile}`, ...tests], {
      cwd: dir,
      // eslint-disable-next-line no-restricted-syntax -- jest gets this environment, plus its own database port
      env: { ...process.env, TEST_PG_PORT: pgPort },
      detached: true, // its own process group, so an interrupted run stops its database too
    });
    running.add(child);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', () => {
      running.delete(child);
      done(out);
    });
  });
}

const running = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of running) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    process.exit(1);
  });
}

async function runMutant(m, pgPort) {
  const dir = makeCopy();
  const target = join(dir, m.file);
  writeFileSync(target, readFileSync(target, 'utf8').replace(m.find, () => m.replace));
  // Copied directories are newer than the build stamp: mark the copied build current unless the
  // tests run the built service, which must then be built from the mutated source.
  const stamp = join(dir, 'dist/.build-stamp');
  if (usesBuild(m.tests)) rmSync(stamp, { force: true });
  else utimesSync(stamp, new Date(Date.now() + 86_400_000), new Date(Date.now() + 86_400_000));
  const started = Date.now();
  const resultFile = join(dir, 'jest-result.json');
  const out = await jest(dir, m.tests, resultFile, pgPort);
  const seconds = Math.round((Date.now() - started) / 1000);
  // Killed only by a failing test: a run that could not start (setup, compile error) kills nothing.
  let failedTests = [];
  let ran;
  try {
    const res = JSON.parse(readFileSync(resultFile, 'utf8'));
    ran = res.numRuntimeErrorTestSuites > 0 ? 0 : res.numTotalTests;
    // The first failing test of each file, so the report shows whether an e2e test kills the
    // mutant through the app, not only a unit spec.
    failedTests = res.testResults.flatMap((f) => {
      const first = f.assertionResults.find((a) => a.status === 'failed');
      return first ? [`${relative(dir, f.name).replace(/^test\//, '')}: ${first.fullName}`] : [];
    });
  } catch {
    ran = 0;
  }
  const status = ran === 0 ? 'error' : failedTests.length > 0 ? 'killed' : 'survived';
  console.log(`${status.padEnd(8)} ${m.id} (${seconds} s)${status === 'killed' ? ` by ${failedTests[0]}` : ''}`);
  if (status !== 'killed' || verbose) console.log(out.split('\n').slice(-30).join('\n'));
  if (!keep) rmSync(dir, { recursive: true, force: true });
  else console.log(`  copy kept in ${dir}`);
  return { ...m, status, seconds, killedBy: failedTests };
}

// One worker per port, each taking the next mutant in turn.
const results = new Array(mutants.length);
let next = 0;
await Promise.all(ports.map(async (pgPort) => {
  while (next < mutants.length) {
    const i = next++;
    results[i] = await runMutant(mutants[i], pgPort);
  }
}));

const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const row = (r) =>
  `| ${r.id} | ${r.file} | ${cell(r.why)} | ${r.tests.map((t) => t.replace(/^test\//, '')).join(', ')} | ${r.status} (${r.seconds} s) | ${cell(r.killedBy.join('; '))} |`;
const header = ['| mutant | file | change | tests | result | killed by |', '|---|---|---|---|---|---|'];
const killed = results.filter((r) => r.status === 'killed').length;
console.log(`\n${[...header, ...results.map(row)].join('\n')}\n\n${killed} of ${results.length} mutants killed`);

// The report lists every mutant of the list, in its order: a run of some (--only) updates their
// rows and keeps the others' last results.
const previous = new Map();
try {
  for (const line of readFileSync(reportFile, 'utf8').split('\n')) {
    const id = /^\| ([a-z0-9-]+) \|/.exec(line)?.[1];
    if (id) previous.set(id, line);
  }
} catch {
  // no report yet
}
const fresh = new Map(results.map((r) => [r.id, row(r)]));
const lines = all.map((m) => fresh.get(m.id) ?? previous.get(m.id) ?? `| ${m.id} | ${m.file} | ${cell(m.why)} | | not run | |`);
const total = lines.filter((l) => / \| killed \(/.test(l)).length;
writeFileSync(reportFile, `# SQL mutants\n\nWritten by \`npm run test:sql-mutants\` (mutation/sql-mutants.json).\n\n${[...header, ...lines].join('\n')}\n\n${total} of ${all.length} mutants killed\n`);
process.exit(killed === results.length ? 0 : 1);
