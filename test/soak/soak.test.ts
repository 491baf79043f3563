import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judge } from '../../soak/oracle.js';
import { writeReport } from '../../soak/report.js';
import { DEFAULT_SETTINGS } from '../../soak/settings.js';
import { runSoak, type SoakRun } from '../../soak/soak.js';

/**
 * The short soak (`npm run soak -- --seconds 20` in effect): the local flow for 20 s under load,
 * the identity server's faults, revocations, expiring tokens and a secret rotation. The oracle's
 * windows are exact, so a busy machine changes the latencies, not the verdicts.
 */
describe('the short soak', () => {
  let outDir: string;
  let run: SoakRun;
  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'phantom-soak-'));
    run = await runSoak({ ...DEFAULT_SETTINGS, seconds: 20, outDir });
  }, 240_000);
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('never allows what the token state and the documented cache windows do not permit', () => {
    expect(run.verdict.wrongAllows).toBe(0);
    expect(run.verdict.wrongInvocationAllows).toBe(0);
  });

  it('would count wrong allows if the caches outlived shorter windows than they run with (the check can fail)', () => {
    const stricter = judge({ ...run, windows: { ...run.settings, resultsCacheTtlSeconds: 0, cacheMaxTtlSeconds: 0 } });
    expect(stricter.wrongAllows).toBeGreaterThan(0);
  });

  it('answers every request', () => {
    expect(run.verdict.lost).toBe(0);
    // The bursts need more instances than the warm ones: the runner started them on demand.
    expect(run.scaling.authorizerPeakInstances).toBeGreaterThan(DEFAULT_SETTINGS.instances);
    expect(run.verdict.answered).toBe(run.verdict.requests);
  });

  it('never denies a token that was surely active, and answers nothing else than 200, 401, 403 or 500', () => {
    expect(run.verdict.wrongDenies + run.verdict.wrongDeniesInFailureWindows).toBe(0);
    expect(run.verdict.unexpected).toBe(0);
  });

  it('went through the story: load, every fault, revocations, the rotation', () => {
    expect(run.verdict.requests).toBeGreaterThan(0.8 * 20 * DEFAULT_SETTINGS.rate);
    expect(run.verdict.allows).toBeGreaterThan(0);
    expect(run.verdict.denies).toBeGreaterThan(0);
    expect(run.faults.map((fault) => fault.kind).sort()).toEqual(['refused', 'restart', 'slow', 'stall', 'status-5xx']);
    expect(run.verdict.errorsInFailureWindows).toBeGreaterThan(0);
    expect(run.tokens.filter((token) => Number.isFinite(token.revokeEndMs ?? Number.NaN)).length).toBeGreaterThan(5);
    expect(run.tokens.filter((token) => token.kind === 'expiring' && (token.expMs ?? Infinity) < run.endMs).length).toBeGreaterThan(2);
    expect(run.rotationMs).toBeGreaterThan(run.startMs);
  });

  it('writes a report with the four plots', async () => {
    const html = readFileSync(await writeReport(run, outDir), 'utf8');
    expect(html.match(/<svg /g)).toHaveLength(4);
    expect(html).toContain('wrong allows 0');
  });
});
