import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

/**
 * The integ apps' snapshots, in integ-runner's layout (`integ.<name>.ts.snapshot/` beside the app)
 * and synthesized as integ-runner does (its recommended feature flags as context), so that
 * `npx integ-runner` can take them over once it reads this aws-cdk-lib's cloud assembly (2.197.10,
 * the latest on npm today, stops at schema 53; aws-cdk-lib 2.276 writes 55). Until then this module
 * writes and checks them: test/integ/snapshot.test.ts offline, test/integ/run.ts for a maintainer.
 *
 * A snapshot keeps what a review needs: each stack's template, the asset manifests, the cloud
 * assembly and integ manifests. Asset contents (bundles, the route table) are left out: they are
 * regenerated at every synthesis, and the templates name them by content hash.
 */
export const INTEG_DIR = __dirname;

/** The integ apps: integ-runner's TypeScript naming, `integ.<name>.ts`. */
export function integApps(): string[] {
  return readdirSync(INTEG_DIR)
    .filter((name) => /^integ\.(?!.*\.d\.ts$).*\.ts$/.test(name))
    .map((name) => join(INTEG_DIR, name));
}

export function snapshotDir(app: string): string {
  return join(dirname(app), `${basename(app)}.snapshot`);
}

/** integ-runner's context for every synthesis: the feature flags aws-cdk-lib recommends today. */
function integRunnerContext(): Record<string, unknown> {
  const flags = join(dirname(require.resolve('@aws-cdk/integ-runner')), 'recommended-feature-flags.json');
  return JSON.parse(readFileSync(flags, 'utf8')) as Record<string, unknown>;
}

/** Runs the app as integ-runner would (`node --import tsx`), its cloud assembly written to `outdir`. */
export function synthesize(app: string, outdir: string): void {
  execFileSync(process.execPath, ['--import', 'tsx', app], {
    cwd: join(INTEG_DIR, '..', '..'),
    env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(integRunnerContext()) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** The files of an assembly a snapshot keeps. */
function kept(name: string): boolean {
  return name.endsWith('.template.json') || name.endsWith('.assets.json') || name === 'manifest.json' || name === 'integ.json';
}

/** Synthesizes the app and writes its snapshot (replacing the old one). */
export function writeSnapshot(app: string): string {
  const outdir = mkdtempSync(join(tmpdir(), 'phantom-token-integ-'));
  try {
    synthesize(app, outdir);
    const target = snapshotDir(app);
    rmSync(target, { recursive: true, force: true });
    for (const name of readdirSync(outdir).filter(kept)) cpSync(join(outdir, name), join(target, name));
    return target;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Whether the app's test case asks for asset hashes to count (integ-tests-alpha's `diffAssets`; default false). */
function diffAssets(integManifest: string): boolean {
  const manifest = JSON.parse(readFileSync(integManifest, 'utf8')) as { testCases?: Record<string, { diffAssets?: boolean }> };
  return Object.values(manifest.testCases ?? {}).some((testCase) => testCase.diffAssets === true);
}

/**
 * What varies between two syntheses of the same app, made alike: integ-tests-alpha's assertion
 * `salt` (the synthesis time, so that assertions run at every deployment) and output ids
 * (`AssertionResults<id><md5>`, a hash over unresolved tokens, which count every token the app
 * made before), and the hashes of the stack templates as file assets with their destination ids
 * (derived from the templates, which are compared themselves). With `diffAssets` false, every asset hash.
 */
function normalizer(dir: string, assets: boolean): (text: string) => string {
  const templateHashes = new Set<string>();
  for (const name of readdirSync(dir).filter((file) => file.endsWith('.assets.json'))) {
    const manifest = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { files?: Record<string, { source?: { path?: string } }> };
    for (const [hash, file] of Object.entries(manifest.files ?? {}))
      if (file.source?.path?.endsWith('.template.json')) templateHashes.add(hash);
  }
  return (text) =>
    text
      .replace(/(AssertionResults\w*?)[0-9a-f]{32}\b/g, '$1<md5>')
      .replace(/"salt": "\d+"/g, '"salt": "<time>"')
      .replace(/(current_account-current_region)-[0-9a-f]{8}\b/g, '$1-<hash>')
      .replace(/[0-9a-f]{64}/g, (hash) => (!assets ? '<asset-hash>' : templateHashes.has(hash) ? '<template-hash>' : hash));
}

/**
 * The differences between the app's snapshot and a fresh synthesis: files added, removed or
 * changed (templates and manifests; asset hashes only when the test case sets `diffAssets`).
 * Empty when they agree.
 */
export function compareWithSnapshot(app: string): string[] {
  const expected = snapshotDir(app);
  if (!existsSync(expected)) return [`${basename(expected)} does not exist`];
  const outdir = mkdtempSync(join(tmpdir(), 'phantom-token-integ-'));
  try {
    synthesize(app, outdir);
    const assets = diffAssets(join(outdir, 'integ.json'));
    const normalize = { [expected]: normalizer(expected, assets), [outdir]: normalizer(outdir, assets) };
    const read = (dir: string, name: string) =>
      (normalize[dir] as (text: string) => string)(JSON.stringify(JSON.parse(readFileSync(join(dir, name), 'utf8')), null, 1));
    const actualFiles = readdirSync(outdir).filter(kept).sort();
    const expectedFiles = readdirSync(expected).filter(kept).sort();
    const differences: string[] = [];
    for (const name of expectedFiles.filter((file) => !actualFiles.includes(file)))
      differences.push(`${name}: in the snapshot, not synthesized`);
    for (const name of actualFiles.filter((file) => !expectedFiles.includes(file)))
      differences.push(`${name}: synthesized, not in the snapshot`);
    for (const name of actualFiles.filter((file) => expectedFiles.includes(file))) {
      const difference = firstDifference(read(expected, name), read(outdir, name));
      if (difference !== undefined) differences.push(`${name}: ${difference}`);
    }
    return differences;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The first line where two texts differ, as `line N: expected … received …`. */
function firstDifference(expected: string, actual: string): string | undefined {
  if (expected === actual) return undefined;
  const a = expected.split('\n');
  const b = actual.split('\n');
  const line = a.findIndex((text, i) => text !== b[i]);
  const at = line < 0 ? a.length : line;
  return `line ${at + 1}: snapshot ${JSON.stringify(a[at]?.trim())}, synthesized ${JSON.stringify(b[at]?.trim())}`;
}
