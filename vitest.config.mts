import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // test/moto needs moto_server from the machine image; .ci/run runs it where present (MOTO=1).
    include: process.env.MOTO ? ['test/moto/**/*.test.ts'] : ['test/**/*.test.ts'],
    // test/jsii packs and builds the package and loads aws-cdk-lib through the jsii runtime: `npm run test:jsii`.
    exclude: process.env.MOTO ? [] : ['test/moto/**', 'test/jsii/**', 'node_modules/**'],
    setupFiles: ['test/support/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Servers bind 127.0.0.1 ports; files run in parallel processes on the machine's two cores.
    pool: 'forks',
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
