import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { compareWithSnapshot, INTEG_DIR, integApps, synthesize, writeSnapshot } from './integ-snapshot.js';

/**
 * The integration tests' commands (package.json: `integ`, `integ:snapshot`, `integ:check`):
 *
 *   tsx test/integ/run.ts deploy [--keep]   deploy each integ app to the account and region of the
 *                                           usual AWS variables (AWS_PROFILE, AWS_REGION …), run its
 *                                           assertions, print their results, then destroy every
 *                                           stack, also when the deployment or an assertion failed
 *                                           or the run was interrupted (--keep: leave them, to look)
 *   tsx test/integ/run.ts snapshot          write the snapshots (offline)
 *   tsx test/integ/run.ts check             compare the snapshots with a fresh synthesis (offline)
 *
 * What integ-runner does, with the project's own aws-cdk CLI: integ-runner 2.197.10 cannot read
 * the cloud assembly aws-cdk-lib 2.276 writes (schema 55; it stops at 53). The deployment is of the
 * very assembly the snapshot check synthesizes (integ-runner's context), so what is checked offline
 * is what is deployed.
 */
const [command = 'check', ...flags] = process.argv.slice(2);

function check(): number {
  let failed = 0;
  for (const app of integApps()) {
    const differences = compareWithSnapshot(app);
    const name = basename(app);
    if (differences.length === 0) process.stdout.write(`  UNCHANGED  ${name}\n`);
    else {
      failed += 1;
      process.stdout.write(`  CHANGED    ${name}\n${differences.map((d) => `      ${d}`).join('\n')}\n`);
    }
  }
  if (failed > 0)
    process.stdout.write('The synthesized apps differ from their snapshots: review the change, then npm run integ:snapshot\n');
  return failed === 0 ? 0 : 1;
}

function snapshot(): number {
  for (const app of integApps()) process.stdout.write(`  WROTE      ${relative(process.cwd(), writeSnapshot(app))}\n`);
  return 0;
}

/** The project's cdk CLI on a synthesized assembly; its exit status. */
function cdk(assembly: string, args: string[]): number {
  const result = spawnSync('npx', ['cdk', ...args, '--app', assembly, '--no-notices'], {
    stdio: 'inherit',
    cwd: join(INTEG_DIR, '..', '..'),
  });
  return result.status ?? 1;
}

/** `AssertionResults…` outputs of the assertion stacks: `{"status":"success"}` or `{"status":"fail","message":…}`. */
function assertionResults(outputsFile: string): { name: string; status: string; message?: string }[] {
  let outputs: Record<string, Record<string, string>>;
  try {
    outputs = JSON.parse(readFileSync(outputsFile, 'utf8')) as Record<string, Record<string, string>>;
  } catch {
    return [];
  }
  return Object.values(outputs).flatMap((stack) =>
    Object.entries(stack)
      .filter(([key]) => key.startsWith('AssertionResults'))
      .map(([key, value]) => {
        const parsed = JSON.parse(value) as { status: string; message?: string };
        return { name: key.replace(/^AssertionResultsEqualsAssertion/, '').replace(/[0-9a-f]{32}$/, ''), ...parsed };
      }),
  );
}

function deploy(keep: boolean): number {
  let interrupted = false;
  // Ctrl-C reaches the cdk process too; this process stays to destroy what it deployed.
  process.on('SIGINT', () => {
    interrupted = true;
  });
  let failed = 0;
  for (const app of integApps()) {
    const assembly = mkdtempSync(join(tmpdir(), 'phantom-token-integ-'));
    const outputs = join(assembly, 'outputs.json');
    try {
      synthesize(app, assembly);
      process.stdout.write(`\n== ${basename(app)}: deploy\n`);
      const deployed = cdk(assembly, ['deploy', '--all', '--require-approval', 'never', '--outputs-file', outputs]);
      const results = assertionResults(outputs);
      for (const result of results) {
        process.stdout.write(
          `  ${result.status === 'success' ? 'PASS' : 'FAIL'}  ${result.name}${result.message === undefined ? '' : `\n        ${result.message}`}\n`,
        );
      }
      if (deployed !== 0 || interrupted || results.length === 0 || results.some((result) => result.status !== 'success')) failed += 1;
    } finally {
      if (keep) process.stdout.write(`--keep: the stacks stay; remove them with npx cdk destroy --all --app ${assembly}\n`);
      else {
        process.stdout.write(`\n== ${basename(app)}: destroy\n`);
        if (cdk(assembly, ['destroy', '--all', '--force']) !== 0) {
          failed += 1;
          process.stdout.write(
            'DESTROY FAILED: if stacks PhantomTokenInteg* exist in the account, delete them (CloudFormation console or npx cdk destroy)\n',
          );
        }
        rmSync(assembly, { recursive: true, force: true });
      }
    }
    if (interrupted) break;
  }
  return failed === 0 ? 0 : 1;
}

const commands: Record<string, () => number> = { check, snapshot, deploy: () => deploy(flags.includes('--keep')) };
const run = commands[command];
if (run === undefined) {
  process.stderr.write(`usage: tsx test/integ/run.ts deploy [--keep] | snapshot | check\n`);
  process.exit(2);
}
process.exit(run());
