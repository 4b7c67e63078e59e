/** One jest run: unit specs next to the code, integration / e2e / browser specs under test/. */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }] },
  moduleNameMapper: {
    '^@jinli/db/(.*)$': '<rootDir>/db/$1',
    '^@jinli/(.*)$': '<rootDir>/libs/$1/src',
  },
  testMatch: [
    '<rootDir>/libs/**/*.spec.ts',
    '<rootDir>/apps/**/*.spec.ts',
    '<rootDir>/test/**/*.{int,e2e,browser}-spec.ts',
  ],
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  setupFiles: ['<rootDir>/test/setup/env.ts'],
  testTimeout: 120_000,
  maxWorkers: process.env.JINLI_TEST_WORKERS ? Number(process.env.JINLI_TEST_WORKERS) : 2,
  // A slow file first keeps both workers busy.
  testSequencer: '<rootDir>/test/setup/sequencer.js',
};
