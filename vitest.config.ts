import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The CLI end-to-end tests run the built binary; build once before any test.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    // Tests share no mutable module state (the core's module-level maps are caches of pure
    // functions), so one module graph per worker serves every file: each file no longer
    // re-imports the whole simulator (about a third of the suite's CPU time).
    isolate: false,
    // Vitest's default is one worker fewer than the CPUs: one worker on a 2-core CI machine.
    // The suite is CPU-bound in-process and waits on spawned CLIs in the end-to-end files: two.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
