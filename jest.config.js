/** Three tiers (CONVENTIONS "Tests"): unit specs beside the code, integration and e2e under test/. */
const transform = {
  '^.+\\.(ts|js)$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
      },
      module: { type: 'commonjs' },
    },
  ],
};
const common = {
  transform,
  // ESM-only dependencies that Node 20 loads with require(esm) but Jest needs compiled.
  transformIgnorePatterns: ['/node_modules/(?!(content-disposition)/)'],
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
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,scripts}/**/*.spec.ts'] },
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
