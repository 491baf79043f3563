import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import {
  AuthorizationType,
  GatewayResponse,
  type IAuthorizer,
  IdentitySource,
  type Integration,
  type IResource,
  type IRestApi,
  type Method,
  type MethodOptions,
  RequestAuthorizer,
  ResponseType,
} from 'aws-cdk-lib/aws-apigateway';
import {
  AuthorizerPayloadVersion,
  type CfnRoute,
  HttpAuthorizer,
  HttpAuthorizerType,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpRoute,
  type HttpRouteAuthorizerBindOptions,
  type HttpRouteAuthorizerConfig,
  type HttpRouteIntegration,
  HttpRouteKey,
  type IHttpApi,
  type IHttpRoute,
  type IHttpRouteAuthorizer,
} from 'aws-cdk-lib/aws-apigatewayv2';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, type IFunction, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  DEFAULT_JWT_HEADER_NAME,
  DEFAULTS,
  ENV,
  type IntrospectionResponseType,
  LIMITS,
  RESPONSE_TYPE_INTROSPECTION_JWT,
  RESPONSE_TYPES,
} from '../lambda/environment.js';
import { AUTHORIZER_BUNDLE } from './bundle-settings.js';
import { JwtForwardingHttpIntegration, JwtForwardingRestIntegration } from './jwt-forwarding.js';
import { RouteScopeRegistry } from './route-scope-registry.js';

/** Headers HTTP API parameter mapping may not write (API Gateway developer guide, http-api-parameter-mapping, "Reserved headers"). */
const RESERVED_HEADERS = [
  /^access-control-/,
  /^apigw-/,
  /^authorization$/,
  /^connection$/,
  /^content-encoding$/,
  /^content-length$/,
  /^content-location$/,
  /^forwarded$/,
  /^keep-alive$/,
  /^origin$/,
  /^proxy-authenticate$/,
  /^proxy-authorization$/,
  /^te$/,
  /^trailers$/,
  /^transfer-encoding$/,
  /^upgrade$/,
  /^x-amz-/,
  /^x-amzn-/,
  /^x-forwarded-for$/,
  /^x-forwarded-host$/,
  /^x-forwarded-proto$/,
  /^via$/,
];

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

/** Options of {@link PhantomTokenAuthorizer.addHttpRoutes}. */
export interface PhantomTokenHttpRouteOptions {
  /** The route path, e.g. `/orders/{id}`. */
  readonly path: string;
  /**
   * The methods; `ANY` also adds an unauthenticated `OPTIONS` route so CORS preflight never needs a token.
   * @default [HttpMethod.ANY]
   */
  readonly methods?: HttpMethod[];
  /** The backend integration; HTTP and private integrations get the JWT header mapping. */
  readonly integration: HttpRouteIntegration;
  /**
   * Scopes a token must all hold for these routes.
   * @default - none: any active token
   */
  readonly scopes?: string[];
}

/** Options of {@link PhantomTokenAuthorizer.addRestMethod}. */
export interface PhantomTokenRestMethodOptions {
  /**
   * Scopes a token must all hold for this method.
   * @default - none: any active token
   */
  readonly scopes?: string[];
  /**
   * Further method options; the authorizer and its authorization type are set by this call.
   * @default - none
   */
  readonly methodOptions?: MethodOptions;
}

/**
 * The phantom token pattern for API Gateway: a REQUEST Lambda authorizer that exchanges the
 * client's opaque access token for a JWT by OAuth introspection, wired into HTTP APIs and REST
 * APIs with per-route scopes and JWT delivery to every integration type. One function serves
 * every API it is attached to.
 *
 * @example
 * const authorizer = new PhantomTokenAuthorizer(this, 'PhantomToken', {
 *   introspectionEndpoint: 'https://login.example.com/oauth/v2/oauth-introspect',
 *   clientCredentialsSecret: 'phantom-token/introspection-client',
 * });
 * authorizer.addHttpRoutes(httpApi, {
 *   path: '/orders',
 *   methods: [HttpMethod.GET],
 *   integration: new HttpUrlIntegration('Orders', 'https://orders.internal.example.com/orders'),
 *   scopes: ['orders:read'],
 * });
 */
export class PhantomTokenAuthorizer extends Construct {
  /** The authorizer function. */
  readonly function: IFunction;
  /** The secret the function reads its client credentials from. */
  readonly clientCredentialsSecret: ISecret;
  /** The header that carries the JWT to HTTP API HTTP integrations. */
  readonly jwtHeaderName: string;

  private readonly routeScopes = new RouteScopeRegistry();
  private readonly resultsCacheTtl: Duration;
  private readonly realm: string;
  private readonly httpAuthorizers = new Map<IHttpApi, IHttpRouteAuthorizer>();
  private readonly restAuthorizers = new Map<IRestApi, RequestAuthorizer>();

  constructor(scope: Construct, id: string, props: PhantomTokenAuthorizerProps) {
    super(scope, id);
    validateProps(props);
    this.realm = props.realm ?? DEFAULTS.realm;
    this.resultsCacheTtl = props.resultsCacheTtl ?? Duration.seconds(60);
    this.jwtHeaderName = (props.jwtHeaderName ?? DEFAULT_JWT_HEADER_NAME).toLowerCase();
    this.clientCredentialsSecret = resolveSecret(this, props.clientCredentialsSecret);
    const introspectionTimeout = props.introspectionTimeout ?? Duration.millis(DEFAULTS.introspectionTimeoutMs);

    const environment: Record<string, string> = {
      [ENV.introspectionEndpoint]: props.introspectionEndpoint,
      // A name is passed as given: Secrets Manager reads "-abcdef" at the end of a partial ARN as
      // its random suffix, so a name like "introspection-client" only resolves by name.
      [ENV.clientCredentialsSecret]:
        typeof props.clientCredentialsSecret === 'string'
          ? props.clientCredentialsSecret
          : (this.clientCredentialsSecret.secretFullArn ?? this.clientCredentialsSecret.secretName),
      [ENV.introspectionResponseType]: props.introspectionResponseType ?? DEFAULTS.introspectionResponseType,
      [ENV.realm]: this.realm,
      [ENV.cacheMaxTtlSeconds]: String(seconds(props.cacheMaxTtl, DEFAULTS.cacheMaxTtlSeconds)),
      [ENV.cacheMaxEntries]: String(props.cacheMaxEntries ?? DEFAULTS.cacheMaxEntries),
      [ENV.negativeCacheTtlSeconds]: String(seconds(props.negativeCacheTtl, DEFAULTS.negativeCacheTtlSeconds)),
      [ENV.introspectionTimeoutMs]: String(introspectionTimeout.toMilliseconds()),
      [ENV.secretRefreshSeconds]: String(seconds(props.secretRefreshInterval, DEFAULTS.secretRefreshSeconds)),
      [ENV.routeScopes]: Lazy.string({ produce: () => this.routeScopes.toJson() }),
    };
    if (props.jwksUri !== undefined) environment[ENV.jwksUri] = props.jwksUri;
    if (props.issuer !== undefined) environment[ENV.issuer] = props.issuer;

    const logGroup = new LogGroup(this, 'LogGroup', { retention: props.logRetention ?? RetentionDays.ONE_MONTH });
    // A role of its own: write to its log group and read its secret, nothing more (no
    // AWS-managed policy; a function in a VPC also needs the ENI permissions AWS manages).
    const role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
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
    this.function =
      source === undefined
        ? new LambdaFunction(this, 'Function', { ...functionProps, code: Code.fromAsset(prebuiltAsset()), handler: 'index.handler' })
        : new NodejsFunction(this, 'Function', {
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
    this.clientCredentialsSecret.grantRead(this.function);

    this.node.addValidation({
      validate: () => {
        const json = this.routeScopes.toJson();
        // Lambda allows 4 KB of environment in all; leave room for the other variables.
        return json.length > 3_000
          ? [`the aggregated route scopes are ${json.length} characters of JSON; ROUTE_SCOPES is limited to 3000`]
          : [];
      },
    });
  }

  /**
   * Declares the scopes a route requires, for routes added without {@link addHttpRoutes} or
   * {@link addRestMethod}. HTTP API route keys as API Gateway writes them (`GET /orders/{id}`);
   * REST as `${httpMethod} ${resourcePath}`.
   */
  requireScopes(routeKey: string, scopes: string[]): void {
    this.routeScopes.declare(routeKey, scopes);
  }

  /**
   * The route authorizer for one HTTP API: REQUEST, payload 2.0, simple responses, identity
   * source `$request.header.Authorization`, plus `$context.routeKey` whenever the API's
   * protected routes differ in required scopes, so that a cached allow never crosses into a
   * route that needs more. Created once per API; the function is shared.
   */
  httpRouteAuthorizer(httpApi: IHttpApi): IHttpRouteAuthorizer {
    const existing = this.httpAuthorizers.get(httpApi);
    if (existing !== undefined) return existing;
    const protectedRoutes: IHttpRoute[] = [];
    const identitySource = Lazy.list({
      produce: () => {
        // Route keys are read at synth time: bind() runs before the route's CfnRoute exists.
        const routeKeys = protectedRoutes.map((route) => (route.node.defaultChild as CfnRoute).routeKey);
        const scopeSets = new Set(routeKeys.map((routeKey) => this.routeScopes.scopesOf(routeKey).join(' ')));
        return scopeSets.size > 1 ? ['$request.header.Authorization', '$context.routeKey'] : ['$request.header.Authorization'];
      },
    });
    const id = `HttpAuthorizer${this.httpAuthorizers.size || ''}`;
    const authorizer = new HttpAuthorizer(this, id, {
      httpApi,
      authorizerName: `${this.node.id}-phantom-token`,
      type: HttpAuthorizerType.LAMBDA,
      identitySource,
      payloadFormatVersion: AuthorizerPayloadVersion.VERSION_2_0,
      enableSimpleResponses: true,
      authorizerUri: `arn:${Stack.of(this).partition}:apigateway:${Stack.of(this).region}:lambda:path/2015-03-31/functions/${this.function.functionArn}/invocations`,
      resultsCacheTtl: this.resultsCacheTtl,
    });
    this.function.addPermission(`${id}Invoke`, {
      principal: new ServicePrincipal('apigateway.amazonaws.com'),
      sourceArn: Stack.of(this).formatArn({
        service: 'execute-api',
        resource: httpApi.apiId,
        resourceName: `authorizers/${authorizer.authorizerId}`,
      }),
    });
    const routeAuthorizer: IHttpRouteAuthorizer = {
      bind(options: HttpRouteAuthorizerBindOptions): HttpRouteAuthorizerConfig {
        protectedRoutes.push(options.route);
        return { authorizationType: 'CUSTOM', authorizerId: authorizer.authorizerId };
      },
    };
    this.httpAuthorizers.set(httpApi, routeAuthorizer);
    return routeAuthorizer;
  }

  /**
   * Wraps an HTTP API integration so that HTTP and private integrations receive the JWT in
   * {@link jwtHeaderName}, overwriting anything the client sent in that header.
   */
  forwardJwt(integration: HttpRouteIntegration): HttpRouteIntegration {
    return new JwtForwardingHttpIntegration(integration, this.jwtHeaderName);
  }

  /**
   * Adds protected routes to an HTTP API in one call: the authorizer, the scopes and the JWT
   * delivery together. `ANY` routes get an unauthenticated `OPTIONS` twin for CORS preflight.
   */
  addHttpRoutes(httpApi: IHttpApi, options: PhantomTokenHttpRouteOptions): HttpRoute[] {
    const methods = options.methods ?? [HttpMethod.ANY];
    const integration = this.forwardJwt(options.integration);
    const authorizer = this.httpRouteAuthorizer(httpApi);
    const routes: HttpRoute[] = [];
    for (const method of methods) {
      const unauthenticated = method === HttpMethod.OPTIONS;
      if (!unauthenticated) this.routeScopes.declare(`${method} ${options.path}`, options.scopes ?? []);
      routes.push(
        new HttpRoute(httpApi, `${method}${options.path}`, {
          httpApi,
          routeKey: HttpRouteKey.with(options.path, method),
          integration,
          authorizer: unauthenticated ? new HttpNoneAuthorizer() : authorizer,
        }),
      );
    }
    if (methods.includes(HttpMethod.ANY) && !methods.includes(HttpMethod.OPTIONS)) {
      routes.push(
        new HttpRoute(httpApi, `${HttpMethod.OPTIONS}${options.path}`, {
          httpApi,
          routeKey: HttpRouteKey.with(options.path, HttpMethod.OPTIONS),
          integration,
          authorizer: new HttpNoneAuthorizer(),
        }),
      );
    }
    return routes;
  }

  /**
   * The REQUEST authorizer for one REST API, with gateway responses so that 401 carries
   * `WWW-Authenticate: Bearer realm="…"` and a 403 for insufficient scope carries
   * `error="insufficient_scope"` (RFC 6750 §3). When any route requires scopes, the method and
   * resource path join the identity sources, so a cached policy serves only its own route.
   */
  restAuthorizer(restApi: IRestApi): IAuthorizer {
    const existing = this.restAuthorizers.get(restApi);
    if (existing !== undefined) return existing;
    const id = `RestAuthorizer${this.restAuthorizers.size || ''}`;
    const authorizer = new RequestAuthorizer(this, id, {
      authorizerName: `${this.node.id}-phantom-token`,
      handler: this.function,
      resultsCacheTtl: this.resultsCacheTtl,
      identitySources: [
        Lazy.string({
          produce: () =>
            (this.routeScopes.isEmpty
              ? [IdentitySource.header('Authorization')]
              : [IdentitySource.header('Authorization'), IdentitySource.context('httpMethod'), IdentitySource.context('resourcePath')]
            ).join(','),
        }),
      ],
    });
    new GatewayResponse(this, `${id}Unauthorized`, {
      restApi,
      type: ResponseType.UNAUTHORIZED,
      statusCode: '401',
      responseHeaders: { 'WWW-Authenticate': `'Bearer realm="${this.realm}"'` },
    });
    new GatewayResponse(this, `${id}AccessDenied`, {
      restApi,
      type: ResponseType.ACCESS_DENIED,
      statusCode: '403',
      responseHeaders: { 'WWW-Authenticate': `'Bearer realm="${this.realm}", error="insufficient_scope"'` },
    });
    this.restAuthorizers.set(restApi, authorizer);
    return authorizer;
  }

  /** Wraps a REST integration so that HTTP backends receive `Authorization: Bearer <JWT>`. */
  forwardJwtRest(integration: Integration): Integration {
    return new JwtForwardingRestIntegration(integration);
  }

  /**
   * Adds a protected method to a REST resource in one call: the authorizer, the scopes and
   * `Authorization: Bearer <JWT>` for HTTP integrations. `ANY` gets an unauthenticated
   * `OPTIONS` twin (unless the resource has one, e.g. from CORS preflight options).
   */
  addRestMethod(resource: IResource, httpMethod: string, integration: Integration, options: PhantomTokenRestMethodOptions = {}): Method {
    const method = httpMethod.toUpperCase();
    this.routeScopes.declare(`${method} ${resource.path}`, options.scopes ?? []);
    const forwarding = this.forwardJwtRest(integration);
    const added = resource.addMethod(method, forwarding, {
      ...options.methodOptions,
      authorizer: this.restAuthorizer(resource.api),
    });
    if (method === 'ANY' && resource.node.tryFindChild('OPTIONS') === undefined) {
      resource.addMethod('OPTIONS', forwarding, {
        authorizer: { authorizerId: '', authorizationType: AuthorizationType.NONE },
        authorizationType: AuthorizationType.NONE,
      });
    }
    return added;
  }
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

function validateProps(props: PhantomTokenAuthorizerProps): void {
  const endpoint = props.introspectionEndpoint;
  if (!Token.isUnresolved(endpoint)) validateUrl('introspectionEndpoint', endpoint);
  if (props.jwksUri !== undefined && !Token.isUnresolved(props.jwksUri)) validateUrl('jwksUri', props.jwksUri);
  const responseType = props.introspectionResponseType ?? DEFAULTS.introspectionResponseType;
  if (!(RESPONSE_TYPES as readonly string[]).includes(responseType)) {
    throw new Error(`introspectionResponseType must be one of ${RESPONSE_TYPES.join(', ')}; received ${JSON.stringify(responseType)}`);
  }
  if (responseType === RESPONSE_TYPE_INTROSPECTION_JWT && props.jwksUri === undefined) {
    throw new Error(`jwksUri is required when introspectionResponseType is ${RESPONSE_TYPE_INTROSPECTION_JWT}`);
  }
  if (props.realm !== undefined && !Token.isUnresolved(props.realm) && !/^[\x20\x21\x23-\x26\x28-\x5B\x5D-\x7E]+$/.test(props.realm)) {
    throw new Error(`realm must be printable ASCII without ", ' or \\; received ${JSON.stringify(props.realm)}`);
  }
  validateRange('resultsCacheTtl', props.resultsCacheTtl?.toSeconds(), 0, 3_600, 'seconds');
  validateRange('cacheMaxTtl', props.cacheMaxTtl?.toSeconds(), LIMITS.cacheMaxTtlSeconds.min, LIMITS.cacheMaxTtlSeconds.max, 'seconds');
  validateRange(
    'negativeCacheTtl',
    props.negativeCacheTtl?.toSeconds(),
    LIMITS.negativeCacheTtlSeconds.min,
    LIMITS.negativeCacheTtlSeconds.max,
    'seconds',
  );
  validateRange(
    'secretRefreshInterval',
    props.secretRefreshInterval?.toSeconds(),
    LIMITS.secretRefreshSeconds.min,
    LIMITS.secretRefreshSeconds.max,
    'seconds',
  );
  validateRange(
    'introspectionTimeout',
    props.introspectionTimeout?.toMilliseconds(),
    LIMITS.introspectionTimeoutMs.min,
    4_000,
    'milliseconds',
  );
  validateRange('cacheMaxEntries', props.cacheMaxEntries, LIMITS.cacheMaxEntries.min, LIMITS.cacheMaxEntries.max, 'entries');
  validateRange('memorySize', props.memorySize, 128, 10_240, 'MiB');
  if (props.jwtHeaderName !== undefined && !Token.isUnresolved(props.jwtHeaderName)) {
    const name = props.jwtHeaderName.toLowerCase();
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
      throw new Error(`jwtHeaderName must be an HTTP header name (RFC 9110 token); received ${JSON.stringify(props.jwtHeaderName)}`);
    }
    if (RESERVED_HEADERS.some((reserved) => reserved.test(name))) {
      throw new Error(
        `jwtHeaderName must not be a header HTTP API reserves for parameter mapping (Authorization, x-amz-*, …); received ${JSON.stringify(props.jwtHeaderName)}`,
      );
    }
  }
}

function validateUrl(prop: string, value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${prop} must be an absolute URL; received ${JSON.stringify(value)}`);
  }
  if (url.username || url.password) {
    throw new Error(`${prop} must not carry credentials in the URL (put them in clientCredentialsSecret)`);
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new Error(`${prop} must use https (plain http only for 127.0.0.1 or localhost); received ${JSON.stringify(value)}`);
  }
}

function validateRange(prop: string, value: number | undefined, min: number, max: number, unit: string): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${prop} must be a whole number from ${min} to ${max} ${unit}; received ${value}`);
  }
}
