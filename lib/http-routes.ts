import {
  HttpMethod,
  HttpNoneAuthorizer,
  HttpRoute,
  type HttpRouteIntegration,
  HttpRouteKey,
  type IHttpApi,
  type IHttpRouteAuthorizer,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { JwtForwardingHttpIntegrations } from './jwt-forwarding.js';
import type { RouteScopeRegistry } from './route-scope-registry.js';

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

/**
 * Adds protected routes to an HTTP API: the authorizer, the scopes and the integration together,
 * the JWT mapped into `jwtHeaderName` for HTTP and private integrations. `ANY` routes get an
 * unauthenticated `OPTIONS` twin for CORS preflight; the unauthenticated routes this adds remove
 * `jwtHeaderName` instead (no authorizer ran, so there is no JWT, and a value the client sent in
 * that header must never reach the backend). The integration wrappers come from `wrappers`, so
 * calls that pass the same integration for the same API share one `AWS::ApiGatewayV2::Integration`
 * per JWT delivery (the default, a cache of this call only, shares nothing across calls).
 */
export function addProtectedHttpRoutes(
  httpApi: IHttpApi,
  options: PhantomTokenHttpRouteOptions,
  jwtHeaderName: string,
  authorizer: IHttpRouteAuthorizer,
  routeScopes: RouteScopeRegistry,
  wrappers: JwtForwardingHttpIntegrations = new JwtForwardingHttpIntegrations(),
): HttpRoute[] {
  const methods = options.methods ?? [HttpMethod.ANY];
  const routes: HttpRoute[] = [];
  const addRoute = (method: HttpMethod) => {
    const open = method === HttpMethod.OPTIONS;
    if (!open) routeScopes.declare(`${method} ${options.path}`, options.scopes ?? []);
    routes.push(
      new HttpRoute(httpApi, `${method}${options.path}`, {
        httpApi,
        routeKey: HttpRouteKey.with(options.path, method),
        integration: wrappers.wrap(options.integration, httpApi, jwtHeaderName, open ? 'remove' : 'forward'),
        authorizer: open ? new HttpNoneAuthorizer() : authorizer,
      }),
    );
  };
  for (const method of methods) addRoute(method);
  if (methods.includes(HttpMethod.ANY) && !methods.includes(HttpMethod.OPTIONS)) addRoute(HttpMethod.OPTIONS);
  return routes;
}
