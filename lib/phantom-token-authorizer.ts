import type { IAuthorizer, Integration, IResource, IRestApi, Method, RequestAuthorizer } from 'aws-cdk-lib/aws-apigateway';
import type { HttpRoute, HttpRouteIntegration, IHttpApi, IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Alarm, Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DEFAULT_JWT_HEADER_NAME, DEFAULTS } from '../lambda/environment.js';
import { AuthorizerAlarms } from './alarms.js';
import { createAuthorizerFunction } from './authorizer-function.js';
import { addAccessLogWidgets, createAuthorizerDashboard } from './dashboard.js';
import { DecisionMetrics, metricsTarget } from './decision-metrics.js';
import { HttpAuthorizerWiring } from './http-route-authorizer.js';
import { addProtectedHttpRoutes, type PhantomTokenHttpRouteOptions } from './http-routes.js';
import { JwtForwardingHttpIntegration, JwtForwardingHttpIntegrations, JwtForwardingRestIntegration } from './jwt-forwarding.js';
import type { PhantomTokenAuthorizerProps } from './props.js';
import { addProtectedRestMethod, type PhantomTokenRestMethodOptions, RestAuthorizerWiring } from './rest-authorizer.js';
import { RouteScopeRegistry } from './route-scope-registry.js';
import { attachRouteTable } from './route-table-layer.js';
import { RouteTablePlanner } from './route-table-plan.js';
import { dpopChallenge, gatewayCacheTtl } from './sender-constrained-tokens.js';
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
   * that API's authorizer and invoke permission in the API's scope, as {@link httpRouteAuthorizer}
   * does. Declare the scopes of routes it guards with {@link requireScopes}.
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

  private readonly routeScopes = new RouteScopeRegistry();
  private readonly routePolicy = new RouteTablePlanner(() => this.routeScopes.declarations);
  private readonly httpIntegrations = new JwtForwardingHttpIntegrations();
  private readonly httpWiring: HttpAuthorizerWiring;
  private readonly restWiring: RestAuthorizerWiring;

  constructor(scope: Construct, id: string, props: PhantomTokenAuthorizerProps) {
    super(scope, id);
    validateProps(props, this.node.path);
    const resultsCacheTtl = gatewayCacheTtl(props);
    this.jwtHeaderName = (props.jwtHeaderName ?? DEFAULT_JWT_HEADER_NAME).toLowerCase();
    const built = createAuthorizerFunction(this, props);
    this.function = built.function;
    this.role = built.role;
    this.logGroup = built.logGroup;
    this.clientCredentialsSecret = built.clientCredentialsSecret;
    attachRouteTable(this, this.function, this.routePolicy);
    const { namespace, service } = metricsTarget(this, props);
    const metrics = new DecisionMetrics(namespace, service);
    this.alarms =
      props.alarms === false
        ? []
        : new AuthorizerAlarms(this, 'Alarms', metrics, this.function, props.alarmThresholds, props.alarmAction).alarms;
    if (props.dashboard === true) this.dashboard = createAuthorizerDashboard(this, metrics, this.function);
    const authorizerName = `${this.node.id}-phantom-token`;
    this.httpWiring = new HttpAuthorizerWiring(this, {
      handler: this.function,
      routeScopes: this.routeScopes,
      routePolicy: this.routePolicy,
      resultsCacheTtl,
      authorizerName,
    });
    this.httpAuthorizer = this.httpWiring.anyApi;
    this.restWiring = new RestAuthorizerWiring(this, {
      handler: this.function,
      routeScopes: this.routeScopes,
      routePolicy: this.routePolicy,
      resultsCacheTtl,
      authorizerName,
      realm: props.realm ?? DEFAULTS.realm,
      dpopChallenge: dpopChallenge(props),
      gatewayResponses: props.restGatewayResponses ?? true,
      gatewayResponseHeaders: props.restGatewayResponseHeaders ?? {},
    });
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
   * route that needs more. One per API, created in the API's scope (with its invoke permission)
   * when the first route binds, so the API may live in another stack than this construct; the
   * function is shared. Binding it to a route of another API throws: {@link httpAuthorizer} binds to any.
   */
  httpRouteAuthorizer(httpApi: IHttpApi): IHttpRouteAuthorizer {
    return this.httpWiring.forApi(httpApi);
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
   * scope, so the API may live in another stack than this construct.
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
