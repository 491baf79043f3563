import { mkdirSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { figureLines, soakFigures } from './figures.js';
import { writeReport } from './report.js';
import { parseSettings } from './settings.js';
import { runSoak } from './soak.js';
import { errorReasons, phaseTable, rssSummary, summaryLine } from './summary.js';

/**
 * `npm run soak [-- --seconds N …]`: the soak test of the local flow under load, faults and token
 * churn. Prints progress, the per-phase latency table and one summary line; writes the report
 * (HTML with the plots) and the summary JSON to `--out` (reports/soak). Exits 1 on any wrong
 * allow, wrong deny, lost or unexpected answer.
 */
async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const run = await runSoak(settings, (message) => say(`… ${message}`));
  const outDir = isAbsolute(settings.outDir) ? settings.outDir : resolve(__dirname, '..', settings.outDir);
  mkdirSync(outDir, { recursive: true });
  const report = await writeReport(run, outDir);
  say(phaseTable(run));
  for (const verdict of run.verdict.verdicts.slice(0, 20))
    say(
      `  ! ${verdict.kind}: request ${verdict.requestId} ${verdict.route} ${verdict.label} → ${verdict.status ?? `no answer (${verdict.error})`} at ${((verdict.sentMs - run.startMs) / 1000).toFixed(2)} s`,
    );
  say(`authorizer errors by reason: ${errorReasons(run)}; ${run.warnings} warning lines`);
  say(`authorizer RSS, first → last sample: ${rssSummary(run)}`);
  for (const line of figureLines(soakFigures(run), run)) say(line);
  say(`report: ${report}`);
  say(summaryLine(run));
  const v = run.verdict;
  if (v.wrongAllows + v.wrongDenies + v.wrongDeniesInFailureWindows + v.errorsOutsideFailureWindows + v.lost + v.unexpected > 0)
    process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
