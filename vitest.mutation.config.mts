import { defineConfig } from 'vitest/config';

/**
 * The tests Stryker runs against each mutant (stryker.config.json): the runtime's unit tests in
 * test/lambda only. They start their peers on 127.0.0.1 in a few hundred milliseconds; the e2e,
 * local-gateway and construct tests take minutes and test lib/ or the whole flow, not lambda/.
 */
export default defineConfig({
  test: {
    include: ['test/lambda/**/*.test.ts'],
    setupFiles: ['test/support/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
