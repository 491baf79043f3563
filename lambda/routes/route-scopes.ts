import type { AuthorizerRequest } from '../authorizer-event.js';
import { ROUTE_KEY_PATTERN, SCOPE_TOKEN_PATTERN } from '../environment.js';
import { ConfigurationInvalidError } from '../errors.js';

/** Route key → the scopes a token must all hold to use that route. */
export type RouteScopes = ReadonlyMap<string, readonly string[]>;

/**
 * Parses `ROUTE_SCOPES`: a JSON object mapping route keys (`GET /orders/{id}`) to arrays of
 * RFC 6749 scope tokens. Anything else is a configuration error, never a silent "no scopes".
 */
export function parseRouteScopes(json: string | undefined): RouteScopes {
  const routes = new Map<string, readonly string[]>();
  if (json === undefined || json.trim() === '') return routes;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (cause) {
    throw new ConfigurationInvalidError('ROUTE_SCOPES must be JSON', { cause });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigurationInvalidError('ROUTE_SCOPES must be a JSON object of route key to scope array');
  }
  for (const [routeKey, scopes] of Object.entries(parsed)) {
    if (!ROUTE_KEY_PATTERN.test(routeKey)) {
      throw new ConfigurationInvalidError(`ROUTE_SCOPES key must be "$default" or "METHOD /path"; received ${JSON.stringify(routeKey)}`);
    }
    if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string' && SCOPE_TOKEN_PATTERN.test(s))) {
      throw new ConfigurationInvalidError(
        `ROUTE_SCOPES["${routeKey}"] must be an array of RFC 6749 scope tokens; received ${JSON.stringify(scopes)}`,
      );
    }
    routes.set(routeKey, [...new Set(scopes as string[])]);
  }
  return routes;
}

/**
 * The scopes the route of a request requires, looked up as API Gateway routed the request:
 * - HTTP API payload 2.0 (`simple`): the event's `routeKey` is the key of the route that matched
 *   (`ANY /x` or `GET /x`), so only that exact declaration applies;
 * - REST and HTTP API payload 1.0 (`policy`): the key is built from the request's method and the
 *   resource (`GET /x`), which names the method even when the gateway matched an `ANY /x` method.
 *   Both gateways prefer a method-specific route or method to `ANY`, so the `GET /x` declaration
 *   applies when there is one (even with no scopes) and the `ANY /x` declaration otherwise.
 */
export function requiredScopes(routes: RouteScopes, request: Pick<AuthorizerRequest, 'format' | 'routeKey'>): readonly string[] {
  const exact = routes.get(request.routeKey);
  if (exact !== undefined) return exact;
  if (request.format === 'simple') return [];
  const path = request.routeKey.slice(request.routeKey.indexOf(' ') + 1);
  return routes.get(`ANY ${path}`) ?? [];
}

/** The required scopes the granted ones lack; empty when the route is allowed. */
export function missingScopes(required: readonly string[], granted: readonly string[]): string[] {
  return required.filter((scope) => !granted.includes(scope));
}
