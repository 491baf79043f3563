import { execFileSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AUTHORIZER_ENTRY, REVOCATION_RECEIVER_ENTRY } from '../lib/bundled-function.js';
import { bundleAuthorizer } from './bundle-authorizer.js';

/**
 * `npm run build`: what the published package ships.
 * - dist/lib/ and .jsii: the construct library (lib/) compiled by jsii to CommonJS with type
 *   declarations, and the jsii assembly that the Python, Java, .NET and Go libraries load
 *   through the jsii runtime (targets: package.json "jsii"; jsii writes its own
 *   tsconfig.jsii.json, generated, not committed);
 * - dist/lambda/backend.js: the backend helper entry, plain TypeScript compiled by tsc
 *   (tsconfig.build.json), for JavaScript and TypeScript backends only;
 * - assets/authorizer/ and assets/revocation/: the authorizer and the revocation receiver
 *   (lambda/revocation/handler.ts) bundled once, here, with esbuild (minified, with their source
 *   maps), so consumers need neither esbuild nor Docker to synthesize. The construct deploys
 *   index.js alone; index.js.map stays in the package for decoding stacks offline.
 */
async function main(): Promise<void> {
  const root = resolve(__dirname, '..');
  const node = (script: string, ...args: string[]) =>
    execFileSync(process.execPath, [join(root, 'node_modules', script), ...args], { cwd: root, stdio: 'inherit' });
  for (const output of ['dist', 'assets', '.jsii']) rmSync(join(root, output), { recursive: true, force: true });
  node('jsii/bin/jsii', '--generate-tsconfig', 'tsconfig.jsii.json');
  node('typescript/bin/tsc', '-p', join(root, 'tsconfig.build.json'));
  // Both functions with the authorizer's settings (lib/bundle-settings.ts), as the construct bundles them from source.
  const built: string[] = [];
  for (const { source, asset } of [AUTHORIZER_ENTRY, REVOCATION_RECEIVER_ENTRY]) {
    const outfile = join(root, 'assets', asset, 'index.js');
    await bundleAuthorizer(join(root, source), outfile);
    built.push(`assets/${asset}/index.js (${statSync(outfile).size} bytes)`);
  }
  process.stderr.write(`built .jsii, dist/, ${built.join(' and ')}\n`);
}

// An async main, not top-level await: the project is CommonJS (the jsii-compiled library is).
main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
