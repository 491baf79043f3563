import { type Duration, Lazy, Stack } from 'aws-cdk-lib';
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
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
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

/** What the HTTP API wiring needs of the construct. */
export interface HttpWiringContext {
  readonly handler: IFunction;
  readonly routeScopes: RouteScopeRegistry;
  readonly resultsCacheTtl: Duration;
  readonly authorizerName: string;
}

/**
 * The route authorizer for one HTTP API: REQUEST, payload 2.0, simple responses, identity
 * source `$request.header.Authorization`, plus `$context.routeKey` whenever the API's
 * protected routes differ in required scopes, so that a cached allow never crosses into a
 * route that needs more.
 */
export function createHttpRouteAuthorizer(
  scope: Construct,
  id: string,
  httpApi: IHttpApi,
  context: HttpWiringContext,
): IHttpRouteAuthorizer {
  const protectedRoutes: IHttpRoute[] = [];
  const identitySource = Lazy.list({
    produce: () => {
      // Route keys are read at synth time: bind() runs before the route's CfnRoute exists.
      const routeKeys = protectedRoutes.map((route) => (route.node.defaultChild as CfnRoute).routeKey);
      const scopeSets = new Set(routeKeys.map((routeKey) => context.routeScopes.scopesOf(routeKey).join(' ')));
      return scopeSets.size > 1 ? ['$request.header.Authorization', '$context.routeKey'] : ['$request.header.Authorization'];
    },
  });
  const stack = Stack.of(scope);
  const authorizer = new HttpAuthorizer(scope, id, {
    httpApi,
    authorizerName: context.authorizerName,
    type: HttpAuthorizerType.LAMBDA,
    identitySource,
    payloadFormatVersion: AuthorizerPayloadVersion.VERSION_2_0,
    enableSimpleResponses: true,
    authorizerUri: `arn:${stack.partition}:apigateway:${stack.region}:lambda:path/2015-03-31/functions/${context.handler.functionArn}/invocations`,
    resultsCacheTtl: context.resultsCacheTtl,
  });
  context.handler.addPermission(`${id}Invoke`, {
    principal: new ServicePrincipal('apigateway.amazonaws.com'),
    sourceArn: stack.formatArn({
      service: 'execute-api',
      resource: httpApi.apiId,
      resourceName: `authorizers/${authorizer.authorizerId}`,
    }),
  });
  return {
    bind(options: HttpRouteAuthorizerBindOptions): HttpRouteAuthorizerConfig {
      protectedRoutes.push(options.route);
      return { authorizationType: 'CUSTOM', authorizerId: authorizer.authorizerId };
    },
  };
}

/**
 * Adds protected routes to an HTTP API: the authorizer, the scopes and the (already wrapped)
 * integration together. `ANY` routes get an unauthenticated `OPTIONS` twin for CORS preflight.
 */
export function addProtectedHttpRoutes(
  httpApi: IHttpApi,
  options: PhantomTokenHttpRouteOptions,
  integration: HttpRouteIntegration,
  authorizer: IHttpRouteAuthorizer,
  routeScopes: RouteScopeRegistry,
): HttpRoute[] {
  const methods = options.methods ?? [HttpMethod.ANY];
  const routes: HttpRoute[] = [];
  for (const method of methods) {
    const unauthenticated = method === HttpMethod.OPTIONS;
    if (!unauthenticated) routeScopes.declare(`${method} ${options.path}`, options.scopes ?? []);
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
