import { openSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import type { createAuthorizer as CreateAuthorizer } from '../lambda/authorizer.js';
import { startLocalSecretsManager } from '../local/secrets-manager.js';
import { bundle } from './bundle.js';
import { startDynamoDbProcess, startJwtServer } from './jwt-server-process.js';
import { formatSummary, summarize } from './stats.js';

/**
 * The shared introspection cache's cost on the hot path, on the authorizer bundled as deployed,
 * against the local DynamoDB endpoint (local/dynamodb.ts) and the null introspection responder,
 * each in its own process on 127.0.0.1. Per decision, from a settled event loop (as
 * bench/invocation.ts times them):
 *
 * - memory hit, shared cache on: the common case, unchanged by the table;
 * - memory miss, table hit (SHARED_CACHE_MEMORY_TTL_SECONDS=0, so every call reads the table): the
 *   signed GetItem and the entry's checks — what an instance pays for a token another instance
 *   introspected;
 * - memory miss, no shared cache: one introspection (the null responder's fixed JWT);
 * - memory and table miss: the introspection plus the table read before it and the write after it.
 *
 * Loopback round trips: on AWS a GetItem within the region adds single-digit milliseconds instead,
 * which is why the read is bounded (SHARED_CACHE_TIMEOUT_MS, 150 ms) and a slow table skipped.
 */
async function main(): Promise<void> {
  const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 2_000);
  const WARM_UP = 200;
  const TABLE = 'bench-shared-cache';

  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'bench';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';
  const devNull = openSync('/dev/null', 'w');
  const print = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => {
    writeSync(devNull, chunk);
    return true;
  }) as typeof process.stdout.write;

  const event = (token: string) => ({
    version: '2.0',
    type: 'REQUEST',
    routeKey: 'GET /echo',
    rawPath: '/echo',
    headers: { authorization: `Bearer ${token}`, host: 'api.example.com' },
    requestContext: { http: { method: 'GET', path: '/echo' } },
  });
  const settled = () => new Promise<void>((resolve) => setImmediate(resolve));
  async function time(call: () => Promise<unknown>): Promise<number> {
    await settled();
    const started = performance.now();
    await call();
    return (performance.now() - started) * 1000;
  }
  async function measure(call: (i: number) => Promise<unknown>): Promise<number[]> {
    const samples: number[] = [];
    for (let i = 0; i < ITERATIONS + WARM_UP; i++) {
      const us = await time(() => call(i));
      if (i >= WARM_UP) samples.push(us);
    }
    return samples;
  }
  const allowed = async (handler: (event: unknown) => Promise<unknown>, token: string) => {
    if (!((await handler(event(token))) as { isAuthorized: boolean }).isAuthorized) throw new Error('the bench token was not allowed');
  };

  const { file } = await bundle(resolve(__dirname, './entry.ts'), 'bench-entry');
  const { createAuthorizer } = require(file) as { createAuthorizer: typeof CreateAuthorizer };
  const secrets = await startLocalSecretsManager();
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
  secrets.put('bench', JSON.stringify({ client_id: 'bench-authorizer', client_secret: 'bench-secret' }));
  const jwtServer = await startJwtServer();
  const dynamo = await startDynamoDbProcess(TABLE);
  const base = {
    INTROSPECTION_ENDPOINT: jwtServer.url.href,
    CLIENT_CREDENTIALS_SECRET: 'bench',
    ROUTE_SCOPES: JSON.stringify({ 'GET /echo': ['read'] }),
  };
  const shared = { ...base, SHARED_CACHE_TABLE: TABLE, AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, ...awsEnv() };

  const token = 'bench-shared-token-0123456789abcdef';
  const memory = createAuthorizer(shared);
  await allowed(memory, token);
  const hit = await measure(() => memory(event(token)));

  const tableOnly = createAuthorizer({ ...shared, SHARED_CACHE_MEMORY_TTL_SECONDS: '0' });
  await allowed(tableOnly, token);
  const tableHit = await measure(() => tableOnly(event(token)));

  const introspecting = createAuthorizer({ ...base, CACHE_MAX_TTL_SECONDS: '0' });
  await allowed(introspecting, token);
  const introspection = await measure(() => introspecting(event(token)));

  const fresh = createAuthorizer(shared);
  const bothMiss = await measure((i) => fresh(event(`bench-fresh-token-${i}-0123456789`)));

  jwtServer.child.kill();
  dynamo.child.kill();
  await secrets.close();

  const median = (samples: number[]) => summarize(samples).median;
  print(`shared cache, local DynamoDB endpoint and null responder on 127.0.0.1 (${ITERATIONS} decisions each):\n`);
  print(`   memory hit:                          ${formatSummary(summarize(hit), 'µs')}\n`);
  print(`   memory miss, table hit:              ${formatSummary(summarize(tableHit), 'µs')}\n`);
  print(`   memory miss, no shared cache:        ${formatSummary(summarize(introspection), 'µs')}\n`);
  print(`   memory and table miss (read, introspect, write): ${formatSummary(summarize(bothMiss), 'µs')}\n`);
  print(`   a table read adds on a memory miss:  ${(median(tableHit) - median(hit)).toFixed(1)} µs at the median\n`);
  print(`   read + write add to an introspection: ${(median(bothMiss) - median(introspection)).toFixed(1)} µs at the median\n`);
  process.exit(0);
}

/** The function's own credentials variables, as Lambda sets them (the local endpoint checks the signature's shape). */
function awsEnv(): Record<string, string> {
  return {
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'bench',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'bench',
  };
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
