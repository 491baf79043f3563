import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import type { Architecture, Tracing } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { PhantomTokenAlarmThresholds } from './alarms.js';
import type { CachedAnswerSharing } from './cached-answer-sharing.js';
import type { DpopAlgorithm } from './dpop-algorithm.js';
import type { IntrospectionResponseType } from './introspection-response-type.js';
import type { RevocationOptions } from './revocation-receiver.js';
import type { SharedCacheOptions } from './shared-cache.js';

/** Properties of `PhantomTokenAuthorizer`. */
export interface PhantomTokenAuthorizerProps {
  /**
   * The OAuth server's introspection endpoint (RFC 7662). https; plain http only for 127.0.0.1
   * or localhost (local development).
   * @example 'https://login.example.com/oauth/v2/oauth-introspect'
   */
  readonly introspectionEndpoint: string;

  /**
   * The Secrets Manager secret holding the authorizer's OAuth client credentials as a
   * SecretString `{"client_id": "…", "client_secret": "…"}`. Exactly one of
   * `clientCredentialsSecret`, `clientCredentialsSecretName` and `clientCredentialsSecretArn` is
   * required. The function may read this one secret, and decrypt it with its customer-managed
   * KMS key when the secret names one (`Secret.fromSecretAttributes(…, { encryptionKey })`); the
   * client secret never appears in the template. `Secret.fromSecretCompleteArn` and
   * `Secret.fromSecretPartialArn` say exactly which ARN it is.
   * @default - `clientCredentialsSecretName` or `clientCredentialsSecretArn`
   */
  readonly clientCredentialsSecret?: ISecret;

  /**
   * The name of the client-credentials secret (see `clientCredentialsSecret`), in the stack's
   * account and region: the function asks Secrets Manager for it by this name, and its role may
   * read `<name>-??????`. A name, never an ARN (use `clientCredentialsSecretArn`).
   * @default - `clientCredentialsSecret` or `clientCredentialsSecretArn`
   * @example 'phantom-token/introspection-client'
   */
  readonly clientCredentialsSecretName?: string;

  /**
   * The ARN of the client-credentials secret (see `clientCredentialsSecret`), complete or partial,
   * in any account and region. An ARN ending in a hyphen and six letters or digits may be complete
   * or partial (`…:secret:phantom-token/introspection-client`): the role may read both readings;
   * pass `clientCredentialsSecret: Secret.fromSecretCompleteArn(…)` or `Secret.fromSecretPartialArn(…)`
   * to say which.
   * @default - `clientCredentialsSecret` or `clientCredentialsSecretName`
   * @example 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:phantom-token/introspection-client-AbC123'
   */
  readonly clientCredentialsSecretArn?: string;

  /**
   * How the OAuth server answers: `IntrospectionResponseType.JWT` (`application/jwt`, the Curity
   * Identity Server's phantom-token response: the JWT is the body) or
   * `IntrospectionResponseType.TOKEN_INTROSPECTION_JWT` (`application/token-introspection+jwt`,
   * RFC 9701: a signed introspection response, verified against `jwksUri`).
   * @default IntrospectionResponseType.JWT
   */
  readonly introspectionResponseType?: IntrospectionResponseType;

  /**
   * The OAuth server's JWKS, to verify RFC 9701 responses. Required for
   * `application/token-introspection+jwt`.
   * @default - none
   */
  readonly jwksUri?: string;

  /**
   * The expected `iss` of RFC 9701 introspection responses.
   * @default - the issuer is not checked
   */
  readonly issuer?: string;

  /**
   * The audience every token must hold in its `aud` claim (a string or an array of them, in the
   * introspection response or the JWT's claims), as RFC 9068 §4 asks of resource servers: a token
   * minted for another API is denied as an invalid token, and the decision line says
   * `wrong_audience`. Compared exactly. For APIs of one construct that are different audiences,
   * see `apiAudiences`.
   * @default - the audience is not checked
   * @example 'https://orders.example.com'
   */
  readonly audience?: string;

  /**
   * Audiences per API, for one construct serving APIs that are different audiences: the API's id
   * (`httpApi.apiId`, `restApi.restApiId`) → the audience its tokens must hold instead of
   * `audience`. The ids reach the function's environment (`API_AUDIENCES`). An API of another
   * stack (a shared auth stack serving API stacks) makes this construct's stack depend on that
   * API's stack, so that API's authorizers reach the function the other way: by a name the
   * construct then gives the function (its unique id, at most 64 characters, the same at every
   * synthesis), with their invoke permissions in this construct's stack. Deploy such an API stack
   * before this one (CDK orders them so).
   * @default - every API requires `audience`
   */
  readonly apiAudiences?: { [apiId: string]: string };

  /**
   * Whether tokens bound to their holder are allowed: DPoP-bound tokens (RFC 9449, `cnf.jkt`,
   * presented with `Authorization: DPoP` and a `DPoP` proof) and certificate-bound tokens (RFC
   * 8705, `cnf["x5t#S256"]`, over mutual TLS on a custom domain). A proof is unique per request,
   * so a cached gateway decision must never stand in for its check: `true` turns API Gateway's
   * decision cache off (result TTL 0; `resultsCacheTtl` must then be unset or 0), so every
   * request invokes the function (its own token cache still saves the introspection), and REST
   * 401 responses announce the DPoP scheme. `false`: bound tokens are denied
   * (`sender_constrained_tokens_disabled`); bearer tokens work either way.
   * @default false
   */
  readonly senderConstrainedTokens?: boolean;

  /**
   * The JWS algorithms a DPoP proof may be signed with (`DpopAlgorithm`: ES256, ES384, ES512,
   * PS256, PS384, PS512, RS256, RS384, RS512, EdDSA, Ed25519), at least one. Announced in REST
   * 401 challenges (`DPoP algs="…"`).
   * @default - all of them
   */
  readonly dpopAlgorithms?: DpopAlgorithm[];

  /**
   * How far a DPoP proof's `iat` may be from the function's clock, either way, a whole number of
   * seconds from 1 to 300; a proof's `jti` is remembered this long after its `iat`.
   * @default Duration.seconds(60)
   */
  readonly dpopProofMaxAge?: Duration;

  /**
   * For custom domains: the domain name (as API Gateway reports it in `requestContext.domainName`)
   * → the base URL a DPoP proof's `htu` starts with there, when it is not `https://<domain>`
   * followed by the path in the event (a base-path mapping the event's path leaves out). https,
   * no query, fragment or credentials.
   * @default - every proof names `https://<domainName><path>`
   * @example { 'api.example.com': 'https://api.example.com/orders' }
   */
  readonly dpopPublicBaseUrls?: { [domainName: string]: string };

  /**
   * Whether DPoP proof ids are remembered in a DynamoDB table shared by every function instance
   * (created by the construct: on demand, TTL on `expiresAt`, the function may only `PutItem`),
   * instead of in each instance's memory. A per-instance store cannot see a proof replayed to
   * another instance; the shared one can (a conditional write per proof: one more round trip,
   * a few milliseconds, on every DPoP request). Needs `senderConstrainedTokens`.
   * @default false
   */
  readonly sharedDpopReplayStore?: boolean;

  /**
   * Whether the shared DPoP replay table (`sharedDpopReplayStore`) has DynamoDB point-in-time
   * recovery. Its items live one proof window (seconds), so a restore brings back nothing of
   * value; turn it on where a policy requires it of every table (cdk-nag AwsSolutions-DDB3, which
   * the construct otherwise acknowledges, with that reason). Only with `sharedDpopReplayStore`.
   * @default false
   */
  readonly pointInTimeRecovery?: boolean;

  /**
   * A shared introspection cache: a DynamoDB table every function instance reads before asking
   * the OAuth server (memory, then the table, then the server) and writes the server's answers
   * to, so a token is introspected about once per `cacheMaxTtl` across the whole fleet instead of
   * once per instance. Items are keyed by a SHA-256 hash of the token, never the token; a table
   * that is slow or failing costs an introspection, never an error or an allow. The function may
   * `GetItem` and `PutItem` `token#` items of the table, nothing more. `{}` turns it on with a
   * table the construct creates (on demand, encrypted); see `SharedCacheOptions`.
   * @default - no shared cache: each instance introspects the tokens it has not seen
   * @example { memoryTtl: Duration.seconds(5) }
   */
  readonly sharedCache?: SharedCacheOptions;

  /**
   * A revocation receiver: a function with a public URL (`revocationReceiverUrl`) to which the
   * identity server pushes a signed Security Event Token (RFC 8417, RFC 8935 push) when it revokes
   * an access token; the token is marked revoked in the shared cache's table, which every
   * instance honours within `sharedCache.memoryTtl`, and REST stages' authorizer caches are
   * flushed (`flushRestApiCaches`). The receiver has its own role and its own log group (with
   * `logRetention` and `logRemovalPolicy`, or their defaults when `logGroup` is given), runs in
   * `vpc` when the authorizer does (its JWKS is usually on the same identity server), and is not
   * traced. Needs `sharedCache`; see `RevocationOptions`.
   * @default - no receiver: a revoked token passes for up to `resultsCacheTtl` plus `cacheMaxTtl`
   * @example { issuer: 'https://login.example.com/oauth/v2/oauth-anonymous', jwksUri: 'https://login.example.com/oauth/v2/oauth-anonymous/jwks', audience: 'https://api.example.com/revocation' }
   */
  readonly revocation?: RevocationOptions;

  /**
   * The realm in REST `WWW-Authenticate: Bearer realm="…"` challenges: printable ASCII without
   * `"`, `'` or `\`.
   * @default 'api'
   */
  readonly realm?: string;

  /**
   * Further headers of the REST API 401 (`UNAUTHORIZED`) and 403 (`ACCESS_DENIED`) gateway
   * responses the construct creates, as `GatewayResponse`'s `responseHeaders` takes them: a
   * static value in single quotes, or a mapping expression. For CORS, so that browsers can read
   * these responses: `{ 'Access-Control-Allow-Origin': "'*'" }`. Not `WWW-Authenticate` (the
   * construct writes the Bearer challenge). API Gateway keeps one response per type and API: add
   * headers here instead of your own `UNAUTHORIZED` / `ACCESS_DENIED` response (synthesis fails
   * when it sees both).
   * @default - none
   */
  readonly restGatewayResponseHeaders?: { [name: string]: string };

  /**
   * Whether the construct creates the REST API 401 and 403 gateway responses carrying
   * `WWW-Authenticate`. Set `false` only to manage those two responses yourself; then give them
   * the `WWW-Authenticate: Bearer realm="…"` header (RFC 6750 §3), or clients lose the challenge.
   * @default true
   */
  readonly restGatewayResponses?: boolean;

  /**
   * The name of the authorizer the construct creates on each API (`-g1` … and `-perroute` are
   * appended for the further authorizers of routes that cannot share it). API Gateway requires
   * authorizer names to be unique per API: give each construct wired to one API a name of its
   * own (synthesis fails, naming both, when two authorizers of one API share a name). 1 to 119
   * characters: letters, digits, `-`, `_` and `.`.
   * @default - the construct's id followed by `-phantom-token`
   * @example 'orders-phantom-token'
   */
  readonly authorizerName?: string;

  /**
   * The most authorizers one API may have, counted over the whole app (the construct's own, other
   * constructs' and yours): synthesis fails past it, naming the API and the count, instead of the
   * deployment. API Gateway's default quota is 10 per API; set this only when the quota was raised
   * for your APIs. 1 to 1000.
   * @default 10
   */
  readonly authorizersPerApiQuota?: number;

  /**
   * Which routes of an API one cached answer may serve: only routes that need the same scopes
   * (exact whatever API Gateway does with a cached answer), or routes needing different scopes,
   * each allowed or denied by the answer's policy (fewer invocations; exact only if API Gateway
   * evaluates a cached policy against each later request, which the integration tests check).
   * @default CachedAnswerSharing.SAME_SCOPES
   */
  readonly cachedAnswerSharing?: CachedAnswerSharing;

  /**
   * How long API Gateway caches a decision per identity-source values, a whole number of seconds
   * from 0 to 3600 (0 turns the gateway cache off). A revoked token keeps passing for up to
   * this long plus
   * `cacheMaxTtl`, and a cached allow keeps forwarding its JWT for this long even past the
   * JWT's `exp`: keep it well below your access tokens' lifetime.
   * @default Duration.seconds(60)
   */
  readonly resultsCacheTtl?: Duration;

  /**
   * The longest the function keeps an introspection result in memory, a whole number of seconds
   * from 0 to 3600. An entry never outlives the server's `max-age` or the JWT's `exp`.
   * @default Duration.seconds(300)
   */
  readonly cacheMaxTtl?: Duration;

  /**
   * The most introspection results one function instance keeps (least recently used go first), 1 to 1,000,000.
   * @default 10000
   */
  readonly cacheMaxEntries?: number;

  /**
   * How long the function remembers an inactive token, a whole number of seconds from 0 to 3600
   * (0: never).
   * @default Duration.seconds(10)
   */
  readonly negativeCacheTtl?: Duration;

  /**
   * The deadline of one introspection request (and one JWKS fetch), a whole number of
   * milliseconds from 100 to 4000. The function timeout is twice this plus one second, rounded
   * up to whole seconds (room for one retry after a credentials rotation), which stays under
   * API Gateway's 10-second authorizer limit.
   * @default Duration.seconds(3)
   */
  readonly introspectionTimeout?: Duration;

  /**
   * How often the function re-reads the client-credentials secret, a whole number of seconds
   * from 0 to 86400. It also re-reads it at once when the OAuth server answers `invalid_client`.
   * @default Duration.seconds(300)
   */
  readonly secretRefreshInterval?: Duration;

  /**
   * The request header that carries the JWT to HTTP API HTTP and private integrations. Not a
   * header HTTP API reserves (`Authorization`, `x-amz-*` …). REST integrations always receive
   * `Authorization: Bearer <JWT>`.
   * @default 'x-phantom-jwt'
   */
  readonly jwtHeaderName?: string;

  /**
   * Retention of the log group the construct creates for the function. Not with `logGroup`
   * (set the retention on that log group instead).
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;

  /**
   * What happens to the log group the construct creates when it leaves the stack. Kept by
   * default: the decision lines are the record of who was let in. Not with `logGroup`.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;

  /**
   * A log group of your own for the function (its retention, removal policy, encryption and
   * subscriptions are yours); the function's role may write to it. Not with `logRetention` or
   * `logRemovalPolicy`.
   * @default - a log group is created, with `logRetention` and `logRemovalPolicy`
   */
  readonly logGroup?: ILogGroup;

  /**
   * The function's memory in MiB, 128 to 10240. Lambda gives CPU in proportion to memory (1,769
   * MiB is one vCPU), and a cold start is CPU work: at 1024 MiB the authorizer's part of it is
   * estimated at under 40 ms over a bare handler; at 512 about twice that, for half the duration
   * price (README, "Cold start", has the table). One instance's heap stays far below any size,
   * even with `cacheMaxEntries` full.
   * @default 1024
   */
  readonly memorySize?: number;

  /**
   * The function's processor architecture.
   * @default Architecture.ARM_64
   */
  readonly architecture?: Architecture;

  /**
   * A VPC for the function, to reach a private identity server.
   * @default - not in a VPC
   */
  readonly vpc?: IVpc;

  /**
   * Subnets of `vpc` for the function.
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: SubnetSelection;

  /**
   * Security groups of the function in `vpc`.
   * @default - one is created
   */
  readonly securityGroups?: ISecurityGroup[];

  /**
   * The CloudWatch namespace of the metrics in the function's decision lines (embedded metric
   * format): 1 to 255 printable ASCII characters, not starting with `:` or `AWS/`. The function
   * reads it from `POWERTOOLS_METRICS_NAMESPACE`.
   * @default 'PhantomToken'
   */
  readonly metricsNamespace?: string;

  /**
   * The `service` dimension of every metric the function writes, which keeps two authorizers in
   * one account and namespace apart: 1 to 255 printable ASCII characters. The function reads it
   * from `POWERTOOLS_SERVICE_NAME`.
   * @default - the construct's path in the app, such as `OrdersApi/PhantomToken`
   */
  readonly serviceName?: string;

  /**
   * Whether the construct creates its CloudWatch alarms: error decisions (identity server
   * failing), function errors, throttles, p99 decision latency and invalid-token denies (token
   * spraying). Each alarm metric costs (CloudWatch pricing: a standard-resolution alarm metric).
   * @default true
   */
  readonly alarms?: boolean;

  /**
   * What the alarms do when they go off and when they recover (for example an
   * `SnsAction` of your on-call topic). Only with `alarms`.
   * @default - no action: the alarms only change state
   */
  readonly alarmAction?: IAlarmAction;

  /**
   * The alarms' thresholds. Only with `alarms`.
   * @default - the defaults of each threshold
   */
  readonly alarmThresholds?: PhantomTokenAlarmThresholds;

  /**
   * Whether the construct creates a CloudWatch dashboard of its metrics: decisions by outcome,
   * deny reasons, cache hit ratio, latencies, identity-server errors and the function's own
   * metrics. Add a stage's access log to it with `addDashboardAccessLogs`.
   * @default false
   */
  readonly dashboard?: boolean;

  /**
   * The function's X-Ray tracing, as Lambda's `Tracing` says it: `Tracing.ACTIVE` makes each
   * invocation a trace segment with Lambda's own initialization, invocation and overhead
   * subsegments; `Tracing.PASS_THROUGH` traces only requests that arrive sampled. The
   * introspection call is not a subsegment of its own (no X-Ray SDK in the function; see the
   * README's "Tracing"). Traced, the role may write trace segments (`xray:PutTraceSegments`,
   * `xray:PutTelemetryRecords`, which support no resource-level permissions).
   * @default Tracing.DISABLED
   */
  readonly tracing?: Tracing;
}
