/**
 * Jest runs every spec against real PostgreSQL, Redis and SMTP (see test/support).
 * NestJS 12 ships ES modules only, so the project is ESM and Jest runs in its ESM mode
 * (`--experimental-vm-modules`, set by `npm test`).
 */
module.exports = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: '.',
  testRegex: '(src|test)/.*\\.(spec|e2e-spec)\\.ts$',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  testEnvironment: 'node',
  globalSetup: '<rootDir>/test/support/global-setup.cjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.cjs',
  testTimeout: 60_000,
  maxWorkers: 2,
};
