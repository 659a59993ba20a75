import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    benchmark: { include: ['test/bench/**/*.bench.ts'] },
    // The CLI end-to-end tests run the built binary; build once before any test.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
  },
});
