/**
 * Cutting a release. Publishing is not done from a laptop: a maintainer prepares the release here,
 * pushes the tag, and the release workflow (.github/workflows/release.yml) builds, tests and publishes
 * to each registry with credentials held by the CI provider (none are in this repository). See
 * docs/releasing.md.
 *
 *   npx tsx scripts/release.ts prepare 0.2.0   # CHANGELOG's "Unreleased" becomes "0.2.0 — <today>",
 *                                              # package.json/-lock take the version; commit and tag v0.2.0
 *   npx tsx scripts/release.ts artifacts       # build; npm tarball and jsii-pacmak packages in dist/release/
 *   npx tsx scripts/release.ts artifacts --code-only   # the same without the other languages' toolchains
 *
 * `prepare` refuses a dirty tree, a version not above package.json's, and an empty "Unreleased".
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..');
const UNRELEASED = '## Unreleased';

/** A release version: MAJOR.MINOR.PATCH with an optional pre-release (no build metadata). */
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

function parse(version: string): { core: [number, number, number]; pre: string | undefined } {
  const match = SEMVER.exec(version);
  if (!match) throw new Error(`"${version}" is not a release version (MAJOR.MINOR.PATCH, optionally -pre.N)`);
  return { core: [Number(match[1]), Number(match[2]), Number(match[3])], pre: match[4] };
}

/** Throws unless `next` is a valid version above `current` (pre-releases sort below their release). */
export function checkNextVersion(current: string, next: string): void {
  const a = parse(current);
  const b = parse(next);
  for (let i = 0; i < 3; i++) {
    if (b.core[i] !== a.core[i]) {
      if ((b.core[i] as number) > (a.core[i] as number)) return;
      throw new Error(`${next} is below the current version ${current}`);
    }
  }
  if (a.pre !== undefined && (b.pre === undefined || comparePreRelease(b.pre, a.pre) > 0)) return;
  throw new Error(`${next} is not above the current version ${current}`);
}

/** SemVer 2.0.0 §11: identifiers left to right, numeric ones numerically and below alphanumeric ones. */
function comparePreRelease(x: string, y: string): number {
  const xs = x.split('.');
  const ys = y.split('.');
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    const [p, q] = [xs[i] as string, ys[i] as string];
    if (p === q) continue;
    const [pn, qn] = [/^\d+$/.test(p), /^\d+$/.test(q)];
    if (pn && qn) return Number(p) - Number(q);
    if (pn !== qn) return pn ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return xs.length - ys.length;
}

/**
 * The CHANGELOG with its "Unreleased" section renamed to the release and a new, empty "Unreleased"
 * above it. Throws when there is no "Unreleased" section, it is empty, or the version is already there.
 */
export function rollChangelog(changelog: string, version: string, date: string): string {
  const start = changelog.indexOf(`${UNRELEASED}\n`);
  if (start < 0) throw new Error(`CHANGELOG.md has no "${UNRELEASED}" section`);
  if (new RegExp(`^## ${version.replaceAll('.', '\\.')}( |$)`, 'm').test(changelog)) {
    throw new Error(`CHANGELOG.md already has a section for ${version}`);
  }
  const bodyStart = start + UNRELEASED.length + 1;
  const next = changelog.indexOf('\n## ', bodyStart);
  const body = changelog.slice(bodyStart, next < 0 ? undefined : next);
  if (body.trim() === '') throw new Error(`CHANGELOG.md's "${UNRELEASED}" section is empty: nothing to release`);
  return `${changelog.slice(0, start)}${UNRELEASED}\n\n## ${version} — ${date}\n${changelog.slice(bodyStart)}`;
}

const run = (command: string, args: string[]): string =>
  execFileSync(command, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

function prepare(version: string): void {
  if (run('git', ['status', '--porcelain']).trim() !== '') throw new Error('the working tree is not clean');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  checkNextVersion(pkg.version, version);
  const changelogPath = join(root, 'CHANGELOG.md');
  const date = new Date().toISOString().slice(0, 10);
  writeFileSync(changelogPath, rollChangelog(readFileSync(changelogPath, 'utf8'), version, date));
  run('npm', ['version', version, '--no-git-tag-version', '--allow-same-version']);
  run('git', ['add', 'CHANGELOG.md', 'package.json', 'package-lock.json']);
  run('git', ['commit', '-m', `Release ${version}`]);
  run('git', ['tag', '-a', `v${version}`, '-m', `cdk-phantom-token ${version}`]);
  process.stdout.write(`prepared v${version}: review the commit, then git push --follow-tags\n`);
}

function artifacts(codeOnly: boolean): void {
  const out = join(root, 'dist', 'release');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'js'), { recursive: true });
  run('npm', ['pack', '--pack-destination', join(out, 'js')]); // prepack builds
  const pacmak = ['jsii-pacmak', '-t', 'python', 'java', 'dotnet', 'go', '-o', out, '--no-npmignore'];
  execFileSync('npx', codeOnly ? [...pacmak, '--code-only'] : pacmak, { cwd: root, stdio: 'inherit' });
  process.stdout.write(`${run('find', [out, '-maxdepth', '2'])}`);
}

if (require.main === module) {
  const [command, argument] = process.argv.slice(2);
  if (command === 'prepare' && argument) prepare(argument);
  else if (command === 'artifacts') artifacts(argument === '--code-only');
  else {
    process.stderr.write('usage: tsx scripts/release.ts prepare <version> | artifacts [--code-only]\n');
    process.exit(2);
  }
}
