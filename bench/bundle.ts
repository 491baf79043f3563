import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleAuthorizer } from '../scripts/bundle-authorizer.js';

/** Bundles an entry with the settings the construct deploys with; returns the file and its size. */
export async function bundle(entry: string, name: string): Promise<{ file: string; bytes: number }> {
  const file = join(mkdtempSync(join(tmpdir(), 'phantom-bench-')), `${name}.js`);
  await bundleAuthorizer(entry, file);
  return { file, bytes: statSync(file).size };
}
