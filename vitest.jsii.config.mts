import { defineConfig } from 'vitest/config';

/**
 * `npm run test:jsii`: the construct through the jsii runtime (test/jsii), apart from `npm test`
 * because it packs this package (a full build) and loads aws-cdk-lib's 38 MB tarball.
 */
export default defineConfig({
  test: {
    include: ['test/jsii/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 300_000,
    pool: 'forks',
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
