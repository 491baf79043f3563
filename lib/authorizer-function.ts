import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Lazy } from 'aws-cdk-lib';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, type IFunction, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { DEFAULTS, ENV } from '../lambda/environment.js';
import { AUTHORIZER_BUNDLE } from './bundle-settings.js';
import type { PhantomTokenAuthorizerProps } from './props.js';

/** What {@link createAuthorizerFunction} builds. */
export interface AuthorizerFunction {
  readonly function: IFunction;
  readonly clientCredentialsSecret: ISecret;
}

/**
 * The authorizer function with its log group, its own role and read access to the client-credentials
 * secret. `routeScopesJson` is read at synth time, when every route has declared its scopes.
 */
export function createAuthorizerFunction(
  scope: Construct,
  props: PhantomTokenAuthorizerProps,
  routeScopesJson: () => string,
): AuthorizerFunction {
  const clientCredentialsSecret = resolveSecret(scope, props.clientCredentialsSecret);
  const introspectionTimeout = props.introspectionTimeout ?? Duration.millis(DEFAULTS.introspectionTimeoutMs);
  const environment: Record<string, string> = {
    [ENV.introspectionEndpoint]: props.introspectionEndpoint,
    // A name is passed as given: Secrets Manager reads "-abcdef" at the end of a partial ARN as
    // its random suffix, so a name like "introspection-client" only resolves by name.
    [ENV.clientCredentialsSecret]:
      typeof props.clientCredentialsSecret === 'string'
        ? props.clientCredentialsSecret
        : (clientCredentialsSecret.secretFullArn ?? clientCredentialsSecret.secretName),
    [ENV.introspectionResponseType]: props.introspectionResponseType ?? DEFAULTS.introspectionResponseType,
    [ENV.realm]: props.realm ?? DEFAULTS.realm,
    [ENV.cacheMaxTtlSeconds]: String(seconds(props.cacheMaxTtl, DEFAULTS.cacheMaxTtlSeconds)),
    [ENV.cacheMaxEntries]: String(props.cacheMaxEntries ?? DEFAULTS.cacheMaxEntries),
    [ENV.negativeCacheTtlSeconds]: String(seconds(props.negativeCacheTtl, DEFAULTS.negativeCacheTtlSeconds)),
    [ENV.introspectionTimeoutMs]: String(introspectionTimeout.toMilliseconds()),
    [ENV.secretRefreshSeconds]: String(seconds(props.secretRefreshInterval, DEFAULTS.secretRefreshSeconds)),
    [ENV.routeScopes]: Lazy.string({ produce: routeScopesJson }),
  };
  if (props.jwksUri !== undefined) environment[ENV.jwksUri] = props.jwksUri;
  if (props.issuer !== undefined) environment[ENV.issuer] = props.issuer;

  const logGroup = new LogGroup(scope, 'LogGroup', { retention: props.logRetention ?? RetentionDays.ONE_MONTH });
  // A role of its own: write to its log group and read its secret, nothing more (no
  // AWS-managed policy; a function in a VPC also needs the ENI permissions AWS manages).
  const role = new Role(scope, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  logGroup.grantWrite(role);
  if (props.vpc !== undefined)
    role.addManagedPolicy(ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'));
  const functionProps = {
    description: 'Phantom token authorizer: exchanges opaque access tokens for JWTs by OAuth introspection',
    runtime: Runtime.NODEJS_24_X,
    architecture: props.architecture ?? Architecture.ARM_64,
    memorySize: props.memorySize ?? 512,
    timeout: Duration.millis(introspectionTimeout.toMilliseconds() * 2 + 1_000),
    environment,
    logGroup,
    role,
    vpc: props.vpc,
    vpcSubnets: props.vpcSubnets,
    securityGroups: props.securityGroups,
  };
  const source = handlerSource();
  const fn =
    source === undefined
      ? new LambdaFunction(scope, 'Function', { ...functionProps, code: Code.fromAsset(prebuiltAsset()), handler: 'index.handler' })
      : new NodejsFunction(scope, 'Function', {
          ...functionProps,
          entry: source,
          handler: 'handler',
          bundling: {
            target: AUTHORIZER_BUNDLE.target,
            format: OutputFormat.CJS,
            minify: AUTHORIZER_BUNDLE.minify,
            sourceMap: AUTHORIZER_BUNDLE.sourcemap,
            mainFields: [...AUTHORIZER_BUNDLE.mainFields],
            externalModules: [...AUTHORIZER_BUNDLE.external],
            forceDockerBundling: false,
          },
        });
  clientCredentialsSecret.grantRead(fn);
  return { function: fn, clientCredentialsSecret };
}

function seconds(duration: Duration | undefined, fallback: number): number {
  return duration === undefined ? fallback : duration.toSeconds();
}

function resolveSecret(scope: Construct, secret: ISecret | string): ISecret {
  if (typeof secret !== 'string') return secret;
  if (secret.startsWith('arn:')) {
    // A complete ARN ends in the 6-character suffix Secrets Manager appends to the name.
    return /-[A-Za-z0-9]{6}$/.test(secret)
      ? Secret.fromSecretCompleteArn(scope, 'ClientCredentialsSecret', secret)
      : Secret.fromSecretPartialArn(scope, 'ClientCredentialsSecret', secret);
  }
  return Secret.fromSecretNameV2(scope, 'ClientCredentialsSecret', secret);
}

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The handler's TypeScript source when this construct runs from this repository's sources
 * (tests, sample app, local flow): it is bundled by the project's own esbuild. A published
 * package has no sources and uses {@link prebuiltAsset}.
 */
function handlerSource(): string | undefined {
  const entry = join(here, '..', 'lambda', 'handler.ts');
  return existsSync(entry) ? entry : undefined;
}

/** The authorizer bundled at package build time (`npm run build`), shipped inside the package. */
function prebuiltAsset(): string {
  const dir = join(here, '..', '..', 'assets', 'authorizer');
  if (!existsSync(join(dir, 'index.js'))) {
    throw new Error(`the prebuilt authorizer is missing from ${dir}: the package was not built with "npm run build"`);
  }
  return dir;
}
