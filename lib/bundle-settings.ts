/**
 * How the authorizer is bundled, defined once: the construct's NodejsFunction, the prebuilt
 * package asset and the benchmarks all use these settings. Pure data: no aws-cdk-lib here.
 */
export const AUTHORIZER_BUNDLE = {
  /** The Lambda runtime targeted; the tooling itself still runs on Node.js 20. */
  target: 'node22',
  format: 'cjs',
  minify: true,
  sourcemap: true,
  /** Prefer the SDK's and jose's ES module builds, which tree-shake to a smaller bundle. */
  mainFields: ['module', 'main'],
  /** Bundle everything, the AWS SDK included: the version is pinned and the bundle tested as shipped. */
  external: [] as string[],
} as const;
