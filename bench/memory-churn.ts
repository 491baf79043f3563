import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createAuthorizer } from '../lambda/authorizer.js';
import { startLocalSecretsManager } from '../local/secrets-manager.js';
import { renderSvg } from '../soak/report.js';
import { httpApiEvent } from '../test/support/fixtures.js';
import { startJwtServer } from './jwt-server-process.js';

/**
 * Memory under token churn: N distinct tokens (default 1,000,000) through one authorizer, each a
 * cache miss introspected at bench/jwt-server.ts (its own process, a fixed JWT of realistic
 * length), with CACHE_MAX_ENTRIES as given (default 100,000, so the fill and the plateau both
 * show). Every `--every` tokens it records the heap after a full GC, the RSS, and the time per
 * decision of the last batch; the curve goes to reports/bench/memory-churn.{json,svg}.
 *
 *   node --expose-gc --import tsx bench/memory-churn.ts [--tokens N] [--max-entries M] [--every K] [--concurrency C]
 *
 * Concurrency (default 8) only shortens the run: a Lambda instance takes one event at a time, but
 * the cache and its memory are the same whatever order the misses arrive in.
 */
const exposedGc = (globalThis as { gc?: () => void }).gc;
if (exposedGc === undefined) throw new Error('run with node --expose-gc');
const gc: () => void = exposedGc;

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  if (index === -1) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer; received ${process.argv[index + 1]}`);
  return value;
}

interface Point {
  readonly tokens: number;
  readonly heapMiB: number;
  readonly rssMiB: number;
  /** Wall time of the last batch divided by its decisions, µs. */
  readonly usPerDecision: number;
  /** Median latency of one decision in the last batch, µs. */
  readonly medianUs: number;
  /** This process's CPU time (user + system, GC included) in the last batch divided by its decisions, µs: what other load on the machine does not change. */
  readonly cpuUsPerDecision: number;
}

async function main(): Promise<void> {
  const total = option('--tokens', 1_000_000);
  const maxEntries = option('--max-entries', 100_000);
  const every = option('--every', 10_000);
  const concurrency = option('--concurrency', 8);

  // The decision lines (one per token) are counted, not printed.
  let decisionLines = 0;
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof chunk === 'string' && chunk.startsWith('{"outcome"')) {
      decisionLines += 1;
      return true;
    }
    return write(chunk, ...(rest as []));
  }) as typeof process.stdout.write;

  const { child, url } = await startJwtServer();
  const secrets = await startLocalSecretsManager();
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'bench';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';
  const secretArn = secrets.put('bench/client', JSON.stringify({ client_id: 'bench-client', client_secret: 'bench-secret' }));
  const handler = createAuthorizer({
    INTROSPECTION_ENDPOINT: url.href,
    CLIENT_CREDENTIALS_SECRET: secretArn,
    ROUTE_SCOPES: JSON.stringify({ 'GET /echo': ['read'] }),
    CACHE_MAX_ENTRIES: String(maxEntries),
  });
  const base = httpApiEvent('Bearer x') as { headers: Record<string, string> };
  const eventFor = (i: number) => {
    const authorization = `Bearer churn-${i.toString(36).padStart(8, '0')}-${'t'.repeat(24)}`;
    return { ...base, identitySource: [authorization], headers: { ...base.headers, authorization } };
  };

  console.log(
    `memory churn: ${total.toLocaleString('en-US')} distinct tokens, CACHE_MAX_ENTRIES ${maxEntries.toLocaleString('en-US')}, ${concurrency} at a time, Node.js ${process.version}`,
  );
  const points: Point[] = [];
  const sample = (tokens: number, usPerDecision: number, medianUs: number, cpuUsPerDecision: number) => {
    gc();
    gc();
    const memory = process.memoryUsage();
    points.push({ tokens, heapMiB: memory.heapUsed / 2 ** 20, rssMiB: memory.rss / 2 ** 20, usPerDecision, medianUs, cpuUsPerDecision });
  };
  // Warm: the secret read, the connections, the code paths; then the baseline.
  for (let i = 0; i < 100; i++) await handler(eventFor(total + i));
  sample(0, 0, 0, 0);

  let next = 0;
  let denied = 0;
  while (next < total) {
    const batchEnd = Math.min(total, next + every);
    const latencies: number[] = [];
    const started = performance.now();
    const cpu = process.cpuUsage();
    const worker = async () => {
      while (next < batchEnd) {
        const event = eventFor(next++);
        const t0 = performance.now();
        const answer = (await handler(event)) as { isAuthorized?: boolean };
        latencies.push((performance.now() - t0) * 1000);
        if (answer.isAuthorized !== true) denied += 1;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const elapsedUs = (performance.now() - started) * 1000;
    const used = process.cpuUsage(cpu);
    latencies.sort((a, b) => a - b);
    sample(
      batchEnd,
      elapsedUs / latencies.length,
      latencies[Math.floor(latencies.length / 2)] ?? 0,
      (used.user + used.system) / latencies.length,
    );
    const last = points.at(-1) as Point;
    if (batchEnd % (every * 10) === 0 || batchEnd === total) {
      console.log(
        `  ${batchEnd.toLocaleString('en-US').padStart(9)} tokens: heap ${last.heapMiB.toFixed(1)} MiB, RSS ${last.rssMiB.toFixed(1)} MiB, ${last.usPerDecision.toFixed(0)} µs/decision wall, ${last.cpuUsPerDecision.toFixed(0)} µs CPU (median latency ${last.medianUs.toFixed(0)} µs)`,
      );
    }
  }
  if (denied > 0) throw new Error(`${denied} of the churned tokens were not allowed: the null responder or the bench is broken`);

  const plateau = points.filter((p) => p.tokens >= Math.min(total, 2 * maxEntries));
  const range = (values: number[]) => `${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)}`;
  const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? 0;
  const measured = points.slice(1);
  const fifths = [0, 1, 2, 3, 4].map((q) =>
    measured.slice(Math.floor((q * measured.length) / 5), Math.floor(((q + 1) * measured.length) / 5)),
  );
  console.log(
    `  plateau (from ${Math.min(total, 2 * maxEntries).toLocaleString('en-US')} tokens on): heap ${range(plateau.map((p) => p.heapMiB))} MiB, RSS ${range(plateau.map((p) => p.rssMiB))} MiB (before the first token: heap ${points[0]?.heapMiB.toFixed(1)} MiB, RSS ${points[0]?.rssMiB.toFixed(1)} MiB)\n` +
      `  per decision, median of each fifth of the run: CPU ${fifths.map((f) => median(f.map((p) => p.cpuUsPerDecision)).toFixed(0)).join(' / ')} µs; wall ${fifths.map((f) => median(f.map((p) => p.usPerDecision)).toFixed(0)).join(' / ')} µs; ${decisionLines.toLocaleString('en-US')} decision lines`,
  );

  const outDir = resolve(__dirname, '..', 'reports', 'bench');
  mkdirSync(outDir, { recursive: true });
  const name = `memory-churn-${maxEntries}`;
  writeFileSync(
    join(outDir, `${name}.json`),
    `${JSON.stringify({ total, maxEntries, concurrency, node: process.version, points }, null, 2)}\n`,
  );
  const values = points.flatMap((p) => [
    { tokens: p.tokens, value: p.heapMiB, series: 'heap used after GC (MiB)', panel: 'memory' },
    { tokens: p.tokens, value: p.rssMiB, series: 'RSS (MiB)', panel: 'memory' },
    ...(p.tokens === 0
      ? []
      : [
          { tokens: p.tokens, value: p.usPerDecision, series: 'wall time per decision (µs, 8 at a time)', panel: 'time' },
          { tokens: p.tokens, value: p.cpuUsPerDecision, series: 'CPU time per decision (µs, GC included)', panel: 'time' },
        ]),
  ]);
  const svg = await renderSvg({
    title: `${total.toLocaleString('en-US')} distinct tokens through one authorizer, CACHE_MAX_ENTRIES ${maxEntries.toLocaleString('en-US')} (Node.js ${process.version})`,
    data: { values },
    vconcat: ['memory', 'time'].map((panel) => ({
      width: 760,
      height: 200,
      transform: [{ filter: `datum.panel === '${panel}'` }],
      mark: { type: 'line', point: false },
      encoding: {
        x: { field: 'tokens', type: 'quantitative', title: 'distinct tokens so far' },
        y: { field: 'value', type: 'quantitative', title: panel === 'memory' ? 'MiB' : 'µs per decision', scale: { zero: true } },
        color: { field: 'series', type: 'nominal', legend: { title: null } },
      },
    })),
    resolve: { scale: { color: 'independent' } },
  });
  writeFileSync(join(outDir, `${name}.svg`), svg);
  console.log(`  curve: ${join(outDir, `${name}.svg`)}`);
  child.kill();
  await secrets.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
