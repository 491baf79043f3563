import type { RequestRecord } from './records.js';
import type { SoakRun } from './soak.js';

export interface PhaseLatency {
  readonly name: string;
  readonly requests: number;
  readonly allows: number;
  readonly errors: number;
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
}

/** Latency percentiles of the answered requests sent in each phase of the schedule. */
export function phaseLatencies(run: SoakRun): PhaseLatency[] {
  return run.schedule.phases.map((phase) => {
    const inPhase = run.requests.filter((r) => r.sentMs >= phase.startMs && r.sentMs < phase.endMs);
    return { name: phase.name, ...latencyOf(inPhase) };
  });
}

export function latencyOf(requests: readonly RequestRecord[]): Omit<PhaseLatency, 'name'> {
  const latencies = requests.flatMap((r) => (r.latencyMs === undefined ? [] : [r.latencyMs])).sort((a, b) => a - b);
  const at = (q: number) =>
    latencies.length === 0 ? undefined : latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return {
    requests: requests.length,
    allows: requests.filter((r) => r.status === 200).length,
    errors: requests.filter((r) => r.status === 500).length,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  };
}

export function ms(value: number | undefined): string {
  if (value === undefined) return '–';
  return value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;
}

/** The one line a run ends with: the oracle's counts and the latency percentiles. */
export function summaryLine(run: SoakRun): string {
  const v = run.verdict;
  const all = latencyOf(run.requests);
  const n = (value: number) => value.toLocaleString('en-US');
  return (
    `soak: ${run.settings.seconds} s, ${n(v.requests)} requests (${run.settings.rate}/s + ${run.schedule.bursts.length} bursts of ${run.settings.burstSize}` +
    `${run.settings.restPercent > 0 ? `, ${run.settings.restPercent} % to the REST API` : ''}), ` +
    `${run.settings.sharedCache ? `shared cache and push revocation (memory ${run.settings.memoryTtlSeconds} s), ` : ''}` +
    `authorizer instances ${run.settings.instances} warm, peak ${run.scaling.authorizerPeakInstances} (at most ${run.scaling.peakInFlight} invocations in flight of ${run.scaling.limit}, ${run.scaling.throttled} throttled), Node.js ${process.version}: ` +
    `wrong allows ${v.wrongAllows}, wrong denies ${v.wrongDenies} (+${v.wrongDeniesInFailureWindows} in failure windows), ` +
    `500s outside failure windows ${v.errorsOutsideFailureWindows} (${v.errorsInFailureWindows} inside), lost ${v.lost}, unexpected ${v.unexpected}; ` +
    `${n(v.allows)} allowed, ${n(v.denies)} denied, ${run.clientRetries} client retries; p50 ${ms(all.p50Ms)}, p99 ${ms(all.p99Ms)}; wall ${run.wallSeconds.toFixed(0)} s`
  );
}

/** The per-phase table, as text. */
export function phaseTable(run: SoakRun): string {
  const rows = phaseLatencies(run).map(
    (p) =>
      `  ${p.name.padEnd(15)} ${String(p.requests).padStart(6)} requests ${String(p.allows).padStart(6)} allowed ${String(p.errors).padStart(5)} × 500   p50 ${ms(p.p50Ms).padStart(8)}   p99 ${ms(p.p99Ms).padStart(8)}`,
  );
  return rows.join('\n');
}

/** The authorizer's error decisions by reason code (from its decision lines). */
export function errorReasons(run: SoakRun): string {
  const counts = new Map<string, number>();
  for (const d of run.decisions) if (d.outcome === 'error') counts.set(d.reason, (counts.get(d.reason) ?? 0) + 1);
  return [...counts].map(([reason, count]) => `${reason} × ${count}`).join(', ') || 'none';
}

/**
 * Authorizer processes' RSS: how many were measured, the median process's first and last sample,
 * and the largest sample of any, MiB (with instances started on demand there may be hundreds).
 */
export function rssSummary(run: SoakRun): string {
  const byPid = new Map<number, number[]>();
  for (const sample of run.rss) {
    const list = byPid.get(sample.pid) ?? [];
    list.push(sample.rssBytes / 2 ** 20);
    byPid.set(sample.pid, list);
  }
  if (byPid.size === 0) return 'not measured (no /proc)';
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const lists = [...byPid.values()];
  const first = median(lists.map((mib) => mib[0] ?? 0));
  const last = median(lists.map((mib) => mib.at(-1) ?? 0));
  const peak = Math.max(...lists.map((mib) => Math.max(...mib)));
  return `${byPid.size} processes; median first → last ${first.toFixed(0)} → ${last.toFixed(0)} MiB, largest ${peak.toFixed(0)} MiB`;
}
