import type { Duration } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import type { Architecture } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IntrospectionResponseType } from '../lambda/environment.js';

/** Properties of {@link PhantomTokenAuthorizer}. */
export interface PhantomTokenAuthorizerProps {
  /**
   * The OAuth server's introspection endpoint (RFC 7662). https; plain http only for 127.0.0.1
   * or localhost (local development).
   * @example 'https://login.example.com/oauth/v2/oauth-introspect'
   */
  readonly introspectionEndpoint: string;

  /**
   * The Secrets Manager secret holding the authorizer's OAuth client credentials as a
   * SecretString `{"client_id": "…", "client_secret": "…"}`: an `ISecret`, or a secret ARN or
   * name. The function may read this one secret (and decrypt with its KMS key when the
   * `ISecret` names one); the client secret never appears in the template.
   */
  readonly clientCredentialsSecret: ISecret | string;

  /**
   * How the OAuth server answers: `application/jwt` (the Curity Identity Server's phantom-token
   * response: the JWT is the body) or `application/token-introspection+jwt` (RFC 9701: a signed
   * introspection response, verified against `jwksUri`).
   * @default 'application/jwt'
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
   * The realm in REST `WWW-Authenticate: Bearer realm="…"` challenges.
   * @default 'api'
   */
  readonly realm?: string;

  /**
   * How long API Gateway caches a decision per identity-source values, 0 to 3600 seconds (0
   * turns the gateway cache off). A revoked token keeps passing for up to this long plus
   * `cacheMaxTtl`, and a cached allow keeps forwarding its JWT for this long even past the
   * JWT's `exp`: keep it well below your access tokens' lifetime.
   * @default Duration.seconds(60)
   */
  readonly resultsCacheTtl?: Duration;

  /**
   * The longest the function keeps an introspection result in memory, 0 to 3600 seconds. An entry
   * never outlives the server's `max-age` or the JWT's `exp`.
   * @default Duration.seconds(300)
   */
  readonly cacheMaxTtl?: Duration;

  /**
   * The most introspection results one function instance keeps (least recently used go first), 1 to 1,000,000.
   * @default 10000
   */
  readonly cacheMaxEntries?: number;

  /**
   * How long the function remembers an inactive token, 0 to 3600 seconds (0: never).
   * @default Duration.seconds(10)
   */
  readonly negativeCacheTtl?: Duration;

  /**
   * The deadline of one introspection request (and one JWKS fetch), 100 ms to 4 s. The function
   * timeout is twice this plus one second (room for one retry after a credentials rotation),
   * which stays under API Gateway's 10-second authorizer limit.
   * @default Duration.seconds(3)
   */
  readonly introspectionTimeout?: Duration;

  /**
   * How often the function re-reads the client-credentials secret, 0 to 86400 seconds. It also
   * re-reads it at once when the OAuth server answers `invalid_client`.
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
   * Retention of the authorizer function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;

  /**
   * The function's memory in MiB, 128 to 10240. Lambda gives CPU in proportion to memory: at
   * 512 MiB a cold start (module load and first secret read) is a few hundred milliseconds,
   * and one instance's heap stays far below it even with `cacheMaxEntries` full.
   * @default 512
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
}
