import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { createSampleApp } from '../bin/sample-app.js';

const ROOT = resolve(__dirname, '..');
const SOURCES = ['lambda', 'lib', 'bin', 'package-lock.json'];

/**
 * Synthesizes the sample app into `outdir` with the given context, unless the assembly there
 * was made from the same context and is newer than every source file. The result is the real
 * template and the real esbuild bundles the construct deploys.
 */
export function synthesizeSample(outdir: string, context: Record<string, string>, onProgress: (message: string) => void = () => {}): void {
  const stamp = join(outdir, 'local-context.json');
  const wanted = JSON.stringify(context);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted && statSync(stamp).mtimeMs > newestSource()) {
    onProgress(`using the synthesized sample app in ${outdir} (up to date)`);
    return;
  }
  onProgress(`synthesizing the sample app and bundling its functions with esbuild into ${outdir} …`);
  const started = Date.now();
  const { app } = createSampleApp(new App({ outdir, context }));
  app.synth();
  // The bundles are CommonJS, as on Lambda; this repository's package.json says "type": "module".
  writeFileSync(join(outdir, 'package.json'), '{ "type": "commonjs" }\n');
  writeFileSync(stamp, wanted);
  onProgress(`synthesized in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function newestSource(): number {
  let newest = 0;
  const visit = (path: string) => {
    const stat = statSync(path);
    if (stat.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const source of SOURCES) if (existsSync(join(ROOT, source))) visit(join(ROOT, source));
  return newest;
}
