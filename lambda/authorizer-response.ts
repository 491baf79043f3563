import type { AuthorizerRequest } from './authorizer-event.js';

export type AuthorizerContext = Readonly<Record<string, string>>;

/** HTTP API payload 2.0 simple response. */
export interface SimpleResponse {
  readonly isAuthorized: boolean;
  readonly context?: AuthorizerContext;
}

/** REST (and HTTP API payload 1.0, or 2.0 without simple responses) IAM policy response. */
export interface PolicyResponse {
  readonly principalId: string;
  readonly policyDocument: {
    readonly Version: '2012-10-17';
    readonly Statement: readonly {
      readonly Action: 'execute-api:Invoke';
      readonly Effect: 'Allow' | 'Deny';
      readonly Resource: string | readonly string[];
    }[];
  };
  readonly context?: AuthorizerContext;
}

export type AuthorizerResponse = SimpleResponse | PolicyResponse;

/** REST's documented way to make API Gateway answer 401: the function fails with exactly this message. */
export const REST_UNAUTHORIZED = 'Unauthorized';

/**
 * Allow. For REST the policy is cached by API Gateway per identity-source values, so its resource
 * must hold for every request that can share the cache entry: with per-route scopes the construct
 * adds the method and resource path to the identity sources and the policy names just this route
 * (path parameters as `*`); without them one decision serves the whole stage.
 */
export function allow(request: AuthorizerRequest, principalId: string, context: AuthorizerContext, perRoute: boolean): AuthorizerResponse {
  if (request.format === 'simple') return { isAuthorized: true, context };
  return policy(principalId, 'Allow', perRoute ? routeResource(request) : stageResource(request), context);
}

/** The token is valid but lacks the route's scopes: HTTP API false (403), REST a Deny policy (403). */
export function denyInsufficientScope(request: AuthorizerRequest, principalId: string): AuthorizerResponse {
  if (request.format === 'simple') return { isAuthorized: false };
  return policy(principalId, 'Deny', routeResource(request), undefined);
}

/** Missing, malformed, inactive or unknown token: HTTP API false (403); REST throws `Unauthorized` (401). */
export function denyInvalidToken(request: AuthorizerRequest): AuthorizerResponse {
  if (request.format === 'simple') return { isAuthorized: false };
  throw new Error(REST_UNAUTHORIZED);
}

function policy(principalId: string, effect: 'Allow' | 'Deny', resource: string, context: AuthorizerContext | undefined): PolicyResponse {
  return {
    principalId,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] },
    ...(context === undefined ? {} : { context }),
  };
}

/** `arn:…:api/stage/*`: every method and path of the stage. */
function stageResource(request: AuthorizerRequest): string {
  const [api, stage] = (request.methodArn as string).split('/', 2);
  return `${api}/${stage}/*`;
}

/** `arn:…:api/stage/GET/orders/*` for the route `GET /orders/{id}`. */
function routeResource(request: AuthorizerRequest): string {
  const [api, stage] = (request.methodArn as string).split('/', 2);
  const method = request.httpMethod === 'ANY' ? '*' : request.httpMethod;
  const path = (request.resource as string).replace(/\{[^}]*\}/g, '*');
  return `${api}/${stage}/${method}${path}`;
}
