/**
 * The Node.js major Lambda runs the authorizer on (nodejs24.x), fetched on demand from the npm
 * registry (the `node-linux-<arch>` packages carry the official binary) into
 * node_modules/.cache/node-<version>/, so that suites and benchmarks can run where Lambda runs
 * without making a 50 MB binary a dependency of every `npm ci`.
 *
 *   npx tsx scripts/node24.ts --print-path          # fetch if needed, print the binary's path
 *   npx tsx scripts/node24.ts <node arguments…>     # run Node 24 with these arguments
 *
 * When it runs Node 24, the binary's directory leads PATH, so child processes started as `node`
 * (the local stack's function processes, vitest's workers) run on Node 24 too.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The release fetched; bump it with Lambda's nodejs24.x runtime. */
export const NODE24_VERSION = '24.22.3';

const root = resolve(__dirname, '..');

/** The Node 24 binary's path, fetched and unpacked first when it is not cached. */
export function node24Path(): string {
  const dir = join(root, 'node_modules', '.cache', `node-${NODE24_VERSION}-${process.platform}-${process.arch}`);
  const binary = join(dir, 'package', 'bin', 'node');
  if (existsSync(binary)) return binary;
  if (process.platform !== 'linux') {
    throw new Error(`Node ${NODE24_VERSION} is fetched as node-linux-<arch>; this is ${process.platform}`);
  }
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const spec = `node-linux-${process.arch}@${NODE24_VERSION}`;
  const pack = spawnSync('npm', ['pack', spec, '--silent', '--pack-destination', partial], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  const tarball = pack.stdout.trim().split('\n').pop();
  if (pack.status !== 0 || !tarball) {
    throw new Error(`npm pack ${spec} failed (exit ${pack.status}): ${pack.stderr.trim()}`);
  }
  const untar = spawnSync('tar', ['xzf', tarball, 'package/bin/node', 'package/LICENSE'], {
    cwd: partial,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (untar.status !== 0) throw new Error(`tar failed (exit ${untar.status}): ${untar.stderr.trim()}`);
  rmSync(join(partial, tarball));
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  return binary;
}

/** The environment a Node 24 child should get: its binary first on PATH. */
export function node24Env(binary: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, PATH: `${dirname(binary)}:${env.PATH ?? ''}` };
}

function main(): void {
  const args = process.argv.slice(2);
  const binary = node24Path();
  if (args[0] === '--print-path') {
    process.stdout.write(`${binary}\n`);
    return;
  }
  const child = spawn(binary, args, { stdio: 'inherit', env: node24Env(binary) });
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
}

if (require.main === module) main();
