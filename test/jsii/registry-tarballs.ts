import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** npm could not reach the registry: the one reason the jsii runtime test skips instead of failing. */
export class RegistryUnreachableError extends Error {
  override readonly name = 'RegistryUnreachableError';
}

/** npm's and Node's codes for a registry that does not answer (DNS, refused, reset, timed out, offline). */
const UNREACHABLE = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ENOTCACHED)\b/;

/** The version of a package as this repository's package-lock.json installs it. */
export function lockedVersion(root: string, name: string): string {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (version === undefined) throw new Error(`${name} is not in package-lock.json`);
  return version;
}

/**
 * The registry tarball of `name@version`, fetched once with `npm pack` into `cacheDir` and kept
 * there (npm's own cache serves it offline after the first fetch). Throws
 * {@link RegistryUnreachableError} when npm cannot reach the registry, any other error as is.
 */
export async function registryTarball(cacheDir: string, name: string, version: string): Promise<string> {
  const file = join(cacheDir, `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`);
  if (existsSync(file)) return file;
  mkdirSync(cacheDir, { recursive: true });
  try {
    await run('npm', ['pack', `${name}@${version}`, '--prefer-offline', '--loglevel=error', '--pack-destination', cacheDir], {
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const text = `${(error as Error).message}\n${(error as { stderr?: string }).stderr ?? ''}`;
    if (UNREACHABLE.test(text)) throw new RegistryUnreachableError(`npm pack ${name}@${version}: ${text.match(UNREACHABLE)?.[0]}`);
    throw error;
  }
  if (!existsSync(file)) throw new Error(`npm pack ${name}@${version} wrote no ${file}`);
  return file;
}
