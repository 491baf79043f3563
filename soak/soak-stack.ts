import { isAbsolute, join, resolve } from 'node:path';
import { LocalHttpApiGateway } from '../local/http-api-gateway.js';
import { LambdaConcurrency } from '../local/lambda-concurrency.js';
import { LocalFunctionUrl } from '../local/lambda-function-url.js';
import { LambdaRunner } from '../local/lambda-runner.js';
import { DEFAULT_AUTHORIZER_CLIENT, DEFAULT_DEMO_CLIENTS, type DemoClient } from '../local/oauth-server.js';
import { type LocalSecretsManager, startLocalSecretsManager } from '../local/secrets-manager.js';
import { synthesizeSample } from '../local/synth.js';
import type { LocalAuthorizer, LocalFunction, LocalHttpApi } from '../local/template.js';
import { readFunctions, readFunctionUrls, readHttpApi, readResources } from '../local/template.js';
import { AuthorizerPool } from './authorizer-pool.js';
import { basic } from './basic-auth.js';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';
import { type IdentityServer, startIdentityServerProcess } from './identity-server.js';
import type { SoakSettings } from './settings.js';

const STACK_NAME = 'PhantomTokenSoak';
const SECRET_NAME = 'phantom-token/introspection-client';
/** The synthesized endpoint is replaced by the fault proxy's in each run, so the synth is reused across runs. */
const PLACEHOLDER_ENDPOINT = 'http://127.0.0.1:9/phantom/introspection';

/**
 * The local flow of `npm start`, assembled from the same pieces (local/) with the hooks a soak
 * needs, without changing them: the fault proxy between the authorizer and the OAuth server, the
 * soak's cache and deadline settings in the authorizer's environment and the gateway's results
 * cache TTL, and the authorizer run as a pool of instances that records each invocation. The
 * sample app's synthesized template and esbuild bundles are what run, as in `npm start`.
 */
export interface SoakStack {
  readonly url: string;
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
  const oauth = await startIdentityServerProcess(demoClients);
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
    const assemblyDir = join(outDir, 'cdk.out');
    synthesizeSample(
      assemblyDir,
      { stackName: STACK_NAME, clientCredentialsSecret: SECRET_NAME, introspectionEndpoint: PLACEHOLDER_ENDPOINT },
      onProgress,
    );
    const extraEnv = { AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint };
    const concurrency = new LambdaConcurrency(settings.concurrency);
    const runners = new Map<string, LambdaRunner>();
    cleanup.push(() => {
      for (const runner of runners.values()) runner.stop();
    });
    // The sample's function URLs (its HTTP backend), served locally as npm start serves them, so
    // that the template's Fn::GetAtt … FunctionUrl resolve; the soak's traffic does not call them.
    const resources = readResources(assemblyDir, STACK_NAME);
    const bundled = readFunctions(resources, assemblyDir);
    const attributes: Record<string, string> = {};
    for (const functionUrl of readFunctionUrls(resources)) {
      const fn = bundled.get(functionUrl.functionId);
      if (fn === undefined) throw new Error(`function URL ${functionUrl.logicalId}: no bundled function ${functionUrl.functionId}`);
      const runner = new LambdaRunner(fn, extraEnv, () => {}, { concurrency });
      runners.set(fn.logicalId, runner);
      const server = new LocalFunctionUrl(runner);
      attributes[`${functionUrl.logicalId}.FunctionUrl`] = await server.start();
      cleanup.push(() => server.close());
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
    // Cold starts before the clock starts, as a deployed API has warm instances: each authorizer
    // instance loads and reads its secret, and the echo function answers once.
    onProgress(`starting ${settings.instances} authorizer instances and the echo function …`);
    await (pool as AuthorizerPool).warm();
    await fetch(`${url}/public`, { signal: AbortSignal.timeout(60_000) }).then((response) => response.arrayBuffer());
    const authorizerFn = api.functions.get(authorizerId[0] as string) as LocalFunction;

    return {
      url,
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
            },
          }
        : fn,
    ]),
  );
  return { ...api, routes, functions };
}
