/**
 * docs/performance-results.md: one section per benchmark script, each with the run that produced
 * it (date, command, commit, Node.js, machine, load). `npm run bench -- --record` replaces the
 * sections of the benchmarks it ran and keeps the others, so a subset can be re-measured alone.
 */

/** One benchmark's recorded run. */
export interface RecordedRun {
  /** The benchmark's name, as `--only` takes it: the section's heading. */
  readonly name: string;
  /** ISO 8601, minutes, UTC. */
  readonly date: string;
  readonly command: string;
  /** Short commit, and a note when the measured code had uncommitted changes. */
  readonly commit: string;
  readonly node: string;
  readonly machine: string;
  /** One-minute load average before and after the benchmark. */
  readonly load: readonly [number, number];
  /** What the benchmark printed. */
  readonly output: string;
}

const PREAMBLE = [
  '# Benchmark results',
  '',
  '<!-- Written by `npm run bench -- --record` (bench/run.ts). Do not edit by hand: run the bench again. -->',
  '',
  'The last recorded run of each benchmark, each under the command, commit, Node.js version, machine',
  'and load that produced it. What each line measures, the targets, and how to read the figures:',
  '[performance.md](performance.md). Summaries are the median, then the spread: p1 and p99 for',
  'samples of 100 or more, else only the minimum and maximum (`n` is the sample size).',
  '',
].join('\n');

/** A load average of 1 or more on this 2-vCPU class of machine means other work competed for it. */
const BUSY_LOAD = 1;

export function renderSection(run: RecordedRun): string {
  const [start, end] = run.load;
  const busy = start >= BUSY_LOAD || end >= BUSY_LOAD ? ': measured while other jobs ran' : '';
  return [
    `## ${run.name}`,
    '',
    '| | |',
    '|---|---|',
    `| date | ${run.date} UTC |`,
    `| command | \`${run.command}\` |`,
    `| commit | ${run.commit} |`,
    `| Node.js | ${run.node} |`,
    `| machine | ${run.machine} |`,
    `| load average (1 min) | ${start.toFixed(1)} at the start, ${end.toFixed(1)} at the end${busy} |`,
    '',
    '```text',
    run.output.trimEnd(),
    '```',
    '',
  ].join('\n');
}

/** The sections of a results file, by benchmark name, in file order. */
export function parseSections(file: string): Map<string, string> {
  const sections = new Map<string, string>();
  const parts = file.split(/^(?=## )/m).slice(1);
  for (const part of parts) {
    const name = /^## (\S+)/.exec(part)?.[1];
    if (name !== undefined) sections.set(name, `${part.trimEnd()}\n`);
  }
  return sections;
}

/** The results file with `runs` replacing their sections, every section in `order`. */
export function recordRuns(existing: string | undefined, runs: readonly RecordedRun[], order: readonly string[]): string {
  const sections = parseSections(existing ?? '');
  for (const run of runs) sections.set(run.name, renderSection(run));
  const names = [...sections.keys()].sort((a, b) => rank(order, a) - rank(order, b));
  return `${PREAMBLE}\n${names.map((name) => sections.get(name)).join('\n')}`;
}

function rank(order: readonly string[], name: string): number {
  const index = order.indexOf(name);
  return index < 0 ? order.length : index;
}
