/**
 * The Node.js majors this project supports, fetched on demand from the npm registry (the
 * `node-linux-<arch>` packages carry the official binary) into node_modules/.cache/node-<version>/,
 * so that the suites run on each supported major whatever Node the machine has, without making a
 * 50 MB binary a dependency of every `npm ci`.
 *
 *   npx tsx scripts/node-release.ts 22 --print-path       # fetch if needed, print the binary's path
 *   npx tsx scripts/node-release.ts 24 <node arguments…>  # run Node 24 with these arguments
 *   npx tsx scripts/node-release.ts 22 --path-env         # print PATH with Node 22's directory first
 *
 * When it runs a Node, the binary's directory leads PATH, so child processes started as `node`
 * (npm's scripts, vitest's workers, the local stack's function processes) run on it too.
 *
 * The supported majors follow the AWS CDK's policy (an LTS major is supported until six months after
 * its end of life: https://docs.aws.amazon.com/cdk/v2/guide/node-versions.html) and Lambda's
 * runtimes (the authorizer runs on nodejs24.x). `engines` in package.json starts at the oldest one.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The release fetched per supported major; bump each with its latest release on the registry. */
export const NODE_RELEASES = {
  /** The oldest supported: CDK support ends 2027-10-30. */
  '22': '22.23.5',
  /** Lambda's nodejs24.x, the authorizer's runtime: CDK support ends 2028-10-30. */
  '24': '24.22.3',
} as const;

export type NodeMajor = keyof typeof NODE_RELEASES;

const root = resolve(__dirname, '..');

export function isNodeMajor(value: string | undefined): value is NodeMajor {
  return value !== undefined && Object.hasOwn(NODE_RELEASES, value);
}

/** The binary's path for a supported major, fetched and unpacked first when it is not cached. */
export function nodeBinaryPath(major: NodeMajor): string {
  const version = NODE_RELEASES[major];
  const dir = join(root, 'node_modules', '.cache', `node-${version}-${process.platform}-${process.arch}`);
  const binary = join(dir, 'package', 'bin', 'node');
  if (existsSync(binary)) return binary;
  if (process.platform !== 'linux') {
    throw new Error(`Node ${version} is fetched as node-linux-<arch>; this is ${process.platform}`);
  }
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const spec = `node-linux-${process.arch}@${version}`;
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

/** The environment a child on that binary should get: the binary's directory first on PATH. */
export function envWithNode(binary: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, PATH: `${dirname(binary)}:${env.PATH ?? ''}` };
}

/** Runs `node <args>` on the major's binary; exits with its code. */
export function runOnNode(major: NodeMajor, args: string[]): void {
  const binary = nodeBinaryPath(major);
  if (args[0] === '--print-path') {
    process.stdout.write(`${binary}\n`);
    return;
  }
  if (args[0] === '--path-env') {
    process.stdout.write(`${envWithNode(binary).PATH}\n`);
    return;
  }
  const child = spawn(binary, args, { stdio: 'inherit', env: envWithNode(binary) });
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
}

if (require.main === module) {
  const [major, ...args] = process.argv.slice(2);
  if (!isNodeMajor(major)) {
    process.stderr.write(
      `usage: tsx scripts/node-release.ts <${Object.keys(NODE_RELEASES).join('|')}> [--print-path | --path-env | node arguments…]\n`,
    );
    process.exit(2);
  }
  runOnNode(major, args);
}
