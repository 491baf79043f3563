import { isAbsolute, join, resolve } from 'node:path';
import { DEFAULTS, ENV, REVOCATION_ENV } from '../lambda/environment.js';
import { type LocalApiGatewayManagement, startLocalApiGatewayManagement } from './api-gateway-management.js';
import { type LocalDynamoDb, startLocalDynamoDb } from './dynamodb.js';
import { LocalHttpApiGateway } from './http-api-gateway.js';
import type { WildcardReading } from './iam-policy.js';
import { LambdaConcurrency, sharedConcurrency } from './lambda-concurrency.js';
import { LocalFunctionUrl } from './lambda-function-url.js';
import { LambdaRunner } from './lambda-runner.js';
import {
  DEFAULT_AUTHORIZER_CLIENT,
  DEFAULT_DEMO_CLIENT,
  DEFAULT_DEMO_CLIENTS,
  type DemoClient,
  type OAuthServer,
  startOAuthServer,
} from './oauth-server.js';
import { LocalRestApiGateway } from './rest-api-gateway.js';
import { readRestApi } from './rest-template.js';
import { type LocalSecretsManager, startLocalSecretsManager } from './secrets-manager.js';
import { DEFAULT_SET_AUDIENCE } from './set-transmitter.js';
import { synthesizeSample } from './synth.js';
import {
  type LocalFunction,
  localRestApiId,
  localTableSpecs,
  type Resources,
  readFunctions,
  readFunctionUrls,
  readHttpApi,
  readResources,
} from './template.js';

export const LOCAL_SECRET_NAME = 'phantom-token/introspection-client';
const STACK_NAME = 'PhantomTokenLocal';
/** The `aud` the local OAuth server's Security Event Tokens carry, and the sample's receiver requires. */
export const LOCAL_REVOCATION_AUDIENCE = DEFAULT_SET_AUDIENCE;
/**
 * How long the OAuth server waits for the receiver's answer to a SET: the receiver answers after its
 * second flush (`REVOCATION_FLUSH_REPEAT_SECONDS` after the first), and a retry of a SET it is still
 * handling would be refused as a replay.
 */
const SET_ATTEMPT_TIMEOUT_MS = 30_000;

export interface LocalStackOptions {
  /** The gateway's port; 0 picks a free one. @default 3000 */
  readonly port?: number;
  /** The REST API gateway's port; 0 picks a free one. @default 3002 */
  readonly restPort?: number;
  /** The OAuth server's port; 0 picks a free one. @default 3001 */
  readonly oauthPort?: number;
  /** Where the sample app is synthesized. @default 'cdk.out.local' */
  readonly outdir?: string;
  /** Clients that obtain tokens, besides the demo client (`demo-client`, read write) and `reader-client` (read). */
  readonly extraClients?: readonly DemoClient[];
  /** Each line the functions print (the authorizer's decision lines among them): the function's logical id, the line, the instance's number. */
  readonly onLog?: (source: string, line: string, instance: number) => void;
  readonly onProgress?: (message: string) => void;
  /**
   * How the authorizer introspects: through the Curity-compatible phantom endpoint
   * (`application/jwt`), or at oidc-provider's own endpoint with signed RFC 9701 responses.
   * @default 'application/jwt'
   */
  readonly introspectionResponseType?: 'application/jwt' | 'application/token-introspection+jwt';
  /** The sample app with `senderConstrainedTokens` (DPoP-bound tokens allowed, no gateway decision cache). @default false */
  readonly senderConstrainedTokens?: boolean;
  /** How both gateways match `*` and `?` in the authorizer's IAM policy answers (see iam-policy.ts). @default 'crosses-colons' */
  readonly wildcardReading?: WildcardReading;
  /**
   * How many invocations may be in flight at once across the functions (the account's concurrency):
   * instances start on demand up to it, and past it an invocation is throttled.
   * @default - LAMBDA_CONCURRENCY, else 1,000 or what half this machine's memory holds at 64 MiB an instance, whichever is less
   */
  readonly concurrency?: number;
  /**
   * The shared introspection cache and push revocation: the sample app with `sharedCache: {}` and
   * `revocation` (the OAuth server as issuer, its SET signing keys, {@link LOCAL_REVOCATION_AUDIENCE}),
   * its table created in a local DynamoDB endpoint, the revocation receiver behind its function URL,
   * the OAuth server pushing a Security Event Token there on each RFC 7009 revocation, and a local
   * API Gateway endpoint through which the receiver flushes the REST stage's authorizer cache.
   * @default false
   */
  readonly sharedCache?: boolean;
  /** With `sharedCache`: how long an instance serves an answer from memory, seconds. @default - the construct's (5) */
  readonly sharedCacheMemoryTtlSeconds?: number;
  /**
   * With `sharedCache`: the deadline of each table call, ms. The first call of a new instance opens
   * its connection; on a busy machine that can outlast the construct's 150 ms, and cost an introspection.
   * @default - the construct's (150)
   */
  readonly sharedCacheTimeoutMs?: number;
  /** API Gateway's decision cache of both APIs, seconds. @default - the construct's (60) */
  readonly resultsCacheTtlSeconds?: number;
}

/** What `sharedCache` adds to the local flow. */
export interface LocalSharedCache {
  /** The local DynamoDB endpoint the functions call (AWS_ENDPOINT_URL_DYNAMODB). */
  readonly dynamodb: LocalDynamoDb;
  /** The table's name there, as SHARED_CACHE_TABLE names it. */
  readonly table: string;
  /** The local API Gateway endpoint the receiver flushes the REST stage through (AWS_ENDPOINT_URL_API_GATEWAY). */
  readonly apiGateway: LocalApiGatewayManagement;
  /** The revocation receiver's function URL, where the OAuth server pushes its SETs. */
  readonly revocationReceiverUrl: string;
  /** The authorizers' memory bound, seconds (`SHARED_CACHE_MEMORY_TTL_SECONDS`). */
  readonly memoryTtlSeconds: number;
  /** Seconds between the receiver's two flushes (`REVOCATION_FLUSH_REPEAT_SECONDS`). */
  readonly flushRepeatSeconds: number;
  /** The documented bound after which each API denies a revoked token, seconds from its mark in the table (revocationBounds). */
  readonly revocationBoundSeconds: { readonly rest: number; readonly http: number };
}

export interface LocalStack {
  /** The HTTP API. */
  readonly gateway: LocalHttpApiGateway;
  /** The REST API. */
  readonly restGateway: LocalRestApiGateway;
  readonly oauth: OAuthServer;
  readonly secrets: LocalSecretsManager;
  /** The HTTP API's base URL. */
  readonly url: string;
  /** The REST API's stage URL, `http://127.0.0.1:<port>/prod`. */
  readonly restUrl: string;
  /** The HTTP backend's function URL (it answers only requests with a JWT it verifies). */
  readonly backendUrl: string;
  /** The functions' shared concurrency (its limit, peak and throttles). */
  readonly concurrency: LambdaConcurrency;
  /** One runner per function, by logical id (the authorizer's, the echo's, the backend's, the receiver's). */
  readonly runners: ReadonlyMap<string, LambdaRunner>;
  /** The authorizer function's runner: its instances, invocations and peak. */
  readonly authorizerRunner: LambdaRunner;
  /** With `sharedCache`: the table, the endpoints and the receiver. */
  readonly sharedCache: LocalSharedCache | undefined;
  close(): Promise<void>;
}

/**
 * The whole phantom-token flow on 127.0.0.1: the OAuth server (oidc-provider plus the
 * Curity-compatible phantom endpoint), a Secrets Manager endpoint holding the authorizer's client
 * credentials, the sample app synthesized with the OAuth server as its introspection endpoint and
 * the JWKS its HTTP backend verifies JWTs against, the backend's function URL, and the local HTTP
 * API and REST API gateways running the synthesized authorizer, echo and backend bundles.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const progress = options.onProgress ?? (() => {});
  const root = resolve(__dirname, '..');
  const outdir = options.outdir ?? 'cdk.out.local';
  const assemblyDir = isAbsolute(outdir) ? outdir : join(root, outdir);

  const oauth = await startOAuthServer({
    port: options.oauthPort ?? 3001,
    demoClients: [...DEFAULT_DEMO_CLIENTS, ...(options.extraClients ?? [])],
    // The receiver is set once its function URL runs (below).
    ...(options.sharedCache === true ? { revocationPush: { attemptTimeoutMs: SET_ATTEMPT_TIMEOUT_MS } } : {}),
  });
  const cleanup: (() => Promise<void> | void)[] = [() => oauth.close()];
  try {
    const secrets = await startLocalSecretsManager();
    cleanup.push(() => secrets.close());
    secrets.put(
      LOCAL_SECRET_NAME,
      JSON.stringify({ client_id: DEFAULT_AUTHORIZER_CLIENT.id, client_secret: DEFAULT_AUTHORIZER_CLIENT.secret }),
    );

    const verification = { backendJwksUri: oauth.jwksUri, backendIssuer: oauth.issuer };
    const context: Record<string, string> =
      options.introspectionResponseType === 'application/token-introspection+jwt'
        ? {
            introspectionEndpoint: oauth.introspectionEndpoint,
            introspectionResponseType: options.introspectionResponseType,
            jwksUri: oauth.jwksUri,
            issuer: oauth.issuer,
            ...verification,
          }
        : { introspectionEndpoint: oauth.phantomIntrospectionEndpoint, ...verification };
    if (options.senderConstrainedTokens === true) context.senderConstrainedTokens = 'true';
    if (options.resultsCacheTtlSeconds !== undefined) context.resultsCacheTtlSeconds = String(options.resultsCacheTtlSeconds);
    let dynamodb: LocalDynamoDb | undefined;
    let apiGateway: LocalApiGatewayManagement | undefined;
    const extraEnv: Record<string, string> = { AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint };
    if (options.sharedCache === true) {
      dynamodb = await startLocalDynamoDb();
      const started = dynamodb;
      cleanup.push(() => started.close());
      apiGateway = await startLocalApiGatewayManagement();
      const management = apiGateway;
      cleanup.push(() => management.close());
      Object.assign(context, sharedCacheContext(oauth, options.sharedCacheMemoryTtlSeconds));
      if (options.sharedCacheTimeoutMs !== undefined) context.sharedCacheTimeoutMs = String(options.sharedCacheTimeoutMs);
      extraEnv.AWS_ENDPOINT_URL_DYNAMODB = dynamodb.endpoint;
      extraEnv.AWS_ENDPOINT_URL_API_GATEWAY = apiGateway.endpoint;
    }
    synthesizeSample(assemblyDir, { stackName: STACK_NAME, clientCredentialsSecret: LOCAL_SECRET_NAME, ...context }, progress);
    const resources = readResources(assemblyDir, STACK_NAME);
    // The template's tables, under the names the functions' environment resolves their Ref to (template.ts).
    if (dynamodb !== undefined) createTables(dynamodb, resources);
    // One runner per function, shared by both gateways and the function URL; instances start on demand, within one concurrency.
    const concurrency = options.concurrency === undefined ? sharedConcurrency() : new LambdaConcurrency(options.concurrency);
    const functions = readFunctions(resources, assemblyDir);
    const runners = new Map(
      [...functions.values()].map((fn) => [
        fn.logicalId,
        new LambdaRunner(fn, extraEnv, (line, instance) => options.onLog?.(fn.logicalId, line, instance), { concurrency }),
      ]),
    );
    cleanup.push(() => {
      for (const runner of runners.values()) runner.stop();
    });
    // Function URLs exist once deployed: local servers stand in for them, and the templates' Fn::GetAtt … FunctionUrl resolve to them.
    const attributes: Record<string, string> = {};
    const urlOf = new Map<string, string>(); // function logical id → its URL
    for (const functionUrl of readFunctionUrls(resources)) {
      const runner = runners.get(functionUrl.functionId);
      if (runner === undefined) throw new Error(`function URL ${functionUrl.logicalId}: no bundled function ${functionUrl.functionId}`);
      const server = new LocalFunctionUrl(runner);
      const url = await server.start();
      attributes[`${functionUrl.logicalId}.FunctionUrl`] = url;
      urlOf.set(functionUrl.functionId, url);
      cleanup.push(() => server.close());
    }
    const roles = functionRoles(functions);
    const backendUrl = urlOf.get(roles.backend) ?? '';

    const httpApi = readHttpApi(assemblyDir, STACK_NAME, 'us-east-1', attributes);
    const gateway = new LocalHttpApiGateway({
      api: httpApi,
      runners,
      port: options.port ?? 3000,
      wildcardReading: options.wildcardReading,
    });
    const url = await gateway.start();
    cleanup.push(() => gateway.close());
    const restApi = readRestApi(assemblyDir, STACK_NAME, 'us-east-1', attributes);
    const restGateway = new LocalRestApiGateway({
      api: restApi,
      runners,
      port: options.restPort ?? 3002,
      wildcardReading: options.wildcardReading,
    });
    const restUrl = await restGateway.start();
    cleanup.push(() => restGateway.close());

    let sharedCache: LocalSharedCache | undefined;
    if (dynamodb !== undefined && apiGateway !== undefined) {
      const receiverId = roles.revocationReceiver;
      const revocationReceiverUrl = receiverId === undefined ? undefined : urlOf.get(receiverId);
      if (receiverId === undefined || revocationReceiverUrl === undefined)
        throw new Error('the sample app synthesized with sharedCache has no revocation receiver behind a function URL');
      const receiver = functions.get(receiverId) as LocalFunction;
      const authorizer = functions.get(roles.authorizer) as LocalFunction;
      // What the receiver's REVOCATION_FLUSH_STAGES names (the REST API's Ref, resolved by template.ts) is flushable here.
      apiGateway.register(localRestApiId(restApi.logicalId), restApi.stageName, restGateway);
      oauth.setSecurityEventReceiver(revocationReceiverUrl);
      const memoryTtlSeconds = Number(authorizer.environment[ENV.sharedCacheMemoryTtlSeconds] ?? DEFAULTS.sharedCacheMemoryTtlSeconds);
      const flushRepeatSeconds = Number(receiver.environment[REVOCATION_ENV.flushRepeatSeconds] ?? 0);
      const ttl = (ttls: number[]) => Math.max(0, ...ttls);
      const restTtl = ttl(
        restApi.methods.flatMap((method) => (method.authorizer === undefined ? [] : [method.authorizer.resultTtlSeconds])),
      );
      const httpTtl = ttl(httpApi.routes.flatMap((route) => (route.authorizer === undefined ? [] : [route.authorizer.resultTtlSeconds])));
      sharedCache = {
        dynamodb,
        table: authorizer.environment[ENV.sharedCacheTable] ?? '',
        apiGateway,
        revocationReceiverUrl,
        memoryTtlSeconds,
        flushRepeatSeconds,
        revocationBoundSeconds: revocationBounds(memoryTtlSeconds, flushRepeatSeconds, restTtl, httpTtl),
      };
    }
    return {
      gateway,
      restGateway,
      oauth,
      secrets,
      url,
      restUrl,
      backendUrl,
      concurrency,
      runners,
      authorizerRunner: runners.get(roles.authorizer) as LambdaRunner,
      sharedCache,
      async close() {
        for (const step of cleanup.reverse()) await step();
      },
    };
  } catch (error) {
    for (const step of cleanup.reverse()) await step();
    throw error;
  }
}

/**
 * The sample app's context for the shared cache and push revocation: the OAuth server is the SETs'
 * issuer, signing them with the keys at its SET JWKS URL, for {@link LOCAL_REVOCATION_AUDIENCE}.
 */
export function sharedCacheContext(
  oauth: Pick<OAuthServer, 'issuer' | 'securityEventJwksUri'>,
  memoryTtlSeconds?: number,
): Record<string, string> {
  return {
    sharedCache: 'true',
    ...(memoryTtlSeconds === undefined ? {} : { sharedCacheMemoryTtlSeconds: String(memoryTtlSeconds) }),
    revocationIssuer: oauth.issuer,
    revocationJwksUri: oauth.securityEventJwksUri,
    revocationAudience: LOCAL_REVOCATION_AUDIENCE,
  };
}

/**
 * The documented bound, seconds from a token's revocation mark in the table, after which each API
 * denies it. Every instance reads the table again within `memoryTtlSeconds`. REST: an answer made
 * from memory before then and cached by the stage is flushed by the receiver's second flush,
 * `flushRepeatSeconds` after the first (the later of the two bounds; with one flush only, or a repeat
 * shorter than the memory bound, such an answer may be cached for the stage's TTL after it); with
 * its decision cache off, the memory bound alone. The HTTP API has no flush: its decision cache's
 * TTL plus the memory bound (the memory bound alone with the cache off).
 */
export function revocationBounds(
  memoryTtlSeconds: number,
  flushRepeatSeconds: number,
  restTtlSeconds: number,
  httpTtlSeconds: number,
): { rest: number; http: number } {
  const rest =
    restTtlSeconds === 0
      ? memoryTtlSeconds
      : flushRepeatSeconds >= memoryTtlSeconds
        ? flushRepeatSeconds
        : memoryTtlSeconds + restTtlSeconds;
  return { rest, http: httpTtlSeconds + memoryTtlSeconds };
}

/** Creates each `AWS::DynamoDB::Table` of the template in the local endpoint, under its local name (template.ts, localTableName). */
export function createTables(dynamodb: LocalDynamoDb, resources: Resources): void {
  for (const { name, ...options } of localTableSpecs(resources)) dynamodb.createTable(name, options);
}

/** The sample's functions by what they do, told apart by their environment, not by position in the template. */
export interface FunctionRoles {
  /** The authorizer: the one with `INTROSPECTION_ENDPOINT`. */
  readonly authorizer: string;
  /** The JWT-verifying HTTP backend behind a function URL: `JWKS_URI` without `INTROSPECTION_ENDPOINT`. */
  readonly backend: string;
  /** The revocation receiver: `REVOCATION_ISSUER`; none without `revocation`. */
  readonly revocationReceiver: string | undefined;
}

export function functionRoles(functions: ReadonlyMap<string, LocalFunction>): FunctionRoles {
  const having = (test: (env: Readonly<Record<string, string>>) => boolean) =>
    [...functions.values()].filter((fn) => test(fn.environment)).map((fn) => fn.logicalId);
  const one = (ids: string[], what: string): string => {
    if (ids.length !== 1) throw new Error(`expected one ${what} in the sample app, found ${ids.length} (${ids.join(', ')})`);
    return ids[0] as string;
  };
  const receivers = having((env) => env[REVOCATION_ENV.issuer] !== undefined);
  return {
    authorizer: one(
      having((env) => env[ENV.introspectionEndpoint] !== undefined),
      'authorizer function (INTROSPECTION_ENDPOINT)',
    ),
    backend: one(
      having((env) => env[ENV.jwksUri] !== undefined && env[ENV.introspectionEndpoint] === undefined),
      'HTTP backend (JWKS_URI without INTROSPECTION_ENDPOINT)',
    ),
    revocationReceiver: receivers.length === 0 ? undefined : one(receivers, 'revocation receiver (REVOCATION_ISSUER)'),
  };
}

export { DEFAULT_DEMO_CLIENT };
