import { Arn, ArnFormat, Duration, RemovalPolicy, Resource, Stack, Token, Validations } from 'aws-cdk-lib';
import { type IRole, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type Function as LambdaFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { type ILogGroup, LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { DEFAULTS, ENV } from '../lambda/environment.js';
import { AUTHORIZER_ENTRY, bundledFunction } from './bundled-function.js';
import { metricsTarget } from './decision-metrics.js';
import { createDpopReplayTable } from './dpop-replay-table.js';
import type { PhantomTokenAuthorizerProps } from './props.js';
import { senderConstraintEnvironment } from './sender-constrained-tokens.js';
import { grantVpcAccess } from './vpc-access.js';

/** What `createAuthorizerFunction` builds. */
export interface AuthorizerFunction {
  readonly function: LambdaFunction;
  readonly role: IRole;
  readonly logGroup: ILogGroup;
  readonly clientCredentialsSecret: ISecret;
}

/**
 * The authorizer function with its log group, its own role and read access to the client-credentials
 * secret. The routes reach it as a file (lib/route-table-layer.ts), not in the environment.
 */
export function createAuthorizerFunction(scope: Construct, props: PhantomTokenAuthorizerProps, functionName?: string): AuthorizerFunction {
  const secret = resolveSecret(scope, secretOf(props));
  const introspectionTimeout = props.introspectionTimeout ?? Duration.millis(DEFAULTS.introspectionTimeoutMs);
  const metrics = metricsTarget(scope, props);
  const environment: Record<string, string> = {
    [ENV.introspectionEndpoint]: props.introspectionEndpoint,
    [ENV.clientCredentialsSecret]: secret.secretId,
    [ENV.introspectionResponseType]: props.introspectionResponseType ?? DEFAULTS.introspectionResponseType,
    [ENV.realm]: props.realm ?? DEFAULTS.realm,
    [ENV.cacheMaxTtlSeconds]: String(seconds(props.cacheMaxTtl, DEFAULTS.cacheMaxTtlSeconds)),
    [ENV.cacheMaxEntries]: String(props.cacheMaxEntries ?? DEFAULTS.cacheMaxEntries),
    [ENV.negativeCacheTtlSeconds]: String(seconds(props.negativeCacheTtl, DEFAULTS.negativeCacheTtlSeconds)),
    [ENV.introspectionTimeoutMs]: String(introspectionTimeout.toMilliseconds()),
    [ENV.secretRefreshSeconds]: String(seconds(props.secretRefreshInterval, DEFAULTS.secretRefreshSeconds)),
    [ENV.metricsNamespace]: metrics.namespace,
    [ENV.serviceName]: metrics.service,
    ...senderConstraintEnvironment(props),
  };
  if (props.jwksUri !== undefined) environment[ENV.jwksUri] = props.jwksUri;
  if (props.issuer !== undefined) environment[ENV.issuer] = props.issuer;
  if (props.audience !== undefined) environment[ENV.audience] = props.audience;
  if (props.apiAudiences !== undefined) environment[ENV.apiAudiences] = Stack.of(scope).toJsonString(props.apiAudiences);

  const logGroup =
    props.logGroup ??
    new LogGroup(scope, 'LogGroup', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
  // A role of its own: write to its log group and read its secret, nothing more (no AWS-managed
  // policy; a function in a VPC gets scoped network-interface statements: lib/vpc-access.ts).
  const role = new Role(scope, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  logGroup.grantWrite(role);
  // cdk-nag (AwsSolutions) findings of what the construct chose, each with its reason, scoped to this role.
  if (props.tracing === Tracing.ACTIVE || props.tracing === Tracing.PASS_THROUGH) {
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (Resource "*").',
    });
  }
  const functionProps = {
    description: 'Phantom token authorizer: exchanges opaque access tokens for JWTs by OAuth introspection',
    functionName,
    runtime: Runtime.NODEJS_24_X,
    architecture: props.architecture ?? Architecture.ARM_64,
    // Chosen from measured cold-start CPU time against Lambda's CPU share and price (README, "Cold start").
    memorySize: props.memorySize ?? 1024,
    timeout: functionTimeout(introspectionTimeout),
    environment,
    logGroup,
    role,
    vpc: props.vpc,
    vpcSubnets: props.vpcSubnets,
    securityGroups: props.securityGroups,
    tracing: props.tracing,
  };
  const fn = bundledFunction(scope, 'Function', AUTHORIZER_ENTRY, functionProps);
  if (props.vpc !== undefined) grantVpcAccess(scope, role, fn);
  grantSecretRead(role, secret);
  if (props.sharedDpopReplayStore === true) createDpopReplayTable(scope, fn, role, props.pointInTimeRecovery === true);
  return { function: fn, role, logGroup, clientCredentialsSecret: secret.secret };
}

/**
 * Twice the introspection deadline (room for one retry after a credentials rotation) plus one
 * second, rounded up to whole seconds: Lambda timeouts are whole seconds.
 */
export function functionTimeout(introspectionTimeout: Duration): Duration {
  return Duration.seconds(Math.ceil((introspectionTimeout.toMilliseconds() * 2 + 1_000) / 1_000));
}

function seconds(duration: Duration | undefined, fallback: number): number {
  return duration === undefined ? fallback : duration.toSeconds();
}

/** The client-credentials secret as one of its three props gives it. */
export type GivenSecret =
  | { readonly kind: 'secret'; readonly secret: ISecret }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'arn'; readonly arn: string };

/** The one client-credentials secret prop given (`validateProps` checked there is exactly one). */
function secretOf(props: PhantomTokenAuthorizerProps): GivenSecret {
  if (props.clientCredentialsSecret !== undefined) return { kind: 'secret', secret: props.clientCredentialsSecret };
  if (props.clientCredentialsSecretName !== undefined) return { kind: 'name', name: props.clientCredentialsSecretName };
  return { kind: 'arn', arn: props.clientCredentialsSecretArn as string };
}

/** The random suffix Secrets Manager appends to a secret's name in its ARN: a hyphen and six letters or digits. */
const RANDOM_SUFFIX = /-[A-Za-z0-9]{6}$/;

/** The client-credentials secret as the function addresses it and as its role may read it. */
export interface SecretReference {
  readonly secret: ISecret;
  /** `CLIENT_CREDENTIALS_SECRET`: what the function passes to GetSecretValue as `SecretId`. */
  readonly secretId: string;
  /** ARN patterns the role may read besides what `secret.grantRead` grants. */
  readonly alsoReadable: readonly string[];
}

/**
 * How each prop addresses the secret (`clientCredentialsSecret`, `…Name`, `…Arn`). Secrets Manager's rules (GetSecretValue,
 * `SecretId`): a name is looked up in the caller's own account and region; an ARN names its
 * account and region; a partial ARN (without the "-" and six random characters) is matched to
 * the one secret it prefixes, but a partial ARN that itself ends in "-" and six characters is
 * read as a complete ARN. IAM matches the real secret's complete ARN, hence `name-??????` for a
 * name or partial ARN.
 */
export function resolveSecret(scope: Construct, given: GivenSecret): SecretReference {
  const id = 'ClientCredentialsSecret';
  if (given.kind === 'secret') return { secret: given.secret, secretId: secretIdOf(scope, given.secret), alsoReadable: [] };
  if (given.kind === 'name') {
    // A name, in the stack's account and region: passed as given, never as a partial ARN, so a
    // name that ends in "-" and six characters still resolves.
    return { secret: Secret.fromSecretNameV2(scope, id, given.name), secretId: given.name, alsoReadable: [] };
  }
  const { arn } = given;
  if (RANDOM_SUFFIX.test(arn)) {
    // Complete, or partial for a name that ends like a suffix (`…:secret:team/introspection-client`):
    // the string cannot tell, so the role may read both the ARN itself and ARN-??????. The function
    // passes it as given, which Secrets Manager reads as complete. Exact grants: pass an ISecret.
    return { secret: Secret.fromSecretCompleteArn(scope, id, arn), secretId: arn, alsoReadable: [`${arn}-??????`] };
  }
  const secret = Secret.fromSecretPartialArn(scope, id, arn);
  return { secret, secretId: secretIdOf(scope, secret), alsoReadable: [] };
}

/**
 * `SecretId` for an `ISecret`: its complete ARN when known; for a partial ARN, the name when the
 * secret is in the stack's own account and region (a name has no "-xxxxxx" trap), else the partial
 * ARN, which alone reaches another account or region.
 */
function secretIdOf(scope: Construct, secret: ISecret): string {
  if (secret.secretFullArn !== undefined) return secret.secretFullArn;
  if (Token.isUnresolved(secret.secretArn)) {
    // Built by CDK from the stack's own account and region (Secret.fromSecretNameV2).
    return Token.isUnresolved(secret.secretName) ? secret.secretArn : secret.secretName;
  }
  const stack = Stack.of(scope);
  const arn = Arn.split(secret.secretArn, ArnFormat.COLON_RESOURCE_NAME);
  const local = arn.account === stack.account && arn.region === stack.region;
  // The name is the whole resource of a partial ARN (ISecret.secretName drops a trailing "-xxxxxx" as if it were the suffix).
  return local && arn.resourceName !== undefined ? arn.resourceName : secret.secretArn;
}

/**
 * Read access to the secret, and `kms:Decrypt` with its customer-managed key. `grantRead` asks
 * the key to trust the role through Secrets Manager; a key created in this app takes that into
 * its key policy, but an imported key (`Key.fromKeyArn`) cannot, so the grant would be lost and
 * every read fail with KMS AccessDenied. For those the role itself is granted `kms:Decrypt` on
 * the key, through Secrets Manager in this region and for this secret only (the key policy must
 * let the account's IAM policies grant it: the default key policy does).
 */
function grantSecretRead(role: IRole, reference: SecretReference): void {
  const { secret } = reference;
  secret.grantRead(role);
  if (reference.alsoReadable.length > 0) {
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [...reference.alsoReadable],
      }),
    );
  }
  const key = secret.encryptionKey;
  if (key === undefined || Resource.isOwnedResource(key)) return;
  // Secrets Manager asks KMS with the secret's complete ARN as encryption context.
  const viaService = { 'kms:ViaService': `secretsmanager.${Stack.of(role).region}.amazonaws.com` };
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['kms:Decrypt'],
      resources: [key.keyArn],
      conditions:
        secret.secretFullArn !== undefined
          ? { StringEquals: { ...viaService, 'kms:EncryptionContext:SecretARN': secret.secretFullArn } }
          : { StringEquals: viaService, StringLike: { 'kms:EncryptionContext:SecretARN': `${secret.secretArn}-??????` } },
    }),
  );
}

/** Kept here for its callers: the prebuilt asset as code, without its source map (lib/bundled-function.ts). */
export { prebuiltCode } from './bundled-function.js';
