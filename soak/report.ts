import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { figureLines, soakFigures } from './figures.js';
import type { SoakRun } from './soak.js';
import { ms, phaseLatencies, summaryLine } from './summary.js';

/** One plot: a Vega-Lite spec rendered to SVG by Vega, headless. */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const vega = await import('vega');
  const vegaLite = await import('vega-lite');
  const compiled = vegaLite.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

const WIDTH = 900;

/** The fault windows as shaded bands behind a time axis in seconds from the start. */
function faultLayer(run: SoakRun): Record<string, unknown> {
  return {
    data: {
      values: run.faults.map((f) => ({ from: (f.startMs - run.startMs) / 1000, to: (f.endMs - run.startMs) / 1000, fault: f.kind })),
    },
    mark: { type: 'rect', opacity: 0.18 },
    encoding: {
      x: { field: 'from', type: 'quantitative' },
      x2: { field: 'to' },
      color: { field: 'fault', type: 'nominal', scale: { scheme: 'category10' }, legend: { title: 'identity-server fault' } },
    },
  };
}

function eventLayer(run: SoakRun): Record<string, unknown> {
  const events = [
    ...run.schedule.bursts.map((t) => ({ t: (t - run.startMs) / 1000, event: 'burst' })),
    ...(run.rotationMs === undefined ? [] : [{ t: (run.rotationMs - run.startMs) / 1000, event: 'secret rotation' }]),
  ];
  return {
    data: { values: events },
    mark: { type: 'rule', strokeDash: [4, 3], color: '#555' },
    encoding: { x: { field: 't', type: 'quantitative' }, tooltip: { field: 'event' } },
  };
}

function latencySpec(run: SoakRun): Record<string, unknown> {
  const points = run.requests.flatMap((r) =>
    r.latencyMs === undefined
      ? []
      : [{ t: (r.sentMs - run.startMs) / 1000, latency: Math.max(0.1, r.latencyMs), answer: answerName(r.status), burst: r.burst }],
  );
  return {
    title: 'Latency of every request (client side) over time; shaded: identity-server faults; dashed: bursts and the secret rotation',
    width: WIDTH,
    height: 320,
    layer: [
      faultLayer(run),
      eventLayer(run),
      {
        data: { values: points },
        mark: { type: 'point', size: 9, filled: true, opacity: 0.55 },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'seconds from start' },
          y: { field: 'latency', type: 'quantitative', scale: { type: 'log' }, title: 'latency (ms, log)' },
          shape: { field: 'answer', type: 'nominal', legend: { title: 'answer' } },
        },
      },
    ],
    resolve: { scale: { color: 'independent' } },
  };
}

function answerName(status: number | undefined): string {
  switch (status) {
    case 200:
      return '200 allowed';
    case 401:
      return '401 no token';
    case 403:
      return '403 denied';
    case 500:
      return '500 could not decide';
    default:
      return String(status ?? 'lost');
  }
}

function cacheSpec(run: SoakRun): Record<string, unknown> {
  const seconds = Math.ceil((run.endMs - run.startMs) / 1000);
  const bin = (atMs: number) => Math.floor((atMs - run.startMs) / 1000);
  const asked = new Array<number>(seconds + 1).fill(0);
  const invoked = new Array<number>(seconds + 1).fill(0);
  const hits = new Array<number>(seconds + 1).fill(0);
  const lookups = new Array<number>(seconds + 1).fill(0);
  const inRange = (i: number) => i >= 0 && i <= seconds;
  for (const r of run.requests) {
    const i = bin(r.sentMs);
    if (r.label !== 'missing' && inRange(i)) asked[i] = (asked[i] ?? 0) + 1;
  }
  for (const invocation of run.invocations) {
    const i = bin(invocation.startMs);
    if (inRange(i)) invoked[i] = (invoked[i] ?? 0) + 1;
  }
  for (const d of run.decisions) {
    const i = bin(d.atMs);
    if (d.cache === undefined || !inRange(i)) continue;
    lookups[i] = (lookups[i] ?? 0) + 1;
    if (d.cache !== 'miss') hits[i] = (hits[i] ?? 0) + 1;
  }
  const values = [];
  for (let i = 0; i <= seconds; i++) {
    const a = asked[i] ?? 0;
    const l = lookups[i] ?? 0;
    if (a > 0) values.push({ t: i + 0.5, ratio: Math.max(0, 1 - (invoked[i] ?? 0) / a), cache: 'API Gateway results cache' });
    if (l > 0) values.push({ t: i + 0.5, ratio: (hits[i] ?? 0) / l, cache: "authorizer's in-function cache (of its lookups)" });
  }
  return {
    title: 'Cache hit ratio per second',
    width: WIDTH,
    height: 220,
    layer: [
      faultLayer(run),
      {
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'seconds from start' },
          y: { field: 'ratio', type: 'quantitative', scale: { domain: [0, 1] }, title: 'hit ratio' },
          strokeDash: { field: 'cache', type: 'nominal', legend: { title: 'cache' } },
        },
      },
    ],
  };
}

function rssSpec(run: SoakRun): Record<string, unknown> {
  // Instances start on demand (there may be hundreds): per sample, their total, the largest and the count.
  const byTime = new Map<number, number[]>();
  for (const sample of run.rss) byTime.set(sample.atMs, [...(byTime.get(sample.atMs) ?? []), sample.rssBytes / 2 ** 20]);
  const values = [...byTime].flatMap(([atMs, mib]) => {
    const t = (atMs - run.startMs) / 1000;
    return [
      { t, mib: mib.reduce((a, b) => a + b, 0) / mib.length, series: 'mean per process' },
      { t, mib: Math.max(...mib), series: 'largest process' },
    ];
  });
  return {
    title: 'Authorizer process RSS (mean and largest over the instances alive at each sample)',
    width: WIDTH,
    height: 220,
    layer: [
      faultLayer(run),
      {
        data: { values },
        mark: { type: 'line' },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'seconds from start' },
          y: { field: 'mib', type: 'quantitative', title: 'RSS (MiB)', scale: { zero: false } },
          strokeDash: { field: 'series', type: 'nominal', legend: { title: 'series' } },
        },
      },
    ],
  };
}

function introspectionSpec(run: SoakRun): Record<string, unknown> {
  const counts = new Map<string, number>();
  for (const record of run.introspections) {
    const key = `${Math.floor((record.receivedMs - run.startMs) / 1000)}|${record.result}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const values = [...counts].map(([key, count]) => {
    const [t, result] = key.split('|');
    return { t: Number(t) + 0.5, result, count };
  });
  return {
    title: 'Introspection requests reaching the identity server per second, by answer',
    width: WIDTH,
    height: 200,
    resolve: { scale: { color: 'independent' } },
    layer: [
      faultLayer(run),
      {
        data: { values },
        mark: { type: 'bar', width: 6 },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'seconds from start' },
          y: { field: 'count', type: 'quantitative', aggregate: 'sum', stack: true, title: 'requests / s' },
          color: { field: 'result', type: 'nominal', scale: { scheme: 'set2' }, legend: { title: 'answer' } },
        },
      },
    ],
  };
}

/**
 * What the fleet model takes from a run, measured in the fault-free phases (bursts included): all
 * traffic, and the long-lived valid tokens alone (the model's population: tokens that outlive the caches).
 */
export function calibration(run: SoakRun): Record<string, number> {
  const clean = run.schedule.phases.filter((p) => p.fault === undefined && p.name !== 'warm-up');
  const inClean = (t: number) => clean.some((p) => t >= p.startMs && t < p.endMs);
  const cleanSeconds = clean.reduce((sum, p) => sum + (p.endMs - p.startMs) / 1000, 0);
  const kindOf = new Map(run.tokens.map((t) => [t.label, t.kind]));
  const validHashes = new Set(run.tokens.filter((t) => t.kind === 'valid').map((t) => t.hash));
  const requestById = new Map(run.requests.map((r) => [r.id, r]));
  const requests = run.requests.filter((r) => r.label !== 'missing' && inClean(r.sentMs));
  const invocations = run.invocations.filter((i) => inClean(i.startMs));
  const introspected = run.introspections.filter((i) => inClean(i.receivedMs));
  const decisions = run.decisions.filter((d) => inClean(d.atMs) && d.cache !== undefined);
  const latencies = introspected
    .flatMap((i) => (i.answeredMs === undefined || i.result !== 'active' ? [] : [i.answeredMs - i.receivedMs]))
    .sort((a, b) => a - b);
  const valid = (label: string | undefined) => label !== undefined && kindOf.get(label) === 'valid';
  return {
    cleanSeconds,
    requestsPerSecond: requests.length / cleanSeconds,
    invocationsPerSecond: invocations.length / cleanSeconds,
    introspectionsPerSecond: introspected.length / cleanSeconds,
    gatewayHitRatio: 1 - invocations.length / Math.max(1, requests.length),
    functionHitRatio: decisions.filter((d) => d.cache !== 'miss').length / Math.max(1, decisions.length),
    distinctTokens: new Set(requests.map((r) => r.label)).size,
    validTokens: validHashes.size,
    validRequestsPerSecond: requests.filter((r) => valid(r.label)).length / cleanSeconds,
    validInvocationsPerSecond: invocations.filter((i) => valid(requestById.get(i.requestId)?.label)).length / cleanSeconds,
    validIntrospectionsPerSecond: introspected.filter((i) => validHashes.has(i.tokenHash)).length / cleanSeconds,
    introspectionP50Ms: latencies[Math.floor(latencies.length / 2)] ?? 0,
  };
}

/** Writes soak-report.html (the plots inline as SVG) and soak-summary.json; returns the HTML's path. */
export async function writeReport(run: SoakRun, outDir: string): Promise<string> {
  const svgs = [];
  for (const spec of [latencySpec(run), cacheSpec(run), rssSpec(run), introspectionSpec(run)]) svgs.push(await renderSvg(spec));
  const v = run.verdict;
  const settingsRows = Object.entries(run.settings)
    .map(([key, value]) => `<tr><td>${escapeHtml(key)}</td><td>${escapeHtml(String(value))}</td></tr>`)
    .join('');
  const phaseRows = phaseLatencies(run)
    .map(
      (p) =>
        `<tr><td>${escapeHtml(p.name)}</td><td>${p.requests}</td><td>${p.allows}</td><td>${p.errors}</td><td>${ms(p.p50Ms)}</td><td>${ms(p.p99Ms)}</td></tr>`,
    )
    .join('');
  const faultRows = run.faults
    .map(
      (f) =>
        `<tr><td>${f.kind}</td><td>${((f.startMs - run.startMs) / 1000).toFixed(2)}</td><td>${((f.endMs - run.startMs) / 1000).toFixed(2)}</td></tr>`,
    )
    .join('');
  const verdictRows = v.verdicts
    .slice(0, 200)
    .map(
      (x) =>
        `<tr><td>${x.kind}</td><td>${x.requestId}</td><td>${((x.sentMs - run.startMs) / 1000).toFixed(2)}</td><td>${x.route}</td><td>${escapeHtml(x.label)}</td><td>${x.status ?? 'no answer'}</td></tr>`,
    )
    .join('');
  const cal = calibration(run);
  const figures = soakFigures(run);
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Soak report</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1000px}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}td:first-child,th:first-child{text-align:left}code{background:#f4f4f4;padding:1px 4px}</style>
</head><body>
<h1>Soak report</h1>
<p><code>${escapeHtml(summaryLine(run))}</code></p>
<p>Started ${new Date(run.startMs).toISOString()}. The oracle's rules are in <code>soak/oracle.ts</code>; a failure window is any fault but "slow".
The authorizer made ${v.wrongInvocationAllows} allows that no rule permits (before API Gateway's cache). ${run.warnings} warning lines.</p>
<h2>Phases</h2>
<table><tr><th>phase</th><th>requests</th><th>allowed</th><th>500</th><th>p50</th><th>p99</th></tr>${phaseRows}</table>
<h2>Plots</h2>
${svgs.map((svg) => `<div>${svg}</div>`).join('\n')}
<h2>Fault windows (seconds from start, as applied)</h2>
<table><tr><th>fault</th><th>from</th><th>to</th></tr>${faultRows}</table>
<h2>Settings</h2>
<table>${settingsRows}</table>
<h2>Calibration for the fleet model (fault-free phases)</h2>
<table>${Object.entries(cal)
    .map(([k, value]) => `<tr><td>${k}</td><td>${value.toFixed(3)}</td></tr>`)
    .join('')}</table>
<h2>Shared cache and revocation figures</h2>
<ul>${figureLines(figures, run)
    .map((line) => `<li>${escapeHtml(line)}</li>`)
    .join('')}</ul>
<h2>Answers the oracle did not accept</h2>
<table><tr><th>verdict</th><th>request</th><th>sent (s)</th><th>route</th><th>token</th><th>status</th></tr>${verdictRows}</table>
</body></html>
`;
  const path = join(outDir, 'soak-report.html');
  writeFileSync(path, html);
  const { verdicts: _verdicts, ...counts } = v;
  writeFileSync(
    join(outDir, 'soak-summary.json'),
    `${JSON.stringify(
      {
        summary: summaryLine(run),
        settings: run.settings,
        node: process.version,
        counts,
        phases: phaseLatencies(run),
        calibration: cal,
        figures,
      },
      null,
      2,
    )}\n`,
  );
  return path;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
