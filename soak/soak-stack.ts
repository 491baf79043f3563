import { isAbsolute, join, resolve } from 'node:path';
import { ENV, REVOCATION_ENV } from '../lambda/environment.js';
import { type LocalApiGatewayManagement, startLocalApiGatewayManagement } from '../local/api-gateway-management.js';
import { LocalHttpApiGateway } from '../local/http-api-gateway.js';
import { LambdaConcurrency } from '../local/lambda-concurrency.js';
import { LocalFunctionUrl } from '../local/lambda-function-url.js';
import { LambdaRunner } from '../local/lambda-runner.js';
import { functionRoles, sharedCacheContext } from '../local/local-stack.js';
import { DEFAULT_AUTHORIZER_CLIENT, DEFAULT_DEMO_CLIENTS, type DemoClient } from '../local/oauth-server.js';
import { LocalRestApiGateway } from '../local/rest-api-gateway.js';
import { type LocalRestApi, readRestApi } from '../local/rest-template.js';
import { type LocalSecretsManager, startLocalSecretsManager } from '../local/secrets-manager.js';
import { synthesizeSample } from '../local/synth.js';
import type { LocalAuthorizer, LocalFunction, LocalHttpApi } from '../local/template.js';
import { localRestApiId, readFunctions, readFunctionUrls, readHttpApi, readResources } from '../local/template.js';
import { AuthorizerPool } from './authorizer-pool.js';
import { basic } from './basic-auth.js';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';
import { type IdentityServer, startIdentityServerProcess } from './identity-server.js';
import { type MarkRecorder, startMarkRecorder } from './mark-recorder.js';
import type { SoakSettings } from './settings.js';
import { startTableServer, type TableServer } from './table-server.js';

const STACK_NAME = 'PhantomTokenSoak';
const SECRET_NAME = 'phantom-token/introspection-client';
/** The synthesized endpoint is replaced by the fault proxy's in each run, so the synth is reused across runs. */
const PLACEHOLDER_ENDPOINT = 'http://127.0.0.1:9/phantom/introspection';
/** Likewise the revocation receiver's issuer and its JWKS: the run's identity server's, set in its environment. */
const PLACEHOLDER_ISSUER = { issuer: 'http://127.0.0.1:9', securityEventJwksUri: 'http://127.0.0.1:9/set-jwks' };
/**
 * How long the identity server waits for the receiver's answer to a SET: the receiver answers after
 * its second flush, `memoryTtlSeconds` + 1 s after the first; a retry meanwhile would be refused as a replay.
 */
const SET_ATTEMPT_TIMEOUT_MS = 30_000;

/**
 * The local flow of `npm start`, assembled from the same pieces (local/) with the hooks a soak
 * needs, without changing them: the fault proxy between the authorizer and the OAuth server, the
 * soak's cache and deadline settings in the authorizer's environment and the gateway's results
 * cache TTL, and the authorizer run as a pool of instances that records each invocation. The
 * sample app's synthesized template and esbuild bundles are what run, as in `npm start`. The REST
 * API runs beside the HTTP API when part of the load goes there (`restPercent`). With
 * `--shared-cache`: the sample's table in a local DynamoDB endpoint of its own process, the
 * revocation receiver behind its function URL (its table calls through the mark recorder, which
 * notes when each mark landed), the identity server pushing SETs to it, and the local API Gateway
 * endpoint through which it flushes the REST stage.
 */
/** What `--shared-cache` adds: the table, the receiver, the REST flush, and what they recorded. */
export interface SoakSharedCache {
  /** The local DynamoDB endpoint, in a process of its own. */
  readonly table: TableServer;
  readonly apiGateway: LocalApiGatewayManagement;
  /** When each revocation mark reached the table (the receiver's PutItem answered). */
  readonly marks: MarkRecorder['marks'];
  readonly memoryTtlSeconds: number;
  readonly flushRepeatSeconds: number;
}

export interface SoakStack {
  readonly url: string;
  /** The REST API's stage URL, when the run sends requests there (`restPercent` > 0) or `--shared-cache` flushes it. */
  readonly restUrl: string | undefined;
  /** Whether the REST API's decision cache serves every route (its identity sources are the token alone). */
  readonly restCacheAcrossRoutes: boolean;
  /** With `--shared-cache`. */
  readonly sharedCache: SoakSharedCache | undefined;
  readonly proxy: FaultProxy;
  readonly secrets: LocalSecretsManager;
  readonly pool: AuthorizerPool;
  /** The run's concurrency, shared by every function (its peak and throttles). */
  readonly concurrency: LambdaConcurrency;
  /** The authorizer's asset directory: it names the authorizer processes on their command line. */
  readonly authorizerAssetDir: string;
  readonly oauth: IdentityServer;
  /** API Gateway's cache entry serves every route: the authorizer's identity sources do not name the route. */
  readonly cacheAcrossRoutes: boolean;
  /** Rotates the authorizer's client secret: Secrets Manager gets the new one, then the identity server accepts only it. */
  rotateClientSecret(newSecret: string): void;
  close(): Promise<void>;
}

export async function startSoakStack(
  settings: SoakSettings,
  extraClients: readonly DemoClient[],
  onLog: (instance: number, line: string) => void,
  onProgress: (message: string) => void,
): Promise<SoakStack> {
  const demoClients = [...DEFAULT_DEMO_CLIENTS, ...extraClients];
  const oauth = await startIdentityServerProcess(
    demoClients,
    settings.sharedCache ? { attemptTimeoutMs: SET_ATTEMPT_TIMEOUT_MS } : undefined,
  );
  const cleanup: (() => Promise<void> | void)[] = [() => oauth.close()];
  try {
    const proxy = await startFaultProxy({
      upstream: oauth.phantomIntrospectionEndpoint,
      upstreamAuthorization: basic(DEFAULT_AUTHORIZER_CLIENT.id, DEFAULT_AUTHORIZER_CLIENT.secret),
    });
    cleanup.push(() => proxy.close());
    const secrets = await startLocalSecretsManager();
    cleanup.push(() => secrets.close());
    secrets.put(SECRET_NAME, JSON.stringify({ client_id: DEFAULT_AUTHORIZER_CLIENT.id, client_secret: DEFAULT_AUTHORIZER_CLIENT.secret }));

    const outDir = isAbsolute(settings.outDir) ? settings.outDir : resolve(__dirname, '..', settings.outDir);
    // Two assemblies, so that runs with and without --shared-cache each reuse their own synth.
    const assemblyDir = join(outDir, settings.sharedCache ? 'cdk.out-shared-cache' : 'cdk.out');
    synthesizeSample(
      assemblyDir,
      {
        stackName: STACK_NAME,
        clientCredentialsSecret: SECRET_NAME,
        introspectionEndpoint: PLACEHOLDER_ENDPOINT,
        ...(settings.sharedCache ? sharedCacheContext(PLACEHOLDER_ISSUER) : {}),
      },
      onProgress,
    );
    const resources = readResources(assemblyDir, STACK_NAME);
    const extraEnv: Record<string, string> = { AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint };
    let shared: { table: TableServer; apiGateway: LocalApiGatewayManagement; recorder: MarkRecorder } | undefined;
    if (settings.sharedCache) {
      const table = await startTableServer();
      cleanup.push(() => table.close());
      const recorder = await startMarkRecorder(table.endpoint);
      cleanup.push(() => recorder.close());
      const apiGateway = await startLocalApiGatewayManagement();
      cleanup.push(() => apiGateway.close());
      await table.createTables(resources);
      extraEnv.AWS_ENDPOINT_URL_DYNAMODB = table.endpoint;
      extraEnv.AWS_ENDPOINT_URL_API_GATEWAY = apiGateway.endpoint;
      shared = { table, apiGateway, recorder };
    }
    const concurrency = new LambdaConcurrency(settings.concurrency);
    const runners = new Map<string, LambdaRunner>();
    cleanup.push(() => {
      for (const runner of runners.values()) runner.stop();
    });
    // The sample's function URLs (its HTTP backend, and with --shared-cache the revocation
    // receiver), served locally as npm start serves them, so that the template's Fn::GetAtt …
    // FunctionUrl resolve; the soak's traffic does not call the backend.
    const bundled = readFunctions(resources, assemblyDir);
    const roles = functionRoles(bundled);
    const attributes: Record<string, string> = {};
    let receiverUrl: string | undefined;
    for (const functionUrl of readFunctionUrls(resources)) {
      const fn = bundled.get(functionUrl.functionId);
      if (fn === undefined) throw new Error(`function URL ${functionUrl.logicalId}: no bundled function ${functionUrl.functionId}`);
      const receiver = fn.logicalId === roles.revocationReceiver && shared !== undefined;
      const runner = new LambdaRunner(
        receiver ? soakReceiver(fn, settings, oauth) : fn,
        receiver ? { ...extraEnv, AWS_ENDPOINT_URL_DYNAMODB: shared?.recorder.endpoint as string } : extraEnv,
        () => {},
        { concurrency },
      );
      runners.set(fn.logicalId, runner);
      const server = new LocalFunctionUrl(runner);
      const url = await server.start();
      attributes[`${functionUrl.logicalId}.FunctionUrl`] = url;
      if (receiver) receiverUrl = url;
      cleanup.push(() => server.close());
    }
    if (shared !== undefined) {
      if (receiverUrl === undefined)
        throw new Error('the sample synthesized with sharedCache has no revocation receiver behind a function URL');
      await oauth.setSecurityEventReceiver(receiverUrl);
    }
    const api = soakApi(readHttpApi(assemblyDir, STACK_NAME, 'us-east-1', attributes), settings, proxy.url);
    const authorizerId = [...new Set(api.routes.map((route) => route.authorizer?.functionId).filter((id) => id !== undefined))];
    if (authorizerId.length !== 1) throw new Error(`expected one authorizer function in the sample, found ${authorizerId.length}`);
    let pool: AuthorizerPool | undefined;
    for (const fn of api.functions.values()) {
      if (fn.logicalId === authorizerId[0]) {
        pool = new AuthorizerPool(fn, extraEnv, settings.instances, onLog, concurrency);
        runners.set(fn.logicalId, pool);
      } else if (!runners.has(fn.logicalId)) {
        runners.set(fn.logicalId, new LambdaRunner(fn, extraEnv, () => {}, { concurrency }));
      }
    }
    const gateway = new LocalHttpApiGateway({ api, runners, port: 0 });
    const url = await gateway.start();
    cleanup.push(() => gateway.close());
    const restApi = soakRestApi(readRestApi(assemblyDir, STACK_NAME, 'us-east-1', attributes), settings);
    let restUrl: string | undefined;
    // With --shared-cache the stage runs whatever the traffic, so that the receiver's flushes find it.
    if (settings.restPercent > 0 || settings.sharedCache) {
      const restGateway = new LocalRestApiGateway({ api: restApi, runners, port: 0 });
      restUrl = await restGateway.start();
      cleanup.push(() => restGateway.close());
      // The receiver's REVOCATION_FLUSH_STAGES names the REST API by its Ref, resolved by local/template.ts.
      shared?.apiGateway.register(localRestApiId(restApi.logicalId), restApi.stageName, restGateway);
    }
    // Cold starts before the clock starts, as a deployed API has warm instances: each authorizer
    // instance loads and reads its secret, and the echo function answers once.
    onProgress(`starting ${settings.instances} authorizer instances and the echo function …`);
    await (pool as AuthorizerPool).warm();
    await fetch(`${url}/public`, { signal: AbortSignal.timeout(60_000) }).then((response) => response.arrayBuffer());
    const authorizerFn = api.functions.get(authorizerId[0] as string) as LocalFunction;

    return {
      url,
      restUrl,
      restCacheAcrossRoutes: restApi.methods.every(
        (method) => method.authorizer === undefined || method.authorizer.identitySources.every((source) => !source.startsWith('context.')),
      ),
      sharedCache:
        shared === undefined
          ? undefined
          : {
              table: shared.table,
              apiGateway: shared.apiGateway,
              marks: shared.recorder.marks,
              memoryTtlSeconds: settings.memoryTtlSeconds,
              flushRepeatSeconds: settings.memoryTtlSeconds + 1,
            },
      proxy,
      secrets,
      pool: pool as AuthorizerPool,
      concurrency,
      authorizerAssetDir: authorizerFn.assetDir,
      oauth,
      cacheAcrossRoutes: api.routes.every(
        (route) => route.authorizer === undefined || !route.authorizer.identitySources.includes('$context.routeKey'),
      ),
      rotateClientSecret(newSecret) {
        secrets.put(SECRET_NAME, JSON.stringify({ client_id: DEFAULT_AUTHORIZER_CLIENT.id, client_secret: newSecret }));
        proxy.acceptedAuthorization = basic(DEFAULT_AUTHORIZER_CLIENT.id, newSecret);
      },
      async close() {
        for (const step of cleanup.reverse()) await step();
      },
    };
  } catch (error) {
    for (const step of cleanup.reverse()) await step();
    throw error;
  }
}

/** The synthesized API with the soak's settings: the authorizer's environment and the gateway's results cache TTL. */
function soakApi(api: LocalHttpApi, settings: SoakSettings, introspectionEndpoint: string): LocalHttpApi {
  const authorizers = new Map<LocalAuthorizer, LocalAuthorizer>();
  const routes = api.routes.map((route) => {
    if (route.authorizer === undefined) return route;
    let authorizer = authorizers.get(route.authorizer);
    if (authorizer === undefined) {
      authorizer = { ...route.authorizer, resultTtlSeconds: settings.resultsCacheTtlSeconds };
      authorizers.set(route.authorizer, authorizer);
    }
    return { ...route, authorizer };
  });
  const authorizerIds = new Set([...authorizers.values()].map((authorizer) => authorizer.functionId));
  const functions = new Map(
    [...api.functions].map(([id, fn]) => [
      id,
      authorizerIds.has(id)
        ? {
            ...fn,
            environment: {
              ...fn.environment,
              INTROSPECTION_ENDPOINT: introspectionEndpoint,
              CACHE_MAX_TTL_SECONDS: String(settings.cacheMaxTtlSeconds),
              NEGATIVE_CACHE_TTL_SECONDS: String(settings.negativeCacheTtlSeconds),
              INTROSPECTION_TIMEOUT_MS: String(settings.introspectionTimeoutMs),
              ...(settings.sharedCache
                ? {
                    [ENV.sharedCacheMemoryTtlSeconds]: String(settings.memoryTtlSeconds),
                    [ENV.sharedCacheTimeoutMs]: String(settings.sharedCacheTimeoutMs),
                  }
                : {}),
            },
          }
        : fn,
    ]),
  );
  return { ...api, routes, functions };
}

/** The REST API with the soak's results cache TTL on every authorizer (the function's environment is the HTTP API's: one runner serves both). */
function soakRestApi(api: LocalRestApi, settings: SoakSettings): LocalRestApi {
  return {
    ...api,
    methods: api.methods.map((method) =>
      method.authorizer === undefined
        ? method
        : { ...method, authorizer: { ...method.authorizer, resultTtlSeconds: settings.resultsCacheTtlSeconds } },
    ),
  };
}

/**
 * The revocation receiver with the run's identity server as the SETs' issuer and JWKS, and its
 * second flush `memoryTtlSeconds` + 1 s after the first, as the construct sets it for that bound.
 */
function soakReceiver(fn: LocalFunction, settings: SoakSettings, oauth: IdentityServer): LocalFunction {
  return {
    ...fn,
    environment: {
      ...fn.environment,
      [REVOCATION_ENV.issuer]: oauth.issuer,
      [REVOCATION_ENV.jwksUri]: oauth.securityEventJwksUri,
      [REVOCATION_ENV.flushRepeatSeconds]: String(settings.memoryTtlSeconds + 1),
    },
  };
}
