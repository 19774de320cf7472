// vitest: real sockets, native threads and sanitizer child processes. Forks (not threads) so a
// native crash takes down one worker, not the runner; at most 2 workers so a 2-core CI machine
// is not starved (the sanitizer builds are CPU-heavy); tests inside a file run one at a time.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
    sequence: { concurrent: false },
    // Per-test budgets are set where a test needs more (the sanitizer churn).
    testTimeout: 30_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
  },
});
