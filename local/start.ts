import http from 'node:http';
import { closeServer, listen } from './http-server.js';
import { isWildcardReading, WILDCARD_READINGS } from './iam-policy.js';
import { concurrencyLimitFrom } from './lambda-concurrency.js';
import { DEFAULT_DEMO_CLIENT, type LocalStack, startLocalStack } from './local-stack.js';
import { MetricsSummary } from './metrics-summary.js';

/**
 * `npm start`: the phantom-token flow on 127.0.0.1 — OAuth server, local HTTP API and REST API
 * gateways running the synthesized authorizer, the sample echo function and the JWT-verifying HTTP
 * backend. Ports: PORT (3000, HTTP API), OAUTH_PORT (3001) and REST_PORT (3002, REST API);
 * LOCAL_OUTDIR (cdk.out.local) is where the sample app is synthesized;
 * INTROSPECTION_RESPONSE_TYPE=application/token-introspection+jwt switches to RFC 9701 responses;
 * SENDER_CONSTRAINED_TOKENS=true allows DPoP-bound tokens (scripts/dpop-example.ts);
 * SHARED_CACHE=true turns on the shared introspection cache and push revocation (issue #24): the
 * sample's DynamoDB table in a local DynamoDB endpoint, the revocation receiver behind its function
 * URL, the OAuth server pushing a signed Security Event Token (RFC 8417, RFC 8935) there on each
 * RFC 7009 revocation, and a local API Gateway endpoint through which the receiver flushes the REST
 * stage's authorizer cache (HTTP APIs have none: there a revoked token passes until its cached
 * decision expires);
 * IAM_WILDCARD_READING (crosses-colons, or segments) is how both gateways match `*` and `?` in the
 * authorizer's IAM policy answers (local/iam-policy.ts); LAMBDA_CONCURRENCY (1–1000) how many
 * invocations may run at once across the functions, instances starting on demand up to it
 * (default: 1,000, or what half this machine's memory holds at 64 MiB an instance, if less).
 */
async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  const oauthPort = Number(process.env.OAUTH_PORT ?? 3001);
  const restPort = Number(process.env.REST_PORT ?? 3002);
  const started = Date.now();
  const say = (line: string) => process.stdout.write(`${line}\n`);

  // Checked before anything starts: a misspelt reading must not quietly run the default.
  const wildcardReading = process.env.IAM_WILDCARD_READING ?? 'crosses-colons';
  if (!isWildcardReading(wildcardReading)) {
    process.stderr.write(
      `error: IAM_WILDCARD_READING must be one of ${WILDCARD_READINGS.join(', ')} (default crosses-colons); received ${JSON.stringify(wildcardReading)}.\n`,
    );
    process.exit(1);
  }
  const sharedCache = process.env.SHARED_CACHE === 'true';
  if (process.env.SHARED_CACHE !== undefined && !sharedCache && process.env.SHARED_CACHE !== 'false') {
    process.stderr.write(
      `error: SHARED_CACHE must be true or false (default false); received ${JSON.stringify(process.env.SHARED_CACHE)}.\n`,
    );
    process.exit(1);
  }
  let concurrency: number;
  try {
    concurrency = concurrencyLimitFrom(process.env.LAMBDA_CONCURRENCY);
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}.\n`);
    process.exit(1);
  }

  /** Fails fast, before the synth, when a port is taken. */
  async function assertFree(portToCheck: number): Promise<void> {
    if (portToCheck === 0) return;
    const probe = http.createServer();
    await listen(probe, portToCheck);
    await closeServer(probe);
  }

  // The functions' EMF lines, counted as CloudWatch would and summed up every METRICS_INTERVAL_SECONDS (10).
  const metrics = new MetricsSummary();
  const requested = Number(process.env.METRICS_INTERVAL_SECONDS);
  const intervalSeconds = Number.isFinite(requested) && requested >= 1 ? requested : 10;
  let stack: LocalStack;
  try {
    await assertFree(port);
    await assertFree(oauthPort);
    await assertFree(restPort);
    stack = await startLocalStack({
      port,
      oauthPort,
      restPort,
      outdir: process.env.LOCAL_OUTDIR,
      introspectionResponseType:
        process.env.INTROSPECTION_RESPONSE_TYPE === 'application/token-introspection+jwt'
          ? 'application/token-introspection+jwt'
          : 'application/jwt',
      senderConstrainedTokens: process.env.SENDER_CONSTRAINED_TOKENS === 'true',
      sharedCache,
      wildcardReading,
      concurrency,
      onProgress: (message) => say(`… ${message}`),
      onLog: (source, line) => {
        metrics.observe(line);
        say(`  [${sourceName(source)}] ${line}`);
      },
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      process.stderr.write(
        `error: port ${(error as { port?: number }).port ?? `${port}, ${oauthPort} or ${restPort}`} is already in use. Stop what uses it, or set PORT / OAUTH_PORT / REST_PORT.\n`,
      );
    } else if ((error as Error).name === 'GatewayConfigurationError') {
      // The template asks for something API Gateway would refuse: the message says what and where.
      process.stderr.write(`error: ${(error as Error).message}\n`);
    } else {
      process.stderr.write(`error: ${(error as Error).stack ?? error}\n`);
    }
    process.exit(1);
  }

  const { id, secret } = DEFAULT_DEMO_CLIENT;
  say(`
Phantom token flow, running on 127.0.0.1 (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)

  OAuth server (oidc-provider)   ${stack.oauth.issuer}   discovery: ${stack.oauth.issuer}/.well-known/openid-configuration
  Introspection (authorizer)     ${process.env.INTROSPECTION_RESPONSE_TYPE === 'application/token-introspection+jwt' ? `${stack.oauth.introspectionEndpoint} (RFC 9701 signed responses)` : `${stack.oauth.phantomIntrospectionEndpoint} (Curity-compatible phantom endpoint)`}
  Local HTTP API gateway         ${stack.url}   GET /echo (read), POST /echo (write), GET /backend (read), GET /public
  Local REST API gateway         ${stack.restUrl}   the same methods, under the stage
  IAM policy wildcards           ${wildcardReading}   both gateways (IAM_WILDCARD_READING: ${WILDCARD_READINGS.join(' or ')})
  Lambda concurrency             ${concurrency}   invocations at once across the functions, instances started on demand; more are throttled (LAMBDA_CONCURRENCY)
  HTTP backend (function URL)    ${stack.backendUrl}   verifies the JWT against the OAuth server's JWKS
${sharedCacheLines(stack)}  Demo client                    ${id} / ${secret}   scopes: read write

Get an opaque access token:
  TOKEN=$(curl -s -u ${id}:${secret} -d grant_type=client_credentials -d scope='read write' ${stack.oauth.tokenEndpoint} | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')

REST API: the HTTP backend receives Authorization: Bearer <JWT>, mapped from the authorizer context:
  curl -s -H "Authorization: Bearer $TOKEN" ${stack.restUrl}/backend
  curl -s -H "Authorization: Bearer $TOKEN" ${stack.restUrl}/echo          # Lambda proxy: the echo shows the JWT in the event
  curl -s -X POST -H "Authorization: Bearer $TOKEN" ${stack.restUrl}/echo
  curl -s ${stack.restUrl}/public
  curl -s -i ${stack.restUrl}/echo                                       # 401 + WWW-Authenticate: no token
  curl -s -i -H "Authorization: Bearer junk" ${stack.restUrl}/echo      # 401 + WWW-Authenticate: unknown token

HTTP API: the HTTP backend receives x-phantom-jwt: <JWT> (HTTP APIs reserve Authorization):
  curl -s -H "Authorization: Bearer $TOKEN" ${stack.url}/backend
  curl -s -H "Authorization: Bearer $TOKEN" ${stack.url}/echo
  curl -s -X POST -H "Authorization: Bearer $TOKEN" ${stack.url}/echo
  curl -s ${stack.url}/public
  curl -s -i ${stack.url}/echo            # 401: no token
  curl -s -i -H "Authorization: Bearer junk" ${stack.url}/echo   # 403

${revocationLines(stack)}Every ${intervalSeconds} s with traffic, a [metrics] line sums up what the authorizer's EMF lines say
(what CloudWatch would graph). A development and test tool, not API Gateway: see "Emulation honesty" in the README.
Ctrl-C stops everything.
`);

  setInterval(() => {
    const summary = metrics.take();
    if (summary !== undefined) say(`  [metrics, last ${intervalSeconds} s] ${summary}`);
  }, intervalSeconds * 1000).unref();

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say('\nstopping …');
    await stack.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** The banner's name of a function, from its logical id. */
function sourceName(logicalId: string): string {
  if (logicalId.includes('RevocationReceiver')) return 'revocation';
  if (logicalId.startsWith('PhantomToken')) return 'authorizer';
  return logicalId.startsWith('JwtBackend') ? 'backend' : 'echo';
}

/** The banner's lines for SHARED_CACHE=true: the table, the receiver, the flush endpoint. */
function sharedCacheLines(stack: LocalStack): string {
  const shared = stack.sharedCache;
  if (shared === undefined) return '  Shared cache, push revocation  off   (SHARED_CACHE=true turns them on)\n';
  return (
    `  Shared cache (DynamoDB)        ${shared.dynamodb.endpoint}   table ${shared.table}; an instance re-reads it after ${shared.memoryTtlSeconds} s in memory (SHARED_CACHE=true)\n` +
    `  Revocation receiver (URL)      ${shared.revocationReceiverUrl}   the OAuth server pushes a signed SET (RFC 8417, RFC 8935) here on each revocation\n` +
    `  API Gateway (REST flush)       ${shared.apiGateway.endpoint}   FlushStageAuthorizersCache of the REST stage, called by the receiver\n`
  );
}

/** How to revoke the token, and when each API denies it, with SHARED_CACHE=true. */
function revocationLines(stack: LocalStack): string {
  const shared = stack.sharedCache;
  if (shared === undefined) return '';
  const { id, secret } = DEFAULT_DEMO_CLIENT;
  const { rest, http: httpApi } = shared.revocationBoundSeconds;
  return `Push revocation: revoke the token (RFC 7009); the OAuth server pushes a SET to the receiver, which marks it
revoked in the table and flushes the REST stage's authorizer cache, and again ${shared.flushRepeatSeconds} s later:
  curl -s -u ${id}:${secret} -d token=$TOKEN ${stack.oauth.revocationEndpoint}
The REST API denies it within ${rest} s of the mark (an instance re-reads the table within ${shared.memoryTtlSeconds} s; the second flush
clears what it answered from memory meanwhile); the HTTP API, which has no flush, within ${httpApi} s (its decision cache's TTL + ${shared.memoryTtlSeconds} s).

`;
}

// An async main, not top-level await: the project is CommonJS (the jsii-compiled library is).
main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
