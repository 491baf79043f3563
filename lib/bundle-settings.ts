/**
 * How the authorizer is bundled, defined once: the construct's NodejsFunction, the prebuilt
 * package asset and the benchmarks all use these settings. Pure data: no aws-cdk-lib here.
 */
export const AUTHORIZER_BUNDLE = {
  /** The Lambda runtime targeted; the tooling itself still runs on Node.js 20. */
  target: 'node22',
  format: 'cjs',
  minify: true,
  /**
   * A map beside the bundle, for decoding a stack offline: it ships in the npm package but not in
   * the Lambda asset, because --enable-source-maps would parse its 1.5 MB at every cold start
   * (measured: +15 to +24 ms of module load, `npm run bench`). README, "Stack traces".
   */
  sourcemap: true,
  /** Prefer jose's ES module build, which tree-shakes to a smaller bundle. */
  mainFields: ['module', 'main'],
  /**
   * Bundle everything: the bundle is tested as shipped. There is no AWS SDK to leave out: the two
   * AWS calls (GetSecretValue, DynamoDB PutItem) are signed by the function (lambda/aws/aws-json-client.ts).
   */
  external: [] as string[],
} as const;
