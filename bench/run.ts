import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { type RecordedRun, recordRuns } from './results-file.js';

/**
 * `npm run bench`: the benchmarks of the authorizer, each in its own process.
 *
 *   npm run bench                                        # all five
 *   npm run bench -- --only invocation,cold-start        # a subset, by name (BENCHMARKS below)
 *   npm run bench -- --only invocation --record          # and write docs/performance-results.md
 *
 * `--record` writes what each benchmark printed, under the command, commit, Node.js version, machine
 * and load average that produced it, to its section of docs/performance-results.md, keeping the
 * sections of benchmarks that did not run (docs/performance.md explains each line).
 */
/** Name → the script and the Node.js options it needs. */
const BENCHMARKS = {
  invocation: { script: 'invocation.ts', nodeOptions: [] },
  'cold-start': { script: 'cold-start.ts', nodeOptions: [] },
  'cache-memory': { script: 'cache-memory.ts', nodeOptions: ['--expose-gc'] },
  'local-gateway': { script: 'local-gateway.ts', nodeOptions: [] },
  'route-invocations': { script: 'route-invocations.ts', nodeOptions: [] },
  'shared-cache': { script: 'shared-cache.ts', nodeOptions: [] },
} as const;
type Benchmark = keyof typeof BENCHMARKS;

const RESULTS_FILE = resolve(__dirname, '../docs/performance-results.md');

function parseArgs(argv: readonly string[]): { only: Benchmark[]; record: boolean } {
  let only = Object.keys(BENCHMARKS) as Benchmark[];
  let record = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--record') record = true;
    else if (arg === '--only') {
      const names = (argv[++i] ?? '').split(',').filter(Boolean);
      const unknown = names.filter((name) => !(name in BENCHMARKS));
      if (names.length === 0 || unknown.length > 0) {
        throw new Error(`--only takes names from ${Object.keys(BENCHMARKS).join(', ')}; got "${argv[i] ?? ''}"`);
      }
      only = names as Benchmark[];
    } else throw new Error(`unknown argument "${arg}" (--only <names>, --record)`);
  }
  return { only, record };
}

function git(args: string[]): string {
  // From the repository's root, so that pathspecs name its top-level directories.
  const result = spawnSync('git', args, { cwd: resolve(__dirname, '..'), encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : '';
}

/** Runs a benchmark in its own process, showing its output as it comes; resolves to that output. */
function runShowing(args: readonly string[]): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--no-warnings', '--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let printed = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      process.stdout.write(chunk);
      printed += chunk;
    });
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? done(printed) : fail(new Error(`${args.at(-1)} exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  const { only, record } = parseArgs(process.argv.slice(2));
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const machine = `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${arch()}`;
  process.stdout.write(`machine: ${machine}, Node.js ${process.version}\n`);
  process.stdout.write('(figures from one run on one shared machine: compare ratios, not absolute times, with Lambda)\n\n');
  // The code measured: the function, the construct, the local servers the benchmarks start, the bundler.
  const measured = ['lambda', 'lib', 'local', 'scripts'];
  /** The commit, and whether the measured code differs from it in the working tree. */
  const tree = () => ({
    commit: git(['rev-parse', '--short', 'HEAD']) || 'unknown',
    dirty: git(['status', '--porcelain', '--', ...measured]) !== '',
  });
  const settings = Object.entries(process.env)
    .filter(([name]) => name.startsWith('BENCH_'))
    .map(([name, value]) => `${name}=${value} `)
    .sort()
    .join('');
  const command = `${settings}npx tsx bench/run.ts${only.length < Object.keys(BENCHMARKS).length ? ` --only ${only.join(',')}` : ''} --record`;
  const runs: RecordedRun[] = [];
  for (const name of only) {
    const { script, nodeOptions } = BENCHMARKS[name];
    const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
    const loadAtStart = loadavg()[0] as number;
    const before = tree();
    const output = await runShowing([...nodeOptions, resolve(__dirname, script)]);
    const after = tree();
    const commit =
      before.commit === after.commit ? `\`${after.commit}\`` : `\`${before.commit}\` at the start, \`${after.commit}\` at the end`;
    runs.push({
      name,
      date,
      command,
      commit: `${commit}${before.dirty || after.dirty ? `, with uncommitted changes in ${measured.map((dir) => `${dir}/`).join(', ')}` : ''}`,
      node: `${process.version}${name === 'cold-start' ? " (and the Node.js versions its lines name: Lambda's Node 24 among them)" : ''}`,
      machine,
      load: [loadAtStart, loadavg()[0] as number],
      output,
    });
  }
  if (!record) return;
  const existing = existsSync(RESULTS_FILE) ? readFileSync(RESULTS_FILE, 'utf8') : undefined;
  writeFileSync(RESULTS_FILE, recordRuns(existing, runs, Object.keys(BENCHMARKS)));
  process.stdout.write(`\nrecorded ${only.join(', ')} in ${RESULTS_FILE}\n`);
}

// An async main, not top-level await: the project is CommonJS (the jsii-compiled library is).
main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
