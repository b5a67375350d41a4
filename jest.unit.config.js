import base from './jest.config.js';

/**
 * The unit tests only: `*.spec.ts` next to the code in src/, no database, no global setup. What
 * the mutation run (stryker.config.mjs) executes for every mutant, so each run takes seconds.
 */
export default {
  ...base,
  roots: ['<rootDir>/src'],
  testMatch: ['**/*.spec.ts'],
  testPathIgnorePatterns: [],
  globalSetup: undefined,
  globalTeardown: undefined,
  testTimeout: 10_000,
};
