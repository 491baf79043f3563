import { ROUTE_KEY_PATTERN, SCOPE_TOKEN_PATTERN } from './environment.js';
import { ConfigurationInvalidError } from './errors.js';

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
 * The scopes a route requires. REST events name the concrete method (`GET /x`) of a route
 * declared as `ANY /x`, so the `ANY` declaration applies when there is no exact one.
 */
export function requiredScopes(routes: RouteScopes, routeKey: string): readonly string[] {
  const exact = routes.get(routeKey);
  if (exact !== undefined) return exact;
  const space = routeKey.indexOf(' ');
  return (space > 0 && routes.get(`ANY${routeKey.slice(space)}`)) || [];
}

/** The required scopes the granted ones lack; empty when the route is allowed. */
export function missingScopes(required: readonly string[], granted: readonly string[]): string[] {
  return required.filter((scope) => !granted.includes(scope));
}
