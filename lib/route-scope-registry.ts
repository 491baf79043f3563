import { ROUTE_KEY_PATTERN, SCOPE_TOKEN_PATTERN } from '../lambda/environment.js';

/**
 * The scopes each route requires, declared where routes are added and aggregated at synth time
 * into the function's route table (lib/route-table-plan.ts). One function may serve several APIs; a route key declared
 * twice with different scopes is a conflict the function could not resolve, so it is rejected.
 */
export class RouteScopeRegistry {
  private readonly routes = new Map<string, readonly string[]>();

  /** Declares the scopes a route requires (all of them). Throws on invalid syntax or a conflicting declaration. */
  declare(routeKey: string, scopes: readonly string[]): void {
    if (!ROUTE_KEY_PATTERN.test(routeKey)) {
      throw new Error(
        `route key must be "$default" or "METHOD /path" (METHOD one of ANY, GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS); received ${JSON.stringify(routeKey)}`,
      );
    }
    for (const scope of scopes) {
      if (!SCOPE_TOKEN_PATTERN.test(scope)) {
        throw new Error(
          `scopes of ${routeKey} must be RFC 6749 scope tokens (printable ASCII, no space, " or \\); received ${JSON.stringify(scope)}`,
        );
      }
    }
    const normalized = [...new Set(scopes)].sort();
    const existing = this.routes.get(routeKey);
    if (existing !== undefined && existing.join(' ') !== normalized.join(' ')) {
      throw new Error(
        `route ${routeKey} is already declared with scopes [${existing.join(', ')}]; received [${normalized.join(', ')}]. ` +
          'APIs that share one authorizer function share its route keys: use one PhantomTokenAuthorizer per API when the same route needs different scopes.',
      );
    }
    this.routes.set(routeKey, normalized);
  }

  /** The scopes a route requires; none when undeclared. */
  scopesOf(routeKey: string): readonly string[] {
    return this.routes.get(routeKey) ?? [];
  }

  /** Every declaration: route key → its scopes (sorted, unique). */
  get declarations(): ReadonlyMap<string, readonly string[]> {
    return this.routes;
  }
}
