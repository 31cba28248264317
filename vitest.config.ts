import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    // vitest leaves one core to its main process by default (cores - 1 workers): on a 2-core
    // machine that is a single worker, and every test file runs after the other. The main process
    // only gathers results, so every core gets a worker; the scenario suite is split into shard
    // files (test/scenarios/) so that there is something to run side by side.
    maxWorkers: availableParallelism(),
  },
});
