import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/local-stack.js';

/**
 * Starts the local flow for one test file on free ports, synthesized into a temporary directory,
 * and stops it afterwards. Lines the functions print reach this process's captured output, so the
 * leak check covers them. Returns a getter: the stack exists once beforeAll has run.
 */
export function useLocalStack(
  options: Omit<LocalStackOptions, 'port' | 'restPort' | 'oauthPort' | 'outdir' | 'onLog'> = {},
): () => LocalStack {
  let stack: LocalStack | undefined;
  let outdir: string | undefined;
  beforeAll(async () => {
    outdir = mkdtempSync(join(tmpdir(), 'phantom-e2e-'));
    stack = await startLocalStack({
      ...options,
      port: 0,
      restPort: 0,
      oauthPort: 0,
      outdir,
      onLog: (_source, line) => process.stdout.write(`${line}\n`),
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    if (outdir !== undefined) rmSync(outdir, { recursive: true, force: true });
  });
  return () => {
    if (stack === undefined) throw new Error('the local stack has not started');
    return stack;
  };
}
