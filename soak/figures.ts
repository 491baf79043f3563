import { apiOf, isDeny } from './oracle.js';
import type { ApiType } from './records.js';
import type { SoakRun } from './soak.js';
import { documentedBounds } from './soak.js';

/**
 * The shared cache's figures of a run (issue #24), from what it recorded:
 *
 * (a) introspections per distinct token per TTL window, counted at the identity server (the fault
 *     proxy's records), for the long-lived valid tokens in the fault-free phases: grouped by token
 *     hash and `cacheMaxTtl` window of the run's clock. Per-instance caches make it about the number
 *     of instances that saw the token in the window; a shared cache, about 1.
 * (b) time from each revocation's answer (RFC 7009) to the first deny of the token, per API type;
 *     and the latest allow after the mark reached the table, against the documented bound.
 * (c) the time of a table read on a memory miss, from the decision lines' `sharedCacheMs`.
 */
export interface SoakFigures {
  readonly introspections: {
    /** Introspections ÷ (token, window) groups with at least one. */
    readonly perTokenWindow: number;
    /** The most in one group. */
    readonly maxPerTokenWindow: number;
    readonly groups: number;
    readonly tokens: number;
    readonly windowSeconds: number;
    /** The authorizer's instances: the most at once during the run. */
    readonly instances: number;
  };
  readonly revocation: Partial<Record<ApiType, RevocationFigure>>;
  /** The RFC 7009 answer → the receiver's mark in the table (push revocation only). */
  readonly setDelivery: Stats | undefined;
  readonly tableRead: (Stats & { readonly p99Ms: number; readonly unavailable: number }) | undefined;
  /** The table's calls over the run and the capacity units they would be billed (SoakRun.tableUsage). */
  readonly tableUsage: SoakRun['tableUsage'];
}

export interface Stats {
  readonly count: number;
  readonly medianMs: number;
  readonly maxMs: number;
}

export interface RevocationFigure {
  /** RFC 7009 answer → first deny (the denied request's sending), over the revocations denied. */
  readonly toFirstDeny: Stats | undefined;
  /** Revocations after whose answer the API was asked for the token but never denied it. */
  readonly neverDenied: number;
  /** The documented bound, seconds (from the mark with push, from the revocation without). */
  readonly boundSeconds: number;
  /** The latest allow of a revoked token after its mark (push) or its revocation's answer, ms past it. */
  readonly latestAllowMs: number | undefined;
}

export function soakFigures(run: SoakRun): SoakFigures {
  return {
    introspections: introspectionsPerTokenWindow(run),
    revocation: Object.fromEntries(run.apis.map((api) => [api, revocationFigure(run, api)])),
    setDelivery: setDelivery(run),
    tableRead: tableRead(run),
    tableUsage: run.tableUsage,
  };
}

function introspectionsPerTokenWindow(run: SoakRun): SoakFigures['introspections'] {
  const clean = run.schedule.phases.filter((p) => p.fault === undefined && p.name !== 'warm-up');
  const inClean = (t: number) => clean.some((p) => t >= p.startMs && t < p.endMs);
  const valid = new Set(run.tokens.filter((t) => t.kind === 'valid').map((t) => t.hash));
  const windowMs = Math.max(1, run.settings.cacheMaxTtlSeconds) * 1000;
  const groups = new Map<string, number>();
  for (const record of run.introspections) {
    if (record.result !== 'active' || !valid.has(record.tokenHash) || !inClean(record.receivedMs)) continue;
    const key = `${record.tokenHash} ${Math.floor((record.receivedMs - run.startMs) / windowMs)}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  const counts = [...groups.values()];
  const total = counts.reduce((sum, n) => sum + n, 0);
  return {
    perTokenWindow: counts.length === 0 ? 0 : total / counts.length,
    maxPerTokenWindow: Math.max(0, ...counts),
    groups: counts.length,
    tokens: new Set([...groups.keys()].map((key) => key.split(' ')[0])).size,
    windowSeconds: windowMs / 1000,
    instances: run.scaling.authorizerPeakInstances,
  };
}

function revocationFigure(run: SoakRun, api: ApiType): RevocationFigure {
  const markOf = new Map(run.marks.map((mark) => [mark.tokenHash, mark.markedMs]));
  const delays: number[] = [];
  let neverDenied = 0;
  let latestAllowMs: number | undefined;
  for (const token of run.tokens) {
    const revoked = token.revokeEndMs;
    if (revoked === undefined || !Number.isFinite(revoked)) continue;
    const asked = run.requests
      .filter((r) => r.label === token.label && apiOf(r) === api && r.sentMs >= revoked && r.status !== undefined)
      .sort((a, b) => a.sentMs - b.sentMs);
    if (asked.length === 0) continue;
    const deny = asked.find((r) => isDeny(r));
    if (deny === undefined) neverDenied += 1;
    else delays.push(deny.sentMs - revoked);
    const from = run.settings.sharedCache ? (token.hash === undefined ? undefined : markOf.get(token.hash)) : revoked;
    if (from === undefined) continue;
    for (const request of asked) {
      if (request.status === 200 && request.sentMs > from) latestAllowMs = Math.max(latestAllowMs ?? 0, request.sentMs - from);
    }
  }
  return { toFirstDeny: stats(delays), neverDenied, boundSeconds: documentedBounds(run.settings)[api], latestAllowMs };
}

function setDelivery(run: SoakRun): Stats | undefined {
  if (!run.settings.sharedCache) return undefined;
  const markOf = new Map(run.marks.map((mark) => [mark.tokenHash, mark.markedMs]));
  const delays = run.tokens.flatMap((token) => {
    const mark = token.hash === undefined ? undefined : markOf.get(token.hash);
    return mark === undefined || token.revokeEndMs === undefined || !Number.isFinite(token.revokeEndMs) ? [] : [mark - token.revokeEndMs];
  });
  return stats(delays);
}

function tableRead(run: SoakRun): SoakFigures['tableRead'] {
  const reads = run.decisions.filter((d) => d.sharedCacheMs !== undefined && d.sharedCache !== 'joined');
  const times = reads.map((d) => d.sharedCacheMs as number);
  const summary = stats(times);
  if (summary === undefined) return undefined;
  return { ...summary, p99Ms: quantile(times, 0.99), unavailable: reads.filter((d) => d.sharedCache === 'unavailable').length };
}

function stats(values: readonly number[]): Stats | undefined {
  if (values.length === 0) return undefined;
  return { count: values.length, medianMs: quantile(values, 0.5), maxMs: Math.max(...values) };
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** The figures as the lines `npm run soak` prints. */
export function figureLines(figures: SoakFigures, run: SoakRun): string[] {
  const ms = (value: number) => (value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`);
  const i = figures.introspections;
  const lines = [
    `introspections per distinct valid token per ${i.windowSeconds} s window (at the identity server, fault-free phases): ` +
      `${i.perTokenWindow.toFixed(2)} (max ${i.maxPerTokenWindow}; ${i.groups} token-windows, ${i.tokens} tokens; ${i.instances} authorizer instances at most; shared cache ${run.settings.sharedCache ? 'on' : 'off'})`,
  ];
  for (const [api, figure] of Object.entries(figures.revocation) as [ApiType, RevocationFigure][]) {
    const name = api === 'rest' ? 'REST API' : 'HTTP API';
    const first = figure.toFirstDeny;
    lines.push(
      `revocation → first deny, ${name}: ${first === undefined ? 'none observed' : `median ${ms(first.medianMs)}, max ${ms(first.maxMs)} over ${first.count} revocations`}` +
        `${figure.neverDenied > 0 ? ` (${figure.neverDenied} never denied while asked)` : ''}; latest allow ${run.settings.sharedCache ? 'after the mark' : 'after the revocation'} ` +
        `${figure.latestAllowMs === undefined ? 'none' : `+${ms(figure.latestAllowMs)}`}, documented bound ${figure.boundSeconds} s`,
    );
  }
  if (figures.setDelivery !== undefined) {
    const d = figures.setDelivery;
    lines.push(`SET delivery (revocation answer → mark in the table): median ${ms(d.medianMs)}, max ${ms(d.maxMs)} over ${d.count}`);
  }
  if (figures.tableRead !== undefined) {
    const t = figures.tableRead;
    lines.push(
      `table read on a memory miss (sharedCacheMs): median ${ms(t.medianMs)}, p99 ${ms(t.p99Ms)}, max ${ms(t.maxMs)} over ${t.count} reads (${t.unavailable} unavailable: late or failed, an introspection instead)`,
    );
  }
  if (figures.tableUsage !== undefined) {
    const u = figures.tableUsage;
    lines.push(
      `table calls: ${u.gets} GetItem (${u.readUnits} read units), ${u.puts} PutItem (${u.writeUnits} write units), receiver's included`,
    );
  }
  return lines;
}
