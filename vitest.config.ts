import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['./test/helpers/setup.ts'],
    // LanceDB's native logger: errors only.
    env: { LANCEDB_LOG: 'error' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The summary line `N passed, N failed` is what CI reads.
    reporters: ['default', './test/helpers/count-reporter.ts'],
  },
});
