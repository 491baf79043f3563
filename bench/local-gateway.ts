import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { closeServer, listen } from '../local/http-server.js';
import { LambdaRunner } from '../local/lambda-runner.js';
import { startLocalStack } from '../local/local-stack.js';
import { readFunctions, readResources } from '../local/template.js';
import { summarize } from './stats.js';

/**
 * The local flow's figures: time from `npm start` to ready (cold, with synth, and warm), and
 * requests per second through the local gateway with the authorizer cache warm, against the same
 * gateway's unauthenticated route and a direct call to the echo function. Bounded: 5 s per load run.
 */
async function main(): Promise<void> {
  const root = resolve(__dirname, '..');
  const RUNS = Number(process.env.BENCH_START_RUNS ?? 3);
  const DURATION = Number(process.env.BENCH_LOAD_SECONDS ?? 5);

  /** Two ports free right now, so that warm runs find the assembly made for the same endpoints. */
  async function freePorts(): Promise<[number, number]> {
    const ports: number[] = [];
    for (let i = 0; i < 2; i++) {
      const server = http.createServer();
      await listen(server, 0);
      ports.push((server.address() as AddressInfo).port);
      await closeServer(server);
    }
    return ports as [number, number];
  }
  const [port, oauthPort] = await freePorts();

  async function timeToReady(outdir: string, fresh: boolean): Promise<number> {
    if (fresh) rmSync(outdir, { recursive: true, force: true });
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'local/start.ts')], {
      cwd: root,
      env: { ...process.env, PORT: String(port), OAUTH_PORT: String(oauthPort), LOCAL_OUTDIR: outdir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    return new Promise((resolve, reject) => {
      let output = '';
      const early = (code: number | null) => reject(new Error(`npm start exited early (${code}): ${output}`));
      child.once('exit', early);
      child.stdout.on('data', (data: Buffer) => {
        output += data.toString();
        if (output.includes('Ctrl-C stops everything')) {
          const ms = performance.now() - started;
          child.off('exit', early);
          child.once('exit', () => resolve(ms));
          child.kill('SIGINT');
        }
      });
    });
  }

  function load(url: string, headers: Record<string, string> = {}): Promise<autocannon.Result> {
    return autocannon({ url, connections: 10, duration: DURATION, headers });
  }

  const outdir = mkdtempSync(join(tmpdir(), 'phantom-start-'));
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    cold.push(await timeToReady(outdir, true));
    warm.push(await timeToReady(outdir, false));
  }
  const fmt = (samples: number[]) => {
    const s = summarize(samples);
    return `median ${(s.median / 1000).toFixed(2)} s (min ${(s.min / 1000).toFixed(2)}, max ${(s.max / 1000).toFixed(2)}; n=${s.n})`;
  };
  console.log(`5. npm start to ready, cold (synth + bundle): ${fmt(cold)}`);
  console.log(`   npm start to ready, warm (assembly reused): ${fmt(warm)}`);

  const stack = await startLocalStack({ port, oauthPort, restPort: 0, outdir });
  try {
    const token = await stack.oauth.token('demo-client', 'demo-secret', 'read');
    const auth = { authorization: `Bearer ${token}` };
    await fetch(`${stack.url}/echo`, { headers: auth });
    const invocationsBefore = stack.gateway.authorizerInvocations;
    const protectedRun = await load(`${stack.url}/echo`, auth);
    const authorizerCalls = stack.gateway.authorizerInvocations - invocationsBefore;
    const publicRun = await load(`${stack.url}/public`);

    // The echo function served directly: an HTTP server that invokes its bundle, no gateway.
    const functions = readFunctions(readResources(outdir, 'PhantomTokenLocal'), outdir);
    const echoFn = [...functions.values()].find((fn) => fn.logicalId.startsWith('Echo'));
    if (echoFn === undefined) throw new Error('no echo function in the template');
    const echo = new LambdaRunner(echoFn, {}, () => {});
    const direct = http.createServer(async (_request, response) => {
      const result = await echo.invoke({ version: '2.0', rawPath: '/echo', headers: {}, requestContext: { http: { method: 'GET' } } });
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result.ok ? result.result : null));
    });
    await listen(direct, 0);
    const directRun = await load(`http://127.0.0.1:${(direct.address() as AddressInfo).port}/`);
    echo.stop();
    await closeServer(direct);

    const line = (name: string, r: autocannon.Result) =>
      `${name} ${r.requests.average.toFixed(0)} req/s (median of per-second samples ${r.requests.p50}, min ${r.requests.min}, max ${r.requests.max}; p50 latency ${r.latency.p50} ms, p99 ${r.latency.p99} ms; ${r.non2xx} non-2xx)`;
    console.log(`6. local gateway, ${DURATION} s each, 10 connections:`);
    console.log(`   ${line('GET /echo, token, gateway cache warm:', protectedRun)}; authorizer invoked ${authorizerCalls} times`);
    console.log(`   ${line('GET /public through the gateway:     ', publicRun)}`);
    console.log(`   ${line('echo function called directly:       ', directRun)}`);
  } finally {
    await stack.close();
    rmSync(outdir, { recursive: true, force: true });
  }
  process.exit(0);
}

// An async main, not top-level await: the project is CommonJS (the jsii-compiled library is).
main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
