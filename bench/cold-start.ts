import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startLocalSecretsManager } from '../local/secrets-manager.js';
import { node24Path } from '../scripts/node24.js';
import { bundle } from './bundle.js';
import { startJwtServer } from './jwt-server-process.js';
import { formatSummary, summarize } from './stats.js';

/**
 * Benchmark 3: the cold start, in fresh processes of each Node.js given (default: Lambda's Node 24
 * and the Node running this), with a local Secrets Manager endpoint and a local introspection
 * endpoint.
 *
 * - Time to first decision: from process start (`performance.now()` counts from it) to the first
 *   answer of the handler, for the bundle as deployed: its require (environment validation, the
 *   client-credentials read started) and its first invocation (a cache miss: the secret read
 *   finished, one introspection). Against a baseline handler that makes the same two HTTP calls
 *   with `node:http` alone (bench/baseline-handler.ts, bundled the same way), in the same runs,
 *   alternating which goes first: the difference is what the authorizer's code costs a caller
 *   who meets a new instance. Lambda's own start (runtime, sandbox) is the same for both and is
 *   not in either figure. The CPU time each process spent up to its answer (user + system, all its
 *   threads) is given too: on a busy machine it varies much less than the wall time.
 * - Module load: the require alone, against an empty handler; and with `--enable-source-maps`
 *   (the map beside the bundle), which is what shipping the map in the Lambda asset would cost.
 *
 * BENCH_COLD_RUNS: processes per series (default 30). BENCH_COLD_NODES: comma-separated Node
 * binaries, `24` for Lambda's (scripts/node24.ts) and `current` for this one (default `24,current`).
 */
async function main(): Promise<void> {
  const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 30);
  const nodes = (process.env.BENCH_COLD_NODES ?? '24,current')
    .split(',')
    .map((name) => (name === '24' ? node24Path() : name === 'current' ? process.execPath : name));

  const authorizer = await bundle(resolve(__dirname, '../lambda/handler.ts'), 'index');
  const baseline = await bundle(resolve(__dirname, 'baseline-handler.ts'), 'baseline');
  const emptyFile = join(dirname(authorizer.file), 'empty.js');
  writeFileSync(emptyFile, 'exports.handler = async () => ({ isAuthorized: true });\n');

  const jwtServer = await startJwtServer();
  const secrets = await startLocalSecretsManager();
  secrets.put('bench', JSON.stringify({ client_id: 'bench-authorizer', client_secret: 'bench-secret' }));
  const event = {
    version: '2.0',
    type: 'REQUEST',
    routeKey: 'GET /echo',
    rawPath: '/echo',
    headers: { authorization: 'Bearer cold-start-token' },
    requestContext: { http: { method: 'GET', path: '/echo' } },
  };
  const env = {
    HOME: process.env.HOME,
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SESSION_TOKEN: 'bench',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    INTROSPECTION_ENDPOINT: jwtServer.url.href,
    CLIENT_CREDENTIALS_SECRET: 'bench',
    ROUTE_SCOPES: JSON.stringify({ 'GET /echo': ['read'], 'POST /echo': ['write'] }),
  };

  /** [module load, process start to first answer, CPU time to first answer] in ms, in a fresh process of `node`. */
  async function coldStartMs(node: string, file: string, nodeOptions: string[] = []): Promise<[number, number, number]> {
    const script = `const t = performance.now(); const m = require(${JSON.stringify(file)}); const loaded = performance.now() - t;
    m.handler(${JSON.stringify(event)}).then((r) => { const answered = performance.now(); const cpu = process.cpuUsage();
      process.stderr.write(r && r.isAuthorized === true ? loaded + ' ' + answered + ' ' + (cpu.user + cpu.system) / 1000 : 'not allowed: ' + JSON.stringify(r), () => process.exit(0)); },
      (e) => process.stderr.write('failed: ' + e, () => process.exit(1)));`;
    // Asynchronous: the local Secrets Manager answering the child runs in this process.
    const { stderr } = await promisify(execFile)(node, [...nodeOptions, '--no-warnings', '-e', script], { env });
    const [load, answered, cpu] = stderr.split(' ').map(Number);
    if (!Number.isFinite(load) || !Number.isFinite(answered) || !Number.isFinite(cpu)) throw new Error(`${file} on ${node}: ${stderr}`);
    return [load as number, answered as number, cpu as number];
  }

  console.log(
    `3. bundle as deployed:        ${authorizer.bytes} bytes (${(authorizer.bytes / 1024).toFixed(0)} KiB, minified; its source map is not deployed)`,
  );
  for (const node of nodes) {
    const version = (await promisify(execFile)(node, ['--version'])).stdout.trim();
    const series = {
      first: [] as number[],
      baseFirst: [] as number[],
      cpu: [] as number[],
      baseCpu: [] as number[],
      load: [] as number[],
      empty: [] as number[],
      maps: [] as number[],
    };
    for (let i = 0; i < RUNS; i++) {
      // Alternate which goes first, so that drift and any after-effect hit both alike.
      const pair = [
        async () => {
          const [load, first, cpu] = await coldStartMs(node, authorizer.file);
          series.load.push(load);
          series.first.push(first);
          series.cpu.push(cpu);
        },
        async () => {
          const [, first, cpu] = await coldStartMs(node, baseline.file);
          series.baseFirst.push(first);
          series.baseCpu.push(cpu);
        },
      ];
      for (const run of i % 2 === 0 ? pair : pair.reverse()) await run();
      series.empty.push((await coldStartMs(node, emptyFile))[0]);
      series.maps.push((await coldStartMs(node, authorizer.file, ['--enable-source-maps']))[0]);
    }
    const minus = (a: number[], b: number[]) => a.map((ms, i) => ms - (b[i] as number));
    console.log(`   Node.js ${version}, ${RUNS} fresh processes each:`);
    console.log(`   first decision, authorizer: ${formatSummary(summarize(series.first), 'ms')} (process start to first answer)`);
    console.log(`   first decision, baseline:   ${formatSummary(summarize(series.baseFirst), 'ms')} (node:http, same two calls)`);
    console.log(`   first decision over base:   ${formatSummary(summarize(minus(series.first, series.baseFirst)), 'ms')}`);
    console.log(
      `   CPU to it, over base:       ${formatSummary(summarize(minus(series.cpu, series.baseCpu)), 'ms')} (user + system, all threads: less sensitive to a busy machine; baseline median ${summarize(series.baseCpu).median.toFixed(1)} ms)`,
    );
    console.log(
      `   module load over empty:     ${formatSummary(summarize(minus(series.load, series.empty)), 'ms')} (empty: median ${summarize(series.empty).median.toFixed(2)} ms)`,
    );
    console.log(
      `   source maps over none:      ${formatSummary(summarize(minus(series.maps, series.load)), 'ms')} (--enable-source-maps, module load)`,
    );
  }
  jwtServer.child.kill();
  await secrets.close();
}

// An async main, not top-level await: the project is CommonJS (the jsii-compiled library is).
main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
