// Three layers (STYLE.md): unit tests beside the code (*.test.ts), integration tests with real
// servers and processes (*.itg.test.ts), end-to-end tests of bundles and the CLI (test/e2e).
const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  testEnvironment: 'node',
  moduleNameMapper: {
    '^@karoo/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^@karoo/([a-z-]+)/([a-z-]+)$': '<rootDir>/packages/$1/src/$2.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.test.json' }],
  },
};

export default {
  // jest's 5 s default fails tests that start real servers and processes when the 2-core machine is
  // busy; a test that needs longer says so itself. (A global option: jest ignores it per project.)
  testTimeout: 30_000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/packages/*/src/**/*.test.ts', '<rootDir>/actions/*/src/**/*.test.ts'],
      testPathIgnorePatterns: ['\\.itg\\.test\\.ts$'],
    },
    {
      ...shared,
      displayName: 'itg',
      testMatch: ['<rootDir>/packages/*/src/**/*.itg.test.ts', '<rootDir>/test/itg/**/*.itg.test.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
    },
  ],
};
