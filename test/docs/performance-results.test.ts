import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSections, type RecordedRun, recordRuns } from '../../bench/results-file.js';

const ORDER = ['invocation', 'cold-start', 'cache-memory', 'local-gateway', 'route-invocations', 'shared-cache'];

const run = (name: string, output: string): RecordedRun => ({
  name,
  date: '2026-12-07 03:00',
  command: `npx tsx bench/run.ts --only ${name} --record`,
  commit: '`abc1234`',
  node: 'v24.22.3',
  machine: '2 × AMD EPYC, 24 GiB, linux x64',
  load: [0.4, 1.2],
  output,
});

describe('docs/performance-results.md: every figure under the run that produced it', () => {
  it('names the date, command, commit, Node.js version, machine and load of every recorded benchmark', () => {
    const sections = parseSections(readFileSync(resolve(__dirname, '../../docs/performance-results.md'), 'utf8'));
    expect(sections.size).toBeGreaterThan(0);
    for (const [name, section] of sections) {
      expect(ORDER, name).toContain(name);
      for (const field of ['date', 'command', 'commit', 'Node.js', 'machine', 'load average (1 min)']) {
        expect(section, `${name}: ${field}`).toMatch(new RegExp(`^\\| ${field.replace(/[()]/g, '\\$&')} \\| \\S`, 'm'));
      }
      expect(section, name).toMatch(/^```text\n[\s\S]+\n```$/m);
    }
  });

  it('replaces the sections of the benchmarks that ran and keeps the others, in the benchmarks order', () => {
    const first = recordRuns(undefined, [run('cold-start', '3. old'), run('invocation', '1. old')], ORDER);
    const second = recordRuns(first, [run('cold-start', '3. new')], ORDER);
    const sections = parseSections(second);
    expect([...sections.keys()]).toEqual(['invocation', 'cold-start']);
    expect(sections.get('invocation')).toContain('1. old');
    expect(sections.get('cold-start')).toContain('3. new');
    expect(second).not.toContain('3. old');
  });

  it('says a run was measured while other jobs ran when the load average reached 1', () => {
    expect(recordRuns(undefined, [run('invocation', '1.')], ORDER)).toContain(
      '0.4 at the start, 1.2 at the end: measured while other jobs ran',
    );
    expect(recordRuns(undefined, [{ ...run('invocation', '1.'), load: [0.2, 0.3] }], ORDER)).not.toContain('other jobs');
  });
});
