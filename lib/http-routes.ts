import {
  HttpMethod,
  HttpRoute,
  type HttpRouteIntegration,
  HttpRouteKey,
  type IHttpApi,
  type IHttpRouteAuthorizer,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { JwtForwardingHttpIntegrations } from './jwt-forwarding.js';
import type { RouteScopeRegistry } from './route-scope-registry.js';

/** Options of `PhantomTokenAuthorizer.addHttpRoutes`. */
export interface PhantomTokenHttpRouteOptions {
  /** The route path, e.g. `/orders/{id}`. */
  readonly path: string;
  /**
   * The methods, each a route the authorizer guards, `OPTIONS` included. Without the API's
   * `corsPreflight`, an `OPTIONS` request to an `ANY` route goes through the authorizer like any
   * other method. With `corsPreflight`, API Gateway responds to CORS preflight requests itself, with
   * no authorizer and no integration, where no route matches the `OPTIONS` request; an `ANY` route
   * (like the `$default` route) does match it, so that preflight still goes through the authorizer,
   * and a browser's preflight, which carries no token, is refused. For routes that browsers call,
   * list the methods (e.g. `[HttpMethod.GET, HttpMethod.POST]`) and set `corsPreflight`.
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

/**
 * Adds protected routes to an HTTP API: the authorizer, the scopes and the integration together,
 * the JWT mapped into `jwtHeaderName` for HTTP and private integrations. Every route it adds is
 * guarded, `OPTIONS` and `ANY` alike: it adds no unauthenticated route, so nothing reaches the
 * backend without a token (CORS preflight is the API's `corsPreflight`, answered by API Gateway).
 * The integration wrappers come from `wrappers`, so calls that pass the same integration for the
 * same API share one `AWS::ApiGatewayV2::Integration` (the default, a cache of this call only,
 * shares nothing across calls).
 */
export function addProtectedHttpRoutes(
  httpApi: IHttpApi,
  options: PhantomTokenHttpRouteOptions,
  jwtHeaderName: string,
  authorizer: IHttpRouteAuthorizer,
  routeScopes: RouteScopeRegistry,
  wrappers: JwtForwardingHttpIntegrations = new JwtForwardingHttpIntegrations(),
): HttpRoute[] {
  const integration = wrappers.wrap(options.integration, httpApi, jwtHeaderName);
  return (options.methods ?? [HttpMethod.ANY]).map((method) => {
    routeScopes.declare(`${method} ${options.path}`, options.scopes ?? []);
    return new HttpRoute(httpApi, `${method}${options.path}`, {
      httpApi,
      routeKey: HttpRouteKey.with(options.path, method),
      integration,
      authorizer,
    });
  });
}
