import { isAbsolute, join, resolve } from 'node:path';
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
import { synthesizeSample } from './synth.js';
import { readFunctions, readFunctionUrls, readHttpApi, readResources } from './template.js';

export const LOCAL_SECRET_NAME = 'phantom-token/introspection-client';
const STACK_NAME = 'PhantomTokenLocal';

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
  /** Each line the functions print (the authorizer's decision lines among them). */
  readonly onLog?: (source: string, line: string) => void;
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
    synthesizeSample(assemblyDir, { stackName: STACK_NAME, clientCredentialsSecret: LOCAL_SECRET_NAME, ...context }, progress);
    const resources = readResources(assemblyDir, STACK_NAME);
    // One runner per function, shared by both gateways and the function URL; instances start on demand, within one concurrency.
    const concurrency = options.concurrency === undefined ? sharedConcurrency() : new LambdaConcurrency(options.concurrency);
    const runners = new Map(
      [...readFunctions(resources, assemblyDir).values()].map((fn) => [
        fn.logicalId,
        new LambdaRunner(fn, { AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint }, (line) => options.onLog?.(fn.logicalId, line), {
          concurrency,
        }),
      ]),
    );
    cleanup.push(() => {
      for (const runner of runners.values()) runner.stop();
    });
    // Function URLs exist once deployed: local servers stand in for them, and the templates' Fn::GetAtt … FunctionUrl resolve to them.
    const attributes: Record<string, string> = {};
    for (const functionUrl of readFunctionUrls(resources)) {
      const runner = runners.get(functionUrl.functionId);
      if (runner === undefined) throw new Error(`function URL ${functionUrl.logicalId}: no bundled function ${functionUrl.functionId}`);
      const server = new LocalFunctionUrl(runner);
      attributes[`${functionUrl.logicalId}.FunctionUrl`] = await server.start();
      cleanup.push(() => server.close());
    }
    const [backendUrl = ''] = Object.values(attributes);

    const gateway = new LocalHttpApiGateway({
      api: readHttpApi(assemblyDir, STACK_NAME, 'us-east-1', attributes),
      runners,
      port: options.port ?? 3000,
      wildcardReading: options.wildcardReading,
    });
    const url = await gateway.start();
    cleanup.push(() => gateway.close());
    const restGateway = new LocalRestApiGateway({
      api: readRestApi(assemblyDir, STACK_NAME, 'us-east-1', attributes),
      runners,
      port: options.restPort ?? 3002,
      wildcardReading: options.wildcardReading,
    });
    const restUrl = await restGateway.start();
    cleanup.push(() => restGateway.close());
    return {
      gateway,
      restGateway,
      oauth,
      secrets,
      url,
      restUrl,
      backendUrl,
      concurrency,
      async close() {
        for (const step of cleanup.reverse()) await step();
      },
    };
  } catch (error) {
    for (const step of cleanup.reverse()) await step();
    throw error;
  }
}

export { DEFAULT_DEMO_CLIENT };
