import { openSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { createAuthorizer as CreateAuthorizer } from '../lambda/authorizer.js';
import type { httpRequest as HttpRequest } from '../lambda/http-client.js';
import { startLocalSecretsManager } from '../local/secrets-manager.js';
import { bundle } from './bundle.js';
import { startJwtServer, startOAuthServerProcess } from './jwt-server-process.js';
import { formatSummary, summarize } from './stats.js';

/**
 * Benchmarks 1 and 2, on the authorizer bundled as deployed (esbuild, minified): the cache-hit decision time, and a cache-miss invocation against a bare
 * introspection round trip to the same local server with the same HTTP client.
 * Decision lines go to /dev/null with a synchronous write, so their cost is measured.
 */
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 10_000);

process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'bench';
process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';

const devNull = openSync('/dev/null', 'w');
const print = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string) => {
  writeSync(devNull, chunk);
  return true;
}) as typeof process.stdout.write;

function event(token: string, routeKey = 'GET /echo') {
  return { version: '2.0', type: 'REQUEST', routeKey, headers: { authorization: `Bearer ${token}`, host: 'api.example.com' } };
}

// The authorizer and the bare client come from one bundle built with the deployed settings.
const { file } = await bundle(new URL('./entry.ts', import.meta.url).pathname, 'bench-entry');
const { createAuthorizer, httpRequest } = createRequire(import.meta.url)(file) as {
  createAuthorizer: typeof CreateAuthorizer;
  httpRequest: typeof HttpRequest;
};
const { child, url } = await startJwtServer();
const secrets = await startLocalSecretsManager();
process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
secrets.put('bench', JSON.stringify({ client_id: 'bench-authorizer', client_secret: 'bench-secret' }));
const env = {
  INTROSPECTION_ENDPOINT: url.href,
  CLIENT_CREDENTIALS_SECRET: 'bench',
  ROUTE_SCOPES: JSON.stringify({ 'GET /echo': ['read'] }),
};

// 1. Cache hit.
const cached = createAuthorizer(env);
const token = 'bench-token-0123456789abcdefABCDEF';
if (!((await cached(event(token))) as { isAuthorized: boolean }).isAuthorized) throw new Error('warm-up was not allowed');
const hit: number[] = [];
for (let i = 0; i < ITERATIONS + 1_000; i++) {
  const started = performance.now();
  await cached(event(token));
  if (i >= 1_000) hit.push((performance.now() - started) * 1000);
}

// 2. Cache miss vs bare round trip, interleaved so that drift hits both alike.
const uncached = createAuthorizer({ ...env, CACHE_MAX_TTL_SECONDS: '0' });
const body = `token=${token}&token_type_hint=access_token`;
const bare = () =>
  httpRequest(url, {
    method: 'POST',
    headers: { authorization: 'Basic YmVuY2g6YmVuY2g=', 'content-type': 'application/x-www-form-urlencoded', accept: 'application/jwt' },
    body,
    timeoutMs: 3_000,
    maxBytes: 65_536,
  });
const miss: number[] = [];
const roundTrip: number[] = [];
for (let i = 0; i < ITERATIONS + 500; i++) {
  // Alternate which goes first, so neither always follows the other.
  const timeMiss = async () => {
    const started = performance.now();
    await uncached(event(`${token}${i}`));
    return (performance.now() - started) * 1000;
  };
  const timeBare = async () => {
    const started = performance.now();
    await bare();
    return (performance.now() - started) * 1000;
  };
  const missUs = i % 2 === 0 ? await timeMiss() : 0;
  const bareUs = await timeBare();
  const missUsLate = i % 2 === 1 ? await timeMiss() : missUs;
  if (i >= 500) {
    miss.push(missUsLate);
    roundTrip.push(bareUs);
  }
}
child.kill();

// 2b. The same comparison against the project's Curity-compatible endpoint in front of oidc-provider
// (a real introspection and an RS256 signature per request): fewer rounds, it is slower.
const oauth = await startOAuthServerProcess();
secrets.put('bench-oauth', JSON.stringify({ client_id: 'phantom-authorizer', client_secret: 'authorizer secret: +/=&%' }));
const phantomUrl = new URL(`${oauth.issuer}/phantom/introspection`);
const demoToken = (await (
  await fetch(`${oauth.issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('demo-client:demo-secret').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials&scope=read',
  })
).json()) as { access_token: string };
const realUncached = createAuthorizer({
  ...env,
  INTROSPECTION_ENDPOINT: phantomUrl.href,
  CLIENT_CREDENTIALS_SECRET: 'bench-oauth',
  CACHE_MAX_TTL_SECONDS: '0',
});
const realBasic = `Basic ${Buffer.from(`phantom-authorizer:${encodeURIComponent('authorizer secret: +/=&%').replace(/%20/g, '+')}`).toString('base64')}`;
const realMiss: number[] = [];
const realBare: number[] = [];
const REAL_ITERATIONS = Math.min(ITERATIONS, 2_000);
for (let i = 0; i < REAL_ITERATIONS + 100; i++) {
  let started = performance.now();
  const decision = (await realUncached(event(demoToken.access_token))) as { isAuthorized: boolean };
  const missUs = (performance.now() - started) * 1000;
  if (!decision.isAuthorized) throw new Error('the real endpoint did not allow the demo token');
  started = performance.now();
  await httpRequest(phantomUrl, {
    method: 'POST',
    headers: { authorization: realBasic, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/jwt' },
    body: `token=${demoToken.access_token}&token_type_hint=access_token`,
    timeoutMs: 3_000,
    maxBytes: 65_536,
  });
  const bareUs = (performance.now() - started) * 1000;
  if (i >= 100) {
    realMiss.push(missUs);
    realBare.push(bareUs);
  }
}
oauth.child.kill();
await secrets.close();

const hitSummary = summarize(hit);
const missSummary = summarize(miss);
const bareSummary = summarize(roundTrip);
print(`1. cache-hit decision:        ${formatSummary(hitSummary, 'µs')}\n`);
print(`2. cache-miss invocation:     ${formatSummary(missSummary, 'µs')}\n`);
print(`   bare introspection trip:  ${formatSummary(bareSummary, 'µs')}\n`);
print(
  `   miss ÷ bare at the median: ${(missSummary.median / bareSummary.median).toFixed(3)} (authorizer overhead ${(missSummary.median - bareSummary.median).toFixed(1)} µs)\n`,
);
const realMissSummary = summarize(realMiss);
const realBareSummary = summarize(realBare);
print(`2b. against the Curity-compatible endpoint + oidc-provider:\n`);
print(`   cache-miss invocation:     ${formatSummary(realMissSummary, 'µs')}\n`);
print(`   bare introspection trip:  ${formatSummary(realBareSummary, 'µs')}\n`);
print(
  `   miss ÷ bare at the median: ${(realMissSummary.median / realBareSummary.median).toFixed(3)} (authorizer overhead ${(realMissSummary.median - realBareSummary.median).toFixed(1)} µs)\n`,
);
process.exit(0);
