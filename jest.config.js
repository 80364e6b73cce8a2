/**
 * One jest project per kind of test, so each runs alone (`npx jest --selectProjects unit`,
 * `npm run test:unit`); a plain `jest` (what `npm test` runs after `tsc`) runs them all.
 *   unit      the product's own unit tests (test/unit, without the emulator's): seconds
 *   emulator  the emulator's unit tests (test/unit/emulator)
 *   infra     the CDK app: templates, cdk-nag, IAM, `cdk synth`
 *   e2e       the real handler, CLIs, aws CLI / kubectl and a headless browser against the emulator
 * @type {import('jest').Config}
 */
const shared = {
  testEnvironment: 'node',
  // Type checking is done once by `tsc --noEmit` in `npm test`; jest only transpiles.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  setupFilesAfterEnv: ['aws-sdk-client-mock-jest'],
};

module.exports = {
  testTimeout: 30000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/unit/emulator/'],
    },
    { ...shared, displayName: 'emulator', testMatch: ['<rootDir>/test/unit/emulator/**/*.test.ts'] },
    { ...shared, displayName: 'infra', testMatch: ['<rootDir>/test/infra/**/*.test.ts'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
  ],
};
