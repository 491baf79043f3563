import { Annotations, ArnFormat, Aspects, Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnStage, type IRestApi } from 'aws-cdk-lib/aws-apigateway';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, FunctionUrlAuthType, type Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';
import { DEFAULTS, ENV, MAX_FLUSH_STAGES, REVOCATION_ENV } from '../lambda/environment.js';
import { KEY_PREFIX, RECEIVER_ATTRIBUTES } from '../lambda/shared-cache/table-format.js';
import { sameApiId, stacksReferencedBy } from './api-identity.js';
import { bundledFunction, REVOCATION_RECEIVER_ENTRY } from './bundled-function.js';
import { metricsTarget } from './decision-metrics.js';
import type { PhantomTokenAuthorizerProps } from './props.js';
import { grantItems, type SharedCacheTable } from './shared-cache.js';
import { grantVpcAccess } from './vpc-access.js';

/**
 * Options of the revocation receiver (`PhantomTokenAuthorizerProps.revocation`): a function of
 * its own behind a Lambda function URL, to which the identity server pushes a Security Event
 * Token (RFC 8417, delivered by RFC 8935 push) when it revokes an access token. The receiver
 * verifies the SET's signature against `jwksUri`, its `iss` and `aud`, refuses a replayed one,
 * and marks the token revoked in the shared cache's table: every instance honours the mark at its
 * next table read (within `sharedCache.memoryTtl`). Needs `sharedCache`.
 *
 * @example
 * new PhantomTokenAuthorizer(this, 'PhantomToken', {
 *   introspectionEndpoint: 'https://login.example.com/oauth/v2/oauth-introspect',
 *   clientCredentialsSecretName: 'phantom-token/introspection-client',
 *   sharedCache: {},
 *   revocation: {
 *     issuer: 'https://login.example.com/oauth/v2/oauth-anonymous',
 *     jwksUri: 'https://login.example.com/oauth/v2/oauth-anonymous/jwks',
 *     audience: 'https://api.example.com/revocation',
 *   },
 * });
 */
export interface RevocationOptions {
  /**
   * The `iss` every Security Event Token must carry: the identity server's issuer, compared exactly.
   * @example 'https://login.example.com/oauth/v2/oauth-anonymous'
   */
  readonly issuer: string;

  /**
   * The JWKS the identity server signs its Security Event Tokens with. https; plain http only for
   * 127.0.0.1 or localhost (local development).
   * @example 'https://login.example.com/oauth/v2/oauth-anonymous/jwks'
   */
  readonly jwksUri: string;

  /**
   * The `aud` every Security Event Token must hold: the name the identity server knows this
   * receiver by, compared exactly.
   * @example 'https://api.example.com/revocation'
   */
  readonly audience: string;

  /**
   * Whether each revocation also flushes API Gateway's authorizer cache
   * (`FlushStageAuthorizersCache`) of the REST API stages the construct wires, where the app
   * knows a stage (one defined in the app, such as `RestApi`'s `deploymentStage`), so a cached
   * allow of the revoked token ends at once instead of within `resultsCacheTtl`. The receiver
   * flushes once and answers; with a `sharedCache.memoryTtl` above 0 it flushes again that long
   * plus one second later (an answer made from an instance's memory just before the mark reached it
   * is not cached anew) and answers only then. The function may flush
   * those stages' authorizer caches and nothing else; at most 20 stages (synthesis fails past
   * them). A stage in a stack that uses this construct's function (an API stack depending on the
   * authorizer's stack) cannot be referenced and is left out, with a warning. HTTP APIs have no
   * flush: there a revoked token passes for up to `resultsCacheTtl` more.
   * @default true
   */
  readonly flushRestApiCaches?: boolean;

  /**
   * The receiver's reserved concurrency, 1 to 1000: its function URL is public (the SET's
   * signature authenticates the sender), so this bounds what a flood of forged events can cost
   * and take from the account's concurrency. Revocations are rare and an RFC 8935 transmitter
   * retries a delivery that is throttled. An account whose unreserved concurrency would fall
   * below its minimum (10; new accounts may have a total of 10) cannot reserve any.
   * @default 5
   */
  readonly reservedConcurrency?: number;
}

/** What `createRevocationReceiver` needs of the construct. */
export interface RevocationReceiverContext {
  readonly options: RevocationOptions;
  readonly props: PhantomTokenAuthorizerProps;
  readonly sharedCache: SharedCacheTable;
  /** The REST APIs the construct wires, each as the objects it was given (an API and its imports). Read at synthesis. */
  readonly restApis: () => readonly (readonly IRestApi[])[];
  /** Stacks the construct's stack already depends on (`apiAudiences`): their stages may be referenced. */
  readonly dependedOnStacks: ReadonlySet<Stack>;
}

/** What `createRevocationReceiver` builds. */
export interface RevocationReceiver {
  readonly function: LambdaFunction;
  /** The function URL the identity server pushes to. */
  readonly url: string;
}

/** `REVOCATION_TIMEOUT_MS`: the deadline of each call to the table, the JWKS and API Gateway, set explicitly so the function's timeout is computed from the value it runs with. */
export const RECEIVER_CALL_TIMEOUT_MS = DEFAULTS.revocationTimeoutMs;

/** The receiver's memory, MiB: one signature check and two writes per event; no cache to hold. */
const RECEIVER_MEMORY_MIB = 256;

/** One REST stage whose authorizer cache the receiver flushes. */
interface FlushedStage {
  readonly restApiId: string;
  readonly stage: string;
}

/**
 * The revocation receiver: its own function (its own role and log group), a public function URL
 * (authType NONE, no CORS: the SET's signature authenticates the sender, and no browser calls it),
 * `dynamodb:PutItem` on the shared table for `token#` and `set#` items only, and `apigateway:DELETE`
 * on the authorizer cache of each REST stage it flushes, found at synthesis.
 */
export function createRevocationReceiver(owner: Construct, context: RevocationReceiverContext): RevocationReceiver {
  const { options, props, sharedCache } = context;
  const scope = new Construct(owner, 'RevocationReceiver');
  const logGroup = new LogGroup(scope, 'LogGroup', {
    retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
  });
  const role = new Role(scope, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  logGroup.grantWrite(role);
  // With no memory bound one flush suffices (0: the receiver flushes once and answers at once).
  const flushRepeatSeconds = sharedCache.memoryTtlSeconds > 0 ? sharedCache.memoryTtlSeconds + 1 : 0;
  // The authorizer's namespace, its own service: its lines' totalMs never mixes with the decisions'.
  const metrics = metricsTarget(owner, props);
  const environment: Record<string, string> = {
    [ENV.metricsNamespace]: metrics.namespace,
    [ENV.serviceName]: `${metrics.service}/revocation`,
    [REVOCATION_ENV.issuer]: options.issuer,
    [REVOCATION_ENV.jwksUri]: options.jwksUri,
    [REVOCATION_ENV.audience]: options.audience,
    [REVOCATION_ENV.table]: sharedCache.reference,
    [REVOCATION_ENV.flushRepeatSeconds]: String(flushRepeatSeconds),
    [REVOCATION_ENV.timeoutMs]: String(RECEIVER_CALL_TIMEOUT_MS),
  };
  const fn = bundledFunction(scope, 'Function', REVOCATION_RECEIVER_ENTRY, {
    description: 'Phantom token revocation receiver: marks tokens revoked by Security Event Tokens (RFC 8417, RFC 8935 push)',
    runtime: Runtime.NODEJS_24_X,
    architecture: props.architecture ?? Architecture.ARM_64,
    memorySize: RECEIVER_MEMORY_MIB,
    timeout: receiverTimeout(flushRepeatSeconds),
    reservedConcurrentExecutions: options.reservedConcurrency ?? 5,
    environment,
    logGroup,
    role,
    // In the authorizer's network: the JWKS is usually on the same, possibly private, identity server.
    vpc: props.vpc,
    vpcSubnets: props.vpcSubnets,
    securityGroups: props.securityGroups,
  });
  if (props.vpc !== undefined) grantVpcAccess(scope, role, fn);
  const url = fn.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
  grantItems(role, sharedCache.table, ['dynamodb:PutItem'], [KEY_PREFIX.token, KEY_PREFIX.securityEvent], RECEIVER_ATTRIBUTES);

  if (options.flushRestApiCaches ?? true) {
    let stages: FlushedStage[] | undefined;
    fn.addEnvironment(REVOCATION_ENV.flushStages, Lazy.string({ produce: () => Stack.of(fn).toJsonString(stages ?? []) }));
    // At synthesis: every stage of the wired REST APIs is known then, whenever it was added.
    Aspects.of(scope).add({
      visit: (node) => {
        if (node !== scope || stages !== undefined) return;
        stages = flushedStages(scope, context);
        const stack = Stack.of(scope);
        if (stages.length > 0) {
          role.addToPrincipalPolicy(
            new PolicyStatement({
              actions: ['apigateway:DELETE'],
              resources: stages.map(({ restApiId, stage }) =>
                stack.formatArn({
                  service: 'apigateway',
                  account: '',
                  resource: `/restapis/${restApiId}/stages/${stage}/cache/authorizers`,
                  arnFormat: ArnFormat.NO_RESOURCE_NAME,
                }),
              ),
            }),
          );
        }
      },
    });
    scope.node.addValidation({
      validate: () =>
        stages !== undefined && stages.length > MAX_FLUSH_STAGES
          ? [
              `revocation.flushRestApiCaches: the wired REST APIs have ${stages.length} stages, more than the ${MAX_FLUSH_STAGES} the revocation receiver flushes; ` +
                'set flushRestApiCaches: false (revoked tokens then pass for up to resultsCacheTtl on REST stages), or wire fewer stages to this construct',
            ]
          : [],
    });
  }
  return { function: fn, url: url.url };
}

/**
 * Room for every step of one event, one after another, each call within `REVOCATION_TIMEOUT_MS`:
 * the JWKS (twice, when an unknown key makes it fetch again), the token's mark and the SET's
 * record, and two rounds of flushes (the stages of a round are flushed together) with the repeat
 * delay between them; plus one second, rounded up to whole seconds.
 */
export function receiverTimeout(flushRepeatSeconds: number): Duration {
  const calls = 6;
  return Duration.seconds(Math.ceil(flushRepeatSeconds + (calls * RECEIVER_CALL_TIMEOUT_MS) / 1_000 + 1));
}

/**
 * The stages of the wired REST APIs the app defines (`AWS::ApiGateway::Stage` resources whose API
 * id names the API, in the receiver's account and region) that the receiver's stack can reference:
 * its own, its nested stacks' and those it already depends on. A stage in a stack that depends on
 * the receiver's (an API stack using this authorizer) would make a cycle: it is left out, with a
 * warning, as is an API with no stage the app knows.
 */
function flushedStages(scope: Construct, context: RevocationReceiverContext): FlushedStage[] {
  const home = Stack.of(scope);
  const root = scope.node.root;
  const allStages = root.node.findAll().filter((node): node is CfnStage => node instanceof CfnStage);
  const found: FlushedStage[] = [];
  const seen = new Set<CfnStage>();
  for (const aliases of context.restApis()) {
    const first = aliases[0];
    if (first === undefined) continue;
    const stages = allStages.filter((stage) => {
      const stack = Stack.of(stage);
      return (
        stack.account === Stack.of(first).account &&
        stack.region === Stack.of(first).region &&
        sameApiId(stack, stage.restApiId, first.restApiId)
      );
    });
    if (stages.length === 0) {
      warn(
        first,
        'no-stage',
        `revocation.flushRestApiCaches: no stage of ${first.node.path} is defined in this app, so no authorizer cache of it is flushed on revocation; ` +
          'a revoked token passes there for up to resultsCacheTtl more (define the stage in the app, or set a shorter TTL for this API)',
      );
    }
    for (const stage of stages) {
      if (seen.has(stage)) continue;
      seen.add(stage);
      const stack = Stack.of(stage);
      const stageName = stage.stageName;
      if (stageName === undefined) continue;
      if (stack.account !== home.account || stack.region !== home.region) {
        warn(
          stage,
          'other-environment',
          `revocation.flushRestApiCaches: ${stage.node.path} is in another account or region than the revocation receiver, which cannot flush it`,
        );
        continue;
      }
      const unreachable = [...stacksReferencedBy([stage.restApiId, stageName], home)].filter(
        (other) => !nestedIn(other, home) && !context.dependedOnStacks.has(other),
      );
      if (unreachable.length > 0) {
        warn(
          stage,
          'dependent-stack',
          `revocation.flushRestApiCaches: ${stage.node.path} is in ${unreachable.map((other) => other.node.path).join(', ')}, which depends on ` +
            `${home.node.path} (its authorizer uses this function), so the receiver cannot reference it and does not flush it; ` +
            'a revoked token passes there for up to resultsCacheTtl more',
        );
        continue;
      }
      found.push({ restApiId: stage.restApiId, stage: stageName });
    }
  }
  return found;
}

/** Whether `stack` is `home` or one of its nested stacks, at any depth. */
function nestedIn(stack: Stack, home: Stack): boolean {
  for (let current: Stack | undefined = stack; current !== undefined; current = current.nestedStackParent) {
    if (current === home) return true;
  }
  return false;
}

function warn(scope: IConstruct, id: string, message: string): void {
  Annotations.of(scope).addWarningV2(`phantom-token:revocation-flush-${id}`, message);
}
