/** Three tiers (CONVENTIONS "Tests"): unit specs beside the code, integration and e2e under test/. */
// ts-jest, transpile-only (isolatedModules in tsconfig.jest.json): emits decorator metadata, which Nest's dependency injection
// needs, and type-checking is `npm run check`'s job.
// @nestjs/jwt 12 ships as ES modules only: Node (>= 20.19) requires them natively, Jest's module
// system does not, so its files go through ts-jest too (allowJs), as CommonJS.
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }],
  '^.+/node_modules/@nestjs/jwt/.+\\.js$': [
    'ts-jest',
    { tsconfig: '<rootDir>/tsconfig.jest.json' },
  ],
  // mercurius loads its query cache (quick-lru, ES modules only) with a dynamic import(), which
  // Jest's module system refuses without --experimental-vm-modules: both go through ts-jest too.
  '^.+/node_modules/(mercurius/index|quick-lru/index)\\.js$': [
    'ts-jest',
    { tsconfig: '<rootDir>/tsconfig.jest.json' },
  ],
};
const common = {
  transform,
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs/jwt/|mercurius/index\\.js|quick-lru/))'],
  testEnvironment: 'node',
  moduleNameMapper: { '^@auren/(.*)$': '<rootDir>/libs/$1/src' },
  rootDir: __dirname,
};

module.exports = {
  ...common,
  globalSetup: '<rootDir>/test/harness/global-setup.ts',
  globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
  // A leaked handle must not hang CI; tests close what they open, this is the safety net.
  forceExit: true,
  reporters: ['default', '<rootDir>/test/harness/summary-reporter.js'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      // test/dashboard: the dashboard's Vitest suite, run by Jest so `npm test` counts it.
      testMatch: [
        '<rootDir>/{apps,libs,scripts}/**/*.spec.ts',
        '<rootDir>/test/dashboard/**/*.spec.ts',
      ],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/harness/timeout-60s.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/harness/timeout-120s.ts'],
    },
  ],
};
