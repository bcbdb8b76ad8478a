import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One temporary folder per run, removed at its end (test/helpers/tempRoot.ts).
    globalSetup: ['./test/helpers/tempRoot.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/helpers/summaryReporter.ts'],
  },
});
