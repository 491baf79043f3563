import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { AUTHORIZER_BUNDLE } from '../lib/bundle-settings.js';

/** Bundles an entry with the settings the construct deploys with; returns the file and its size. */
export async function bundle(entry: string, name: string): Promise<{ file: string; bytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'phantom-bench-'));
  const file = join(dir, `${name}.js`);
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: AUTHORIZER_BUNDLE.target,
    format: AUTHORIZER_BUNDLE.format,
    minify: AUTHORIZER_BUNDLE.minify,
    sourcemap: AUTHORIZER_BUNDLE.sourcemap,
    mainFields: [...AUTHORIZER_BUNDLE.mainFields],
    external: AUTHORIZER_BUNDLE.external,
    outfile: file,
    logLevel: 'error',
  });
  return { file, bytes: statSync(file).size };
}
