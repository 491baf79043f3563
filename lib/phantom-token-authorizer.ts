import { type Duration, Names, Stack } from 'aws-cdk-lib';
import type { IAuthorizer, Integration, IResource, IRestApi, Method, RequestAuthorizer } from 'aws-cdk-lib/aws-apigateway';
import type { HttpAuthorizer, HttpRoute, HttpRouteIntegration, IHttpApi, IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Alarm, Dashboard, Metric, MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { Connections, IConnectable } from 'aws-cdk-lib/aws-ec2';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { IFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IConstruct } from 'constructs';
import { DEFAULT_JWT_HEADER_NAME, DEFAULTS } from '../lambda/environment.js';
import { METRIC_REASONS, OUTCOMES, SHARED_CACHE_OUTCOMES } from '../lambda/observability/metrics-contract.js';
import { AuthorizerAlarms } from './alarms.js';
import { AUTHORIZERS_PER_API_QUOTA, apiKey, stacksReferencedBy } from './api-identity.js';
import { createAuthorizerFunction } from './authorizer-function.js';
import { AuthorizerInvocation } from './authorizer-invocation.js';
import { CachedAnswerSharing } from './cached-answer-sharing.js';
import { addAccessLogWidgets, createAuthorizerDashboard } from './dashboard.js';
import { DecisionMetrics, metricsTarget } from './decision-metrics.js';
import { HttpAuthorizerWiring } from './http-route-authorizer.js';
import { addProtectedHttpRoutes, type PhantomTokenHttpRouteOptions } from './http-routes.js';
import { JwtForwardingHttpIntegration, JwtForwardingHttpIntegrations, JwtForwardingRestIntegration } from './jwt-forwarding.js';
import type { PhantomTokenAuthorizerProps } from './props.js';
import { addProtectedRestMethod, type PhantomTokenRestMethodOptions, RestAuthorizerWiring } from './rest-authorizer.js';
import { createRevocationReceiver } from './revocation-receiver.js';
import { RouteScopeRegistry } from './route-scope-registry.js';
import { attachRouteTable } from './route-table-layer.js';
import { RouteTablePlanner } from './route-table-plan.js';
import { dpopChallenge, gatewayCacheTtl } from './sender-constrained-tokens.js';
import { createSharedCache } from './shared-cache.js';
import { validateProps } from './validate-props.js';

/**
 * The phantom token pattern for API Gateway: a REQUEST Lambda authorizer that exchanges the
 * client's opaque access token for a JWT by OAuth introspection, wired into HTTP APIs and REST
 * APIs with per-route scopes and JWT delivery to every integration type. One function serves
 * every API it is attached to.
 *
 * @example
 * const authorizer = new PhantomTokenAuthorizer(this, 'PhantomToken', {
 *   introspectionEndpoint: 'https://login.example.com/oauth/v2/oauth-introspect',
 *   clientCredentialsSecretName: 'phantom-token/introspection-client',
 * });
 * authorizer.addHttpRoutes(httpApi, {
 *   path: '/orders',
 *   methods: [HttpMethod.GET],
 *   integration: new HttpUrlIntegration('Orders', 'https://orders.internal.example.com/orders'),
 *   scopes: ['orders:read'],
 * });
 */
export class PhantomTokenAuthorizer extends Construct implements IConnectable {
  /** The authorizer function (`addEnvironment`, metrics, alarms …). */
  readonly function: LambdaFunction;
  /** The function's own role: it may write its log group and read its secret. */
  readonly role: IRole;
  /** The function's log group: the one created, or `props.logGroup`. */
  readonly logGroup: ILogGroup;
  /** The secret the function reads its client credentials from. */
  readonly clientCredentialsSecret: ISecret;
  /** The header that carries the JWT to HTTP API HTTP integrations. */
  readonly jwtHeaderName: string;
  /**
   * A route authorizer for any HTTP API, for `HttpApi`'s `defaultAuthorizer` (the API does not
   * exist yet when its props are built): on the first route of an API it binds to, it creates
   * that API's authorizer and invoke permission in the API's scope, as `httpRouteAuthorizer`
   * does. Declare the scopes of routes it guards with `requireScopes`.
   *
   * @example
   * const api = new HttpApi(this, 'Api', { defaultAuthorizer: phantomToken.httpAuthorizer });
   * api.addRoutes({ path: '/orders', methods: [HttpMethod.GET], integration: phantomToken.forwardJwt(orders) });
   * phantomToken.requireScopes('GET /orders', ['orders:read']);
   */
  readonly httpAuthorizer: IHttpRouteAuthorizer;
  /** The CloudWatch alarms (none when `alarms` is `false`). */
  readonly alarms: Alarm[];
  /** The CloudWatch dashboard, when `dashboard` is `true`. */
  readonly dashboard?: Dashboard;
  /**
   * The shared introspection cache's table (`sharedCache`): the one created, or
   * `sharedCache.table`; none without a shared cache.
   */
  readonly sharedCacheTable?: ITable;
  /**
   * The revocation receiver's function URL (`revocation`), to which the identity server pushes
   * Security Event Tokens; none without a receiver.
   */
  readonly revocationReceiverUrl?: string;
  /** The revocation receiver's function (`revocation`); none without a receiver. */
  readonly revocationReceiver?: IFunction;

  private readonly decisionMetrics: DecisionMetrics;
  /** Per-API gateway cache TTLs, by API key (`apiKey`). */
  private readonly apiResultsCacheTtls = new Map<string, Duration>();
  private readonly senderConstrainedTokens: boolean;
  private readonly routeScopes = new RouteScopeRegistry();
  private readonly routePolicy: RouteTablePlanner;
  private readonly httpIntegrations = new JwtForwardingHttpIntegrations();
  private readonly httpWiring: HttpAuthorizerWiring;
  private readonly restWiring: RestAuthorizerWiring;

  constructor(scope: Construct, id: string, props: PhantomTokenAuthorizerProps) {
    super(scope, id);
    validateProps(props, this.node.path);
    this.routePolicy = new RouteTablePlanner(
      () => this.routeScopes.declarations,
      props.cachedAnswerSharing === CachedAnswerSharing.EVALUATED_POLICY ? 'evaluated-policy' : 'same-scopes',
    );
    const resultsCacheTtl = gatewayCacheTtl(props);
    this.senderConstrainedTokens = props.senderConstrainedTokens === true;
    const resultsCacheTtlOf = (key: string) => this.apiResultsCacheTtls.get(key) ?? resultsCacheTtl;
    this.jwtHeaderName = (props.jwtHeaderName ?? DEFAULT_JWT_HEADER_NAME).toLowerCase();
    // APIs whose ids the function's configuration holds (apiAudiences) and that live in other stacks:
    // this stack depends on theirs, so their authorizers reach the function by a name of its own.
    const detachedStacks = stacksReferencedBy(Object.keys(props.apiAudiences ?? {}), Stack.of(this));
    const functionName = detachedStacks.size > 0 ? Names.uniqueResourceName(this, { maxLength: 64 }) : undefined;
    const built = createAuthorizerFunction(this, props, functionName);
    this.function = built.function;
    this.role = built.role;
    this.logGroup = built.logGroup;
    this.clientCredentialsSecret = built.clientCredentialsSecret;
    attachRouteTable(this, this.function, this.routePolicy);
    const sharedCache =
      props.sharedCache === undefined
        ? undefined
        : createSharedCache(this, props.sharedCache, this.function, this.role, props.revocation !== undefined);
    this.sharedCacheTable = sharedCache?.table;
    const { namespace, service } = metricsTarget(this, props);
    const metrics = new DecisionMetrics(namespace, service);
    this.decisionMetrics = metrics;
    this.alarms =
      props.alarms === false
        ? []
        : new AuthorizerAlarms(this, 'Alarms', metrics, this, this.function, props.alarmThresholds, props.alarmAction).alarms;
    if (props.dashboard === true) this.dashboard = createAuthorizerDashboard(this, metrics, this, this.function);
    const invocation = new AuthorizerInvocation(this.function, detachedStacks, functionName);
    const authorizerName = props.authorizerName ?? `${this.node.id}-phantom-token`;
    const authorizersPerApiQuota = props.authorizersPerApiQuota ?? AUTHORIZERS_PER_API_QUOTA;
    this.httpWiring = new HttpAuthorizerWiring(this, {
      invocation,
      routeScopes: this.routeScopes,
      routePolicy: this.routePolicy,
      resultsCacheTtlOf,
      authorizerName,
      authorizersPerApiQuota,
    });
    this.httpAuthorizer = this.httpWiring.anyApi;
    this.restWiring = new RestAuthorizerWiring(this, {
      invocation,
      routeScopes: this.routeScopes,
      routePolicy: this.routePolicy,
      resultsCacheTtlOf,
      authorizerName,
      authorizersPerApiQuota,
      realm: props.realm ?? DEFAULTS.realm,
      dpopChallenge: dpopChallenge(props),
      gatewayResponses: props.restGatewayResponses ?? true,
      gatewayResponseHeaders: props.restGatewayResponseHeaders ?? {},
    });
    if (props.revocation !== undefined && sharedCache !== undefined) {
      const restWiring = this.restWiring;
      const receiver = createRevocationReceiver(this, {
        options: props.revocation,
        props,
        sharedCache,
        restApis: () => restWiring.restApis(),
        dependedOnStacks: detachedStacks,
      });
      this.revocationReceiver = receiver.function;
      this.revocationReceiverUrl = receiver.url;
    }
  }

  /**
   * The function's network connections, for a function in a VPC (`vpc`): allow it to reach a
   * private identity server with `phantomToken.connections.allowTo(idp, Port.tcp(443))`. Throws
   * for a function outside a VPC, as Lambda's `Function.connections` does.
   */
  get connections(): Connections {
    return this.function.connections;
  }

  /**
   * A metric of the function's decision lines (CloudWatch embedded metric format, in
   * `metricsNamespace`, with the construct's `service` dimension), summed per minute unless
   * `props` says otherwise. Metric names: `Decisions`, `totalMs`, `introspectionMs`, `ColdStart`,
   * `SecretReadFailures`; `Decisions` is written by `outcome`, `reason` and `cache` only (see
   * `metricDecisions`, `metricDenies`).
   */
  metric(metricName: string, props?: MetricOptions): Metric {
    return this.decisionMetrics.named(metricName, 'Sum').with(props ?? {});
  }

  /**
   * Decisions with one outcome, `allow`, `deny` or `error`, summed per minute. The alarms and the
   * dashboard use this metric.
   * @example phantomToken.metricDecisions('deny').createAlarm(this, 'Denies', { threshold: 1000, evaluationPeriods: 5 })
   */
  metricDecisions(outcome: string, props?: MetricOptions): Metric {
    if (!(OUTCOMES as readonly string[]).includes(outcome)) {
      throw new Error(`metricDecisions: outcome must be one of ${OUTCOMES.join(', ')}; received ${JSON.stringify(outcome)}`);
    }
    return this.decisionMetrics.decisions('outcome', outcome).with(props ?? {});
  }

  /**
   * Decisions with one reason, summed per minute: a deny reason (`inactive`, `insufficient_scope`,
   * `wrong_audience` …) or an error code (`ERR_INTROSPECTION_REQUEST_FAILED` …).
   */
  metricDenies(reason: string, props?: MetricOptions): Metric {
    if (!METRIC_REASONS.includes(reason)) {
      throw new Error(`metricDenies: reason must be one of ${METRIC_REASONS.join(', ')}; received ${JSON.stringify(reason)}`);
    }
    return this.decisionMetrics.decisions('reason', reason).with(props ?? {});
  }

  /**
   * Error decisions (500s: the identity server, JWKS or Secrets Manager failing), summed per
   * minute: the `IdentityServerErrors` alarm's metric. The function's own `Errors` (timeouts,
   * crashes too) are `phantomToken.function.metricErrors()`.
   */
  metricErrors(props?: MetricOptions): Metric {
    return this.metricDecisions('error', props);
  }

  /** The decision latency (`totalMs`, milliseconds from invocation to decision), p99 per minute: the `DecisionLatencyP99` alarm's metric. */
  metricLatency(props?: MetricOptions): Metric {
    return this.decisionMetrics.perService('totalMs', 'p99').with(props ?? {});
  }

  /** The introspection request's latency (`introspectionMs`, on decisions that asked the OAuth server), p99 per minute. */
  metricIntrospectionLatency(props?: MetricOptions): Metric {
    return this.decisionMetrics.perService('introspectionMs', 'p99').with(props ?? {});
  }

  /**
   * Decisions whose memory miss the shared cache answered with `outcome` (`hit`, `negative`,
   * `revoked`, `miss`, `invalid`, `unavailable`, `joined`: the `sharedCache` dimension), summed per
   * minute. `unavailable` counts misses on which the table failed or ran late, each of which cost an
   * introspection: alarm on it where the identity server's load matters.
   * @example phantomToken.metricSharedCache('unavailable').createAlarm(this, 'SharedCacheDown', { threshold: 10, evaluationPeriods: 5 })
   */
  metricSharedCache(outcome: string, props?: MetricOptions): Metric {
    if (!(SHARED_CACHE_OUTCOMES as readonly string[]).includes(outcome)) {
      throw new Error(`metricSharedCache: outcome must be one of ${SHARED_CACHE_OUTCOMES.join(', ')}; received ${JSON.stringify(outcome)}`);
    }
    return this.decisionMetrics.decisions('sharedCache', outcome).with(props ?? {});
  }

  /** The shared cache's table read on a memory miss (`sharedCacheMs`, milliseconds), p99 per minute. */
  metricSharedCacheLatency(props?: MetricOptions): Metric {
    return this.decisionMetrics.perService('sharedCacheMs', 'p99').with(props ?? {});
  }

  /** Cold starts of the function (`ColdStart`), summed per minute. */
  metricColdStarts(props?: MetricOptions): Metric {
    return this.decisionMetrics.perService('coldStart', 'Sum').with(props ?? {});
  }

  /** Failed reads of the client-credentials secret (`SecretReadFailures`), summed per minute. */
  metricSecretReadFailures(props?: MetricOptions): Metric {
    return this.decisionMetrics.perService('secretReadFailures', 'Sum').with(props ?? {});
  }

  /**
   * Adds widgets over an API stage's access log to the dashboard: requests by status and authorizer
   * error, and the authorizer's status and latency (REST). The log should be written in
   * `PhantomTokenAccessLogFormat`. Throws when the construct has no dashboard (`dashboard: true`).
   */
  addDashboardAccessLogs(logGroup: ILogGroup, title: string): void {
    if (this.dashboard === undefined) throw new Error('addDashboardAccessLogs needs the dashboard: set dashboard: true');
    addAccessLogWidgets(this.dashboard, logGroup, title);
  }

  /**
   * Declares the scopes a route requires, for routes added without `addHttpRoutes` or
   * `addRestMethod`. HTTP API route keys as API Gateway writes them (`GET /orders/{id}`);
   * REST as `${httpMethod} ${resourcePath}`.
   */
  requireScopes(routeKey: string, scopes: string[]): void {
    this.routeScopes.declare(routeKey, scopes);
  }

  /**
   * The route authorizer for one HTTP API: REQUEST, payload 2.0, IAM policy answers, identity
   * source `$request.header.Authorization`. It binds each route to the authorizer of the route's
   * group in the route table (`cachedAnswerSharing`): one authorizer per group, and one keyed by
   * `$context.routeKey` too for routes cached per route, so that a cached allow never crosses into
   * a route that needs more. One per API, created in the API's scope (with its invoke permission)
   * when the first route binds, so the API may live in another stack than this construct; the
   * function is shared. An API is known by its id, account and region, not by its object: the
   * `HttpApi` and its imports (`HttpApi.fromHttpApiAttributes` in service stacks) share one
   * authorizer, created under the first of them the construct is given; routes of the others
   * reference it there. Binding it to a route of another API throws: `httpAuthorizer` binds to any.
   */
  httpRouteAuthorizer(httpApi: IHttpApi): IHttpRouteAuthorizer {
    return this.httpWiring.forApi(httpApi);
  }

  /**
   * The `HttpAuthorizer` resource of one HTTP API (the API's first authorizer, created now when the
   * API has none yet), for what needs the resource itself: its `authorizerId` in your own
   * resources, a dependency on it. Not to guard routes: routes bound to it by hand are not in the
   * function's route table (the function denies them as `unknown_route`), and routes the
   * construct guards may be answered by further authorizers of the API (`-g1` …) that this is not.
   * Guard routes with `httpRouteAuthorizer`, `httpAuthorizer` or `addHttpRoutes`.
   */
  httpAuthorizerFor(httpApi: IHttpApi): HttpAuthorizer {
    return this.httpWiring.resourceFor(httpApi);
  }

  /**
   * API Gateway's decision cache TTL for the authorizers of one HTTP API, instead of
   * `resultsCacheTtl` (an API whose tokens are revoked more often may cache for less): a whole
   * number of seconds from 0 to 3600; only 0 with `senderConstrainedTokens`. The API and its
   * imports are one API. Takes effect at synthesis, whenever it is called before.
   */
  setHttpApiResultsCacheTtl(httpApi: IHttpApi, ttl: Duration): void {
    this.setResultsCacheTtl(httpApi, httpApi.apiId, ttl);
  }

  /**
   * API Gateway's decision cache TTL for the authorizers of one REST API, instead of
   * `resultsCacheTtl`: a whole number of seconds from 0 to 3600; only 0 with
   * `senderConstrainedTokens`. The API and its imports are one API. Takes effect at synthesis,
   * whenever it is called before.
   */
  setRestApiResultsCacheTtl(restApi: IRestApi, ttl: Duration): void {
    this.setResultsCacheTtl(restApi, restApi.restApiId, ttl);
  }

  private setResultsCacheTtl(api: IConstruct, apiId: string, ttl: Duration): void {
    const method = `set${'restApiId' in api ? 'Rest' : 'Http'}ApiResultsCacheTtl(${api.node.path})`;
    if (!ttl.isUnresolved()) {
      const ms = ttl.toMilliseconds({ integral: false });
      if (!Number.isInteger(ms / 1_000) || ms < 0 || ms > 3_600_000) {
        throw new Error(`${method}: the TTL must be a whole number of seconds from 0 to 3600; received ${ms / 1_000} seconds`);
      }
      if (this.senderConstrainedTokens && ms !== 0) {
        throw new Error(
          `${method}: the TTL must be 0 when senderConstrainedTokens is true (a cached decision would let a bound token pass without its proof); received ${ms / 1_000} seconds`,
        );
      }
    }
    this.apiResultsCacheTtls.set(apiKey(api, apiId), ttl);
  }

  /**
   * Wraps an HTTP API integration so that HTTP and private integrations receive the JWT in
   * `jwtHeaderName`, overwriting anything the client sent in that header.
   */
  forwardJwt(integration: HttpRouteIntegration): HttpRouteIntegration {
    return new JwtForwardingHttpIntegration(integration, this.jwtHeaderName);
  }

  /**
   * Adds protected routes to an HTTP API in one call: the authorizer, the scopes and the JWT
   * delivery together. Every route it adds is guarded, `OPTIONS` and `ANY` alike; it adds no
   * unauthenticated route. For browsers, set the `HttpApi`'s `corsPreflight`: API Gateway responds
   * to CORS preflight requests itself where no route matches them. An `ANY` route matches
   * `OPTIONS` too, so its preflight goes through the authorizer like any other method: list the
   * methods of routes browsers call instead.
   */
  addHttpRoutes(httpApi: IHttpApi, options: PhantomTokenHttpRouteOptions): HttpRoute[] {
    return addProtectedHttpRoutes(
      httpApi,
      options,
      this.jwtHeaderName,
      this.httpRouteAuthorizer(httpApi),
      this.routeScopes,
      this.httpIntegrations,
    );
  }

  /**
   * The REQUEST authorizer for one REST API, with gateway responses so that 401 carries
   * `WWW-Authenticate: Bearer realm="…"` and a 403 for insufficient scope carries
   * `error="insufficient_scope"` (RFC 6750 §3). When any route requires scopes, the method and
   * resource path join the identity sources, so a cached policy serves only its own route.
   * The authorizer, its invoke permission and the gateway responses are created in the API's
   * scope, so the API may live in another stack than this construct. An API is known by its id,
   * account and region, not by its object: the `RestApi` and its imports
   * (`RestApi.fromRestApiAttributes` in nested stacks) share one authorizer and one pair of gateway
   * responses, created under the first of them the construct is given.
   */
  restAuthorizer(restApi: IRestApi): IAuthorizer {
    return this.requestAuthorizer(restApi);
  }

  private requestAuthorizer(restApi: IRestApi): RequestAuthorizer {
    return this.restWiring.authorizerFor(restApi);
  }

  /** Wraps a REST integration so that HTTP backends receive `Authorization: Bearer <JWT>`. */
  forwardJwtRest(integration: Integration): Integration {
    return new JwtForwardingRestIntegration(integration);
  }

  /**
   * Adds a protected method to a REST resource in one call: the authorizer with its authorization
   * type (`CUSTOM`, also over a Cognito default of the API), the scopes and
   * `Authorization: Bearer <JWT>` for HTTP integrations. It adds no unauthenticated method that
   * reaches the integration: an `OPTIONS` request to an `ANY` method goes through the authorizer,
   * unless the resource has a CORS preflight method (`corsPreflight` in the options,
   * `addCorsPreflight`, `defaultCorsPreflightOptions`), which API Gateway answers itself.
   */
  addRestMethod(resource: IResource, httpMethod: string, integration: Integration, options: PhantomTokenRestMethodOptions = {}): Method {
    const authorizer = this.requestAuthorizer(resource.api);
    return addProtectedRestMethod(resource, httpMethod, integration, options, authorizer, this.routeScopes);
  }
}
