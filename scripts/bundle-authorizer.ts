import { build } from 'esbuild';
import { AUTHORIZER_BUNDLE } from '../lib/bundle-settings.js';

/**
 * Bundles an authorizer entry with the settings the construct deploys with (lib/bundle-settings.ts):
 * used by `npm run build` for the package's prebuilt asset and by the benchmarks.
 */
export async function bundleAuthorizer(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: AUTHORIZER_BUNDLE.target,
    format: AUTHORIZER_BUNDLE.format,
    minify: AUTHORIZER_BUNDLE.minify,
    sourcemap: AUTHORIZER_BUNDLE.sourcemap,
    mainFields: [...AUTHORIZER_BUNDLE.mainFields],
    external: [...AUTHORIZER_BUNDLE.external],
    outfile,
    logLevel: 'error',
  });
}
