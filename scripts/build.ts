import { execFileSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bundleAuthorizer } from './bundle-authorizer.js';

/**
 * `npm run build`: what the published package ships.
 * - dist/: the construct library (lib/) and the backend helper (lambda/backend.ts) compiled to
 *   JavaScript with type declarations;
 * - assets/authorizer/: the authorizer bundled once, here, with esbuild (minified, with its
 *   source map), so consumers need neither esbuild nor Docker to synthesize. The construct
 *   deploys index.js alone; index.js.map stays in the package for decoding stacks offline.
 */
const root = new URL('..', import.meta.url).pathname;
rmSync(join(root, 'dist'), { recursive: true, force: true });
rmSync(join(root, 'assets'), { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
const outfile = join(root, 'assets/authorizer/index.js');
await bundleAuthorizer(join(root, 'lambda/handler.ts'), outfile);
process.stderr.write(`built dist/ and assets/authorizer/index.js (${statSync(outfile).size} bytes)\n`);
