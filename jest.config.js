/**
 * Tests run as CommonJS compiled by SWC (see test/utils/jest-transform.cjs for why), against a
 * real PostgreSQL started by the global setup.
 */
export default {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  testPathIgnorePatterns: process.env.PLAYTIME_SLOW_TESTS ? [] : ['\\.slow\\.e2e-spec\\.ts$'],
  transform: { '^.+\\.(ts|js|mjs)$': '<rootDir>/test/utils/jest-transform.cjs' },
  transformIgnorePatterns: [],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
  // A worker's heap grows to ~1.2 GB over a full run, and a process takes time to exit in
  // proportion to its heap (measured here: 47 ms at 100 MB, ~200 ms at 500 MB, ~470 ms at 1.7 GB,
  // more on a loaded machine). Past Jest's 500 ms it printed "a worker process has failed to exit
  // gracefully", with no handle left open (probed after each file's last hook). Workers past
  // 512 MB are replaced between files, and get 3 s to exit; a handle left open (a socket, a
  // server, a child) still keeps a worker alive far longer, and .ci/run fails on the message.
  workerIdleMemoryLimit: '512MB',
  workerGracefulExitTimeout: 3000,
};
