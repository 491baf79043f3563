import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { soakFigures } from '../../soak/figures.js';
import { judge } from '../../soak/oracle.js';
import { parseSettings } from '../../soak/settings.js';
import { runSoak, type SoakRun, windowsOf } from '../../soak/soak.js';

/**
 * The short soak with the shared cache and push revocation (`npm run soak -- --seconds 20
 * --shared-cache` in effect): the same story as the short soak, with the table, the receiver, the
 * REST stage flushed and 30 % of the load on the REST API; each revoked token probed on both APIs
 * until denied.
 */
describe('the short soak with --shared-cache', () => {
  let outDir: string;
  let run: SoakRun;
  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'phantom-soak-shared-'));
    run = await runSoak(parseSettings(['--seconds', '20', '--shared-cache', '--out', outDir]));
  }, 400_000);
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('never allows what the token state, the caches and the push bound do not permit', () => {
    expect(run.verdict.wrongAllows).toBe(0);
    expect(run.verdict.wrongInvocationAllows).toBe(0);
    expect(run.verdict.unexpected).toBe(0);
  });

  it('marks every revoked token in the table through the receiver, and flushes the REST stage twice for each', () => {
    const revoked = run.tokens.filter((token) => Number.isFinite(token.revokeEndMs ?? Number.NaN));
    expect(revoked.length).toBeGreaterThan(5);
    expect(new Set(run.marks.map((mark) => mark.tokenHash))).toEqual(new Set(revoked.map((token) => token.hash)));
    expect(run.flushes.length).toBeGreaterThanOrEqual(2 * revoked.length);
    expect(run.pushes.every((push) => push.outcome === 'delivered')).toBe(true);
  });

  it('would count wrong allows if the receiver’s marks were taken for the revocations’ own answers and memory bound 0 (the check can fail)', () => {
    const early = run.tokens.flatMap((token) =>
      token.hash === undefined || token.revokeStartMs === undefined ? [] : [{ tokenHash: token.hash, markedMs: token.revokeStartMs }],
    );
    const stricter = judge({
      ...run,
      windows: {
        ...windowsOf(run.settings, { cacheAcrossRoutes: true, restCacheAcrossRoutes: true }),
        resultsCacheTtlSeconds: 0,
        memoryTtlSeconds: 0,
      },
      marks: early,
    });
    expect(stricter.wrongAllows).toBeGreaterThan(0);
  });

  it('reports the figures: introspections per token and window, revocation to first deny on both APIs, table reads', () => {
    const figures = soakFigures(run);
    expect(figures.introspections.groups).toBeGreaterThan(0);
    expect(figures.revocation.http?.toFirstDeny?.count).toBeGreaterThan(0);
    expect(figures.revocation.rest?.toFirstDeny?.count).toBeGreaterThan(0);
    expect(figures.tableRead?.count).toBeGreaterThan(0);
    expect(figures.tableUsage?.puts).toBeGreaterThan(0);
  });
});
