import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startLocalSecretsManager } from '../local/secrets-manager.js';
import { bundle } from './bundle.js';
import { startJwtServer } from './jwt-server-process.js';
import { formatSummary, summarize } from './stats.js';

/**
 * Benchmark 3: the bundle as deployed (bytes) and its module-load time against an empty handler,
 * each measured in fresh `node` processes (the require() of the bundle, which validates the
 * environment and starts the client-credentials read, as at a Lambda cold start). Because the
 * AWS SDK is loaded after module load, the same processes also time the first decision
 * (require + first invocation, with a local Secrets Manager and introspection endpoint), which
 * is what a caller waits for. A third series loads the authorizer with `--enable-source-maps`
 * (the map beside it), which is what shipping the map in the Lambda asset would cost.
 */
async function main(): Promise<void> {
  const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 30);

  const authorizer = await bundle(resolve(__dirname, '../lambda/handler.ts'), 'index');
  const emptyFile = join(dirname(authorizer.file), 'empty.js');
  writeFileSync(emptyFile, 'exports.handler = async () => ({ isAuthorized: false });\n');

  const jwtServer = await startJwtServer();
  const secrets = await startLocalSecretsManager();
  secrets.put('bench', JSON.stringify({ client_id: 'bench-authorizer', client_secret: 'bench-secret' }));
  const event = { version: '2.0', type: 'REQUEST', routeKey: 'GET /echo', headers: { authorization: 'Bearer cold-start-token' } };

  /** [module load, module load + first invocation] in ms, in a fresh process. */
  async function coldStartMs(file: string, nodeOptions: string[] = []): Promise<[number, number]> {
    const script = `const t = performance.now(); const m = require(${JSON.stringify(file)}); const loaded = performance.now() - t;
    m.handler(${JSON.stringify(event)}).then(() => process.stderr.write(loaded + ' ' + (performance.now() - t), () => process.exit(0)));`;
    // Asynchronous: the local Secrets Manager answering the child runs in this process.
    const { stderr } = await promisify(execFile)(process.execPath, [...nodeOptions, '--no-warnings', '-e', script], {
      env: {
        HOME: process.env.HOME,
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'bench',
        AWS_SECRET_ACCESS_KEY: 'bench',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
        INTROSPECTION_ENDPOINT: jwtServer.url.href,
        CLIENT_CREDENTIALS_SECRET: 'bench',
        ROUTE_SCOPES: JSON.stringify({ 'GET /echo': ['read'], 'POST /echo': ['write'] }),
      },
    });
    const [load, first] = stderr.split(' ').map(Number);
    if (!Number.isFinite(load) || !Number.isFinite(first)) throw new Error(`loading ${file} failed: ${stderr}`);
    return [load as number, first as number];
  }

  const loaded: number[] = [];
  const firstDecision: number[] = [];
  const empty: number[] = [];
  const emptyFirst: number[] = [];
  const withMaps: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const [load, first] = await coldStartMs(authorizer.file);
    loaded.push(load);
    firstDecision.push(first);
    const [emptyLoad, emptyFirstCall] = await coldStartMs(emptyFile);
    empty.push(emptyLoad);
    emptyFirst.push(emptyFirstCall);
    const [mapsLoad] = await coldStartMs(authorizer.file, ['--enable-source-maps']);
    withMaps.push(mapsLoad);
  }
  jwtServer.child.kill();
  await secrets.close();
  const over = loaded.map((ms, i) => ms - (empty[i] as number));
  console.log(
    `3. bundle as deployed:       ${authorizer.bytes} bytes (${(authorizer.bytes / 1024).toFixed(0)} KiB, minified; its source map is not deployed)`,
  );
  console.log(`   module load, authorizer:  ${formatSummary(summarize(loaded), 'ms')}`);
  console.log(`   module load, empty:       ${formatSummary(summarize(empty), 'ms', 2)}`);
  console.log(`   authorizer over empty:    ${formatSummary(summarize(over), 'ms')}`);
  const mapsOver = withMaps.map((ms, i) => ms - (loaded[i] as number));
  console.log(`   load, with source maps:   ${formatSummary(summarize(withMaps), 'ms')}`);
  console.log(`   source maps over none:    ${formatSummary(summarize(mapsOver), 'ms')} (--enable-source-maps)`);
  console.log(
    `   load + first decision:    ${formatSummary(summarize(firstDecision), 'ms')} (empty: median ${summarize(emptyFirst).median.toFixed(2)} ms)`,
  );
}

// An async main, not top-level await: the project is CommonJS (the jsii-compiled library is).
main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
