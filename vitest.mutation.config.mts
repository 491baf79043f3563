import { defineConfig } from 'vitest/config';

/**
 * The tests Stryker runs against each mutant (stryker.config.json): the runtime's unit tests in
 * test/lambda, and the route table plan's own tests in test/lib (pure: they plan, parse and answer
 * in memory, no stack is synthesized). The runtime tests start their peers on 127.0.0.1 in a few
 * hundred milliseconds; the e2e, local-gateway and construct tests take minutes and test the rest
 * of lib/ or the whole flow.
 */
export default defineConfig({
  test: {
    include: ['test/lambda/**/*.test.ts', 'test/lib/route-table-plan*.test.ts'],
    setupFiles: ['test/support/setup.ts'],
    // Instrumented code under a concurrent checker runs several times slower than in `npm test`.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
