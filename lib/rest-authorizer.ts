import { type Duration, Lazy } from 'aws-cdk-lib';
import {
  AuthorizationType,
  GatewayResponse,
  IdentitySource,
  type Integration,
  type IResource,
  type IRestApi,
  type Method,
  type MethodOptions,
  RequestAuthorizer,
  ResponseType,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { RouteScopeRegistry } from './route-scope-registry.js';

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

/** What the REST API wiring needs of the construct. */
export interface RestWiringContext {
  readonly handler: IFunction;
  readonly routeScopes: RouteScopeRegistry;
  readonly resultsCacheTtl: Duration;
  readonly authorizerName: string;
  readonly realm: string;
}

/**
 * The REQUEST authorizer for one REST API, with gateway responses so that 401 carries
 * `WWW-Authenticate: Bearer realm="…"` and a 403 for insufficient scope carries
 * `error="insufficient_scope"` (RFC 6750 §3). When any route requires scopes, the method and
 * resource path join the identity sources, so a cached policy serves only its own route.
 */
export function createRestAuthorizer(scope: Construct, id: string, restApi: IRestApi, context: RestWiringContext): RequestAuthorizer {
  const authorizer = new RequestAuthorizer(scope, id, {
    authorizerName: context.authorizerName,
    handler: context.handler,
    resultsCacheTtl: context.resultsCacheTtl,
    identitySources: [
      Lazy.string({
        produce: () =>
          (context.routeScopes.isEmpty
            ? [IdentitySource.header('Authorization')]
            : [IdentitySource.header('Authorization'), IdentitySource.context('httpMethod'), IdentitySource.context('resourcePath')]
          ).join(','),
      }),
    ],
  });
  new GatewayResponse(scope, `${id}Unauthorized`, {
    restApi,
    type: ResponseType.UNAUTHORIZED,
    statusCode: '401',
    responseHeaders: { 'WWW-Authenticate': `'Bearer realm="${context.realm}"'` },
  });
  new GatewayResponse(scope, `${id}AccessDenied`, {
    restApi,
    type: ResponseType.ACCESS_DENIED,
    statusCode: '403',
    responseHeaders: { 'WWW-Authenticate': `'Bearer realm="${context.realm}", error="insufficient_scope"'` },
  });
  return authorizer;
}

/**
 * Adds a protected method to a REST resource: the authorizer, the scopes and the (already
 * wrapped) integration. `ANY` gets an unauthenticated `OPTIONS` twin (unless the resource has
 * one, e.g. from CORS preflight options).
 */
export function addProtectedRestMethod(
  resource: IResource,
  httpMethod: string,
  integration: Integration,
  options: PhantomTokenRestMethodOptions,
  authorizer: RequestAuthorizer,
  routeScopes: RouteScopeRegistry,
): Method {
  const method = httpMethod.toUpperCase();
  routeScopes.declare(`${method} ${resource.path}`, options.scopes ?? []);
  const added = resource.addMethod(method, integration, { ...options.methodOptions, authorizer });
  if (method === 'ANY' && resource.node.tryFindChild('OPTIONS') === undefined) {
    resource.addMethod('OPTIONS', integration, {
      authorizer: { authorizerId: '', authorizationType: AuthorizationType.NONE },
      authorizationType: AuthorizationType.NONE,
    });
  }
  return added;
}
