/**
 * Retests the survivors of a Stryker run against the code and tests as they are now, without a new
 * run: each surviving (or uncovered) mutant is applied to its file — its original lines found in
 * today's text, so code that moved still counts and code since removed is reported as gone — then
 * the test files of its module run with `--bail=1`, and the file is restored. A mutant reported
 * SURVIVED here survived those files only; Stryker's own run is the measure (docs/mutation-testing.md).
 *
 *   npx tsx scripts/retest-survivors.ts reports/mutation/mutation.json lambda/config.ts …
 *
 * Run it in a clean working tree: it rewrites the source files it retests (and restores them).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';

/** The test files that exercise each mutated module (test/lambda and the plan's tests, as Stryker runs them). */
const TESTS: Record<string, string[]> = {
  'lambda/aws/aws-json-client.ts': [
    'test/lambda/mutation-aws.test.ts',
    'test/lambda/secrets-manager.test.ts',
    'test/lambda/replay-dynamodb.test.ts',
  ],
  'lambda/aws/secrets-manager.ts': ['test/lambda/mutation-aws.test.ts', 'test/lambda/secrets-manager.test.ts'],
  'lambda/aws/sigv4.ts': ['test/lambda/sigv4.test.ts', 'test/lambda/mutation-aws.test.ts'],
  'lambda/observability/metrics-contract.ts': ['test/lambda/emf.test.ts', 'test/lambda/mutation-introspection.test.ts'],
  'lambda/observability/emf.ts': ['test/lambda/emf.test.ts', 'test/lambda/mutation-introspection.test.ts'],
  'lambda/observability/decision-log.ts': ['test/lambda/emf.test.ts', 'test/lambda/authorizer.test.ts'],
  'lambda/http-client.ts': ['test/lambda/mutation-introspection.test.ts', 'test/lambda/introspection-faults.test.ts'],
  'lambda/config.ts': [
    'test/lambda/config.test.ts',
    'test/lambda/mutation-config.test.ts',
    'test/lambda/shared-cache.test.ts',
    'test/lambda/dpop.test.ts',
  ],
  'lambda/bearer-token.ts': ['test/lambda/bearer-token.test.ts', 'test/lambda/mutation-config.test.ts', 'test/lambda/dpop.test.ts'],
  'lambda/errors.ts': ['test/lambda/mutation-config.test.ts', 'test/lambda/mutation-events.test.ts'],
  'lambda/authorizer.ts': ['test/lambda/authorizer.test.ts', 'test/lambda/mutation-config.test.ts', 'test/lambda/mutation-events.test.ts'],
  'lambda/authorizer-event.ts': ['test/lambda/mutation-events.test.ts', 'test/lambda/authorizer.test.ts'],
  'lambda/client-credentials.ts': [
    'test/lambda/mutation-config.test.ts',
    'test/lambda/secrets-manager.test.ts',
    'test/lambda/mutation-introspection.test.ts',
  ],
  'lambda/introspection-client.ts': [
    'test/lambda/mutation-introspection.test.ts',
    'test/lambda/introspection-claims.test.ts',
    'test/lambda/introspection-faults.test.ts',
  ],
  'lambda/redact-url.ts': ['test/lambda/mutation-config.test.ts', 'test/lambda/config.test.ts'],
  'lambda/sender-constraints/dpop-htu.ts': [
    'test/lambda/dpop.test.ts',
    'test/lambda/dpop-properties.test.ts',
    'test/lambda/mutation-sender-constraints.test.ts',
  ],
  'lambda/sender-constraints/dpop-proof.ts': [
    'test/lambda/dpop.test.ts',
    'test/lambda/dpop-properties.test.ts',
    'test/lambda/mutation-sender-constraints.test.ts',
  ],
  'lambda/sender-constraints/replay-dynamodb.ts': ['test/lambda/replay-dynamodb.test.ts', 'test/lambda/mutation-config.test.ts'],
  'lambda/revocation/delivery.ts': ['test/lambda/revocation'],
  'lambda/revocation/receiver.ts': ['test/lambda/revocation'],
  'lambda/revocation/security-event.ts': ['test/lambda/revocation'],
  'lambda/revocation/stage-flush.ts': ['test/lambda/revocation'],
  'lambda/shared-cache/introspection-table.ts': ['test/lambda/shared-cache.test.ts', 'test/lambda/mutation-shared-cache.test.ts'],
  'lambda/routes/policy-answer.ts': [
    'test/lambda/policy-answer-survivors.test.ts',
    'test/lambda/mutation-routes.test.ts',
    'test/lambda/route-table.test.ts',
    'test/lambda/route-scopes.test.ts',
    'test/lambda/authorizer.test.ts',
    'test/lib/route-table-plan',
  ],
  'lambda/routes/route-patterns.ts': [
    'test/lambda/route-patterns.test.ts',
    'test/lambda/mutation-routes.test.ts',
    'test/lambda/route-table.test.ts',
    'test/lib/route-table-plan',
  ],
  'lib/route-table-plan.ts': ['test/lib/route-table-plan'],
};

interface Position {
  readonly line: number;
  readonly column: number;
}
interface Mutant {
  readonly mutatorName: string;
  readonly replacement: string;
  readonly status: string;
  readonly static?: boolean;
  readonly location: { readonly start: Position; readonly end: Position };
}
interface Report {
  readonly files: Record<string, { readonly source: string; readonly mutants: Mutant[] }>;
}

/** Where the mutant's original lines are in today's text (the match nearest the old line), or -1. */
function findLines(block: string[], lines: string[], near: number): number {
  let at = -1;
  for (let i = 0; i + block.length <= lines.length; i++) {
    if (block.every((line, k) => lines[i + k] === line) && (at === -1 || Math.abs(i - near) < Math.abs(at - near))) at = i;
  }
  return at;
}

function retest(file: string, report: Report): void {
  const tests = TESTS[file];
  if (!tests) throw new Error(`no test files named for ${file}: add them to TESTS`);
  const current = readFileSync(file, 'utf8');
  const lines = current.split('\n');
  const original = report.files[file].source.split('\n');
  for (const mutant of report.files[file].mutants) {
    if (mutant.status !== 'Survived' && mutant.status !== 'NoCoverage') continue;
    const { start, end } = mutant.location;
    const name = `${file}:${start.line}:${start.column} ${mutant.static ? 'static ' : ''}${mutant.mutatorName} ${JSON.stringify(mutant.replacement).slice(0, 60)}`;
    const block = original.slice(start.line - 1, end.line);
    const at = findLines(block, lines, start.line - 1);
    if (at === -1) {
      console.log(`${name} -> GONE (its code is no longer there)`);
      continue;
    }
    const before = [...lines.slice(0, at), block[0].slice(0, start.column - 1)].join('\n');
    const after = [block[block.length - 1].slice(end.column - 1), ...lines.slice(at + block.length)].join('\n');
    writeFileSync(file, before + mutant.replacement + after);
    let verdict = 'SURVIVED';
    let failed = tests.join(' ');
    try {
      execFileSync('npx', ['vitest', 'run', '--bail=1', ...tests], { encoding: 'utf8', timeout: 240_000, stdio: 'pipe' });
    } catch (error) {
      verdict = 'KILLED';
      const output = stripVTControlCharacters(String((error as { stdout?: string }).stdout ?? ''));
      failed = [...output.matchAll(/^\s*(?:×|FAIL)\s+(.+)$/gm)].map((match) => match[1].trim())[0] ?? 'the run failed';
    } finally {
      writeFileSync(file, current);
    }
    console.log(`${name} -> ${verdict} ${failed.slice(0, 200)}`);
  }
}

const [reportPath, ...files] = process.argv.slice(2);
if (!reportPath || files.length === 0) {
  console.error('usage: npx tsx scripts/retest-survivors.ts <stryker mutation.json> <mutated file>…');
  process.exit(2);
}
const report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report;
for (const file of files) retest(file, report);
