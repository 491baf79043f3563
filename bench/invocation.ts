import { openSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import type { createAuthorizer as CreateAuthorizer } from '../lambda/authorizer.js';
import { formEncode } from '../lambda/client-credentials.js';
import type { httpRequest as HttpRequest } from '../lambda/http-client.js';
import { startLocalSecretsManager } from '../local/secrets-manager.js';
import { bundle } from './bundle.js';
import { dpopCachedDecisions } from './dpop.js';
import { startJwtServer, startOAuthServerProcess } from './jwt-server-process.js';
import { formatSummary, type Summary, summarize } from './stats.js';

/**
 * Benchmarks 1 and 2, on the authorizer bundled as deployed (esbuild, minified).
 *
 * Every measured call starts from a settled event loop, as a Lambda invocation starts after the
 * runtime's own turn; its event is built before the clock starts (the runtime parses it); the
 * clock stops when the handler's promise settles, the moment the runtime posts the answer to API
 * Gateway. The decision line is written just after that (process.nextTick) and is timed on its
 * own. Lines go to /dev/null with a synchronous write.
 */
async function main(): Promise<void> {
  const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 10_000);
  const WARM_UP = 500;

  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'bench';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';

  const devNull = openSync('/dev/null', 'w');
  const print = process.stdout.write.bind(process.stdout);
  /** The last line written (the decision lines are measured in bytes too). */
  let lastWritten = '';
  process.stdout.write = ((chunk: string) => {
    writeSync(devNull, chunk);
    lastWritten = chunk;
    return true;
  }) as typeof process.stdout.write;

  type Handler = (event: unknown) => Promise<unknown>;

  function event(token: string) {
    return {
      version: '2.0',
      type: 'REQUEST',
      routeKey: 'GET /echo',
      rawPath: '/echo',
      headers: { authorization: `Bearer ${token}`, host: 'api.example.com' },
      // The request's own method, as every payload 2.0 event carries it (a method outside the seven is denied).
      requestContext: { http: { method: 'GET', path: '/echo' } },
    };
  }

  const settled = () => new Promise<void>((resolve) => setImmediate(resolve));
  /** Resolves after the ticks queued so far, the decision line's among them. */
  const ticked = () => new Promise<void>((resolve) => process.nextTick(resolve));

  /** Microseconds from the call to the settling of what it returns, from a settled event loop. */
  async function time(call: () => Promise<unknown>): Promise<number> {
    await settled();
    const started = performance.now();
    await call();
    return (performance.now() - started) * 1000;
  }

  /**
   * Cache misses against bare round trips to the same server with the same client, interleaved
   * and alternating which goes first, so that drift and any after-effect hit both alike.
   */
  async function missVersusBare(
    handler: Handler,
    tokenFor: (i: number) => string,
    bare: () => Promise<unknown>,
  ): Promise<{ miss: Summary; bare: Summary }> {
    const miss: number[] = [];
    const roundTrip: number[] = [];
    for (let i = 0; i < ITERATIONS + WARM_UP; i++) {
      const missEvent = event(tokenFor(i));
      const timeMiss = () => time(() => handler(missEvent));
      const first = i % 2 === 0 ? await timeMiss() : undefined;
      const bareUs = await time(bare);
      const missUs = first ?? (await timeMiss());
      if (i >= WARM_UP) {
        miss.push(missUs);
        roundTrip.push(bareUs);
      }
    }
    return { miss: summarize(miss), bare: summarize(roundTrip) };
  }

  function printComparison(result: { miss: Summary; bare: Summary }): void {
    print(`   cache-miss invocation:     ${formatSummary(result.miss, 'µs')}\n`);
    print(`   bare introspection trip:  ${formatSummary(result.bare, 'µs')}\n`);
    print(
      `   miss ÷ bare at the median: ${(result.miss.median / result.bare.median).toFixed(3)} (authorizer overhead ${(result.miss.median - result.bare.median).toFixed(1)} µs)\n`,
    );
  }

  // The authorizer and the bare client come from one bundle built with the deployed settings.
  const { file } = await bundle(resolve(__dirname, './entry.ts'), 'bench-entry');
  const { createAuthorizer, httpRequest } = require(file) as {
    createAuthorizer: typeof CreateAuthorizer;
    httpRequest: typeof HttpRequest;
  };
  const secrets = await startLocalSecretsManager();
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
  const routeScopes = JSON.stringify({ 'GET /echo': ['read'] });
  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${formEncode(id)}:${formEncode(secret)}`).toString('base64')}`;
  const introspect = (url: URL, authorization: string, token: string) => () =>
    httpRequest(url, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/jwt' },
      body: `token=${token}&token_type_hint=access_token`,
      timeoutMs: 3_000,
      maxBytes: 65_536,
    });

  // 2. The project's OAuth server: the Curity-compatible phantom endpoint in front of oidc-provider,
  // each request a real introspection and an RS256-signed JWT.
  const oauth = await startOAuthServerProcess();
  const clientSecret = 'authorizer secret: +/=&%';
  secrets.put('bench-oauth', JSON.stringify({ client_id: 'phantom-authorizer', client_secret: clientSecret }));
  const phantomUrl = new URL(`${oauth.issuer}/phantom/introspection`);
  const demoToken = (
    (await (
      await fetch(`${oauth.issuer}/token`, {
        method: 'POST',
        headers: { authorization: basic('demo-client', 'demo-secret'), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&scope=read',
      })
    ).json()) as { access_token: string }
  ).access_token;
  const realUncached = createAuthorizer({
    INTROSPECTION_ENDPOINT: phantomUrl.href,
    CLIENT_CREDENTIALS_SECRET: 'bench-oauth',
    ROUTE_SCOPES: routeScopes,
    CACHE_MAX_TTL_SECONDS: '0',
  });
  if (!((await realUncached(event(demoToken))) as { isAuthorized: boolean }).isAuthorized) {
    throw new Error('the OAuth server did not allow the demo token');
  }
  const real = await missVersusBare(
    realUncached,
    () => demoToken,
    introspect(phantomUrl, basic('phantom-authorizer', clientSecret), demoToken),
  );
  oauth.child.kill();

  // 2s. Stress: the same comparison against a null responder (a fixed JWT, no introspection, no
  // signing), so the authorizer's own microseconds are set against the shortest round trip there is.
  const nullServer = await startJwtServer();
  secrets.put('bench', JSON.stringify({ client_id: 'bench-authorizer', client_secret: 'bench-secret' }));
  const env = { INTROSPECTION_ENDPOINT: nullServer.url.href, CLIENT_CREDENTIALS_SECRET: 'bench', ROUTE_SCOPES: routeScopes };
  const token = 'bench-token-0123456789abcdefABCDEF';
  const nullUncached = createAuthorizer({ ...env, CACHE_MAX_TTL_SECONDS: '0' });
  const stress = await missVersusBare(nullUncached, (i) => `${token}${i}`, introspect(nullServer.url, basic('bench', 'bench'), token));

  // 1. Cache hits, and the decision line each writes after its decision.
  const cached = createAuthorizer(env);
  const hitEvent = event(token);
  if (!((await cached(hitEvent)) as { isAuthorized: boolean }).isAuthorized) throw new Error('warm-up was not allowed');
  const hit: number[] = [];
  const logLine: number[] = [];
  for (let i = 0; i < ITERATIONS + WARM_UP; i++) {
    const hitUs = await time(() => cached(hitEvent));
    const started = performance.now();
    await ticked();
    if (i >= WARM_UP) {
      hit.push(hitUs);
      logLine.push((performance.now() - started) * 1000);
    }
  }
  nullServer.child.kill();

  // 1d. A DPoP-bound token on a cached token: proof verification (jose, ES256), thumbprint, replay cache.
  const dpop = await dpopCachedDecisions(createAuthorizer, secrets, ITERATIONS + WARM_UP, time);
  await secrets.close();

  print(`1. cache-hit decision:        ${formatSummary(summarize(hit), 'µs')}\n`);
  print(`   its decision line, after:  ${formatSummary(summarize(logLine), 'µs')}\n`);
  print(`   its decision line, bytes:  ${Buffer.byteLength(lastWritten)} (with the newline)\n`);
  print(`1d. DPoP decision, cached token: ${formatSummary(summarize(dpop.slice(WARM_UP)), 'µs')}\n`);
  print("2. against the project's OAuth server (Curity-compatible endpoint + oidc-provider):\n");
  printComparison(real);
  print('2s. stress, against a null responder (fixed JWT; no introspection, no signing):\n');
  printComparison(stress);
  process.exit(0);
}

// An async main, not top-level await: the project is CommonJS (the jsii-compiled library is).
main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
