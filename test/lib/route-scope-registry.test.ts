import { describe, expect, it } from 'vitest';
import { parseRouteScopes, requiredScopes } from '../../lambda/routes/route-scopes.js';
import { RouteScopeRegistry } from '../../lib/route-scope-registry.js';

function registry(declarations: [string, string[]][]): RouteScopeRegistry {
  const routes = new RouteScopeRegistry();
  for (const [routeKey, scopes] of declarations) routes.declare(routeKey, scopes);
  return routes;
}

describe('RouteScopeRegistry.toJson', () => {
  it('keeps a method declared with no scopes when ANY on its path requires some', () => {
    const routes = registry([
      ['GET /x', []],
      ['ANY /x', ['admin']],
    ]);
    expect(routes.toJson()).toBe('{"ANY /x":["admin"],"GET /x":[]}');
    // What the authorizer makes of it: a REST GET /x needs nothing, a REST POST /x needs admin.
    const parsed = parseRouteScopes(routes.toJson());
    expect(requiredScopes(parsed, { format: 'policy', routeKey: 'GET /x' })).toEqual([]);
    expect(requiredScopes(parsed, { format: 'policy', routeKey: 'POST /x' })).toEqual(['admin']);
  });

  it('keeps the empty declaration whichever is declared first', () => {
    const routes = registry([
      ['ANY /x', ['admin']],
      ['DELETE /x', []],
    ]);
    expect(routes.toJson()).toBe('{"ANY /x":["admin"],"DELETE /x":[]}');
  });

  it('leaves out routes with no scopes that no ANY route on their path could stand in for, to save room', () => {
    const routes = registry([
      ['GET /x', []],
      ['ANY /x', []],
      ['GET /y', []],
      ['ANY /z', ['admin']],
      ['GET /z/a', []],
      ['$default', []],
      ['GET /w', ['read', 'read', 'admin']],
    ]);
    expect(routes.toJson()).toBe('{"ANY /z":["admin"],"GET /w":["admin","read"]}');
  });

  it('is an empty object when nothing is declared', () => {
    expect(new RouteScopeRegistry().toJson()).toBe('{}');
  });
});

describe('RouteScopeRegistry', () => {
  it('is empty while no route requires a scope', () => {
    const routes = registry([['GET /x', []]]);
    expect(routes.isEmpty).toBe(true);
    routes.declare('ANY /x', ['admin']);
    expect(routes.isEmpty).toBe(false);
  });

  it('answers the scopes of a route, sorted and each once, and none for an undeclared one', () => {
    const routes = registry([['GET /x', ['write', 'read', 'write']]]);
    expect(routes.scopesOf('GET /x')).toEqual(['read', 'write']);
    expect(routes.scopesOf('GET /y')).toEqual([]);
  });

  it('accepts the same declaration twice, in any order', () => {
    const routes = registry([
      ['GET /x', ['b', 'a']],
      ['GET /x', ['a', 'b']],
    ]);
    expect(routes.toJson()).toBe('{"GET /x":["a","b"]}');
  });

  it('rejects a route declared again with other scopes', () => {
    const routes = registry([['GET /x', []]]);
    expect(() => routes.declare('GET /x', ['admin'])).toThrow(
      'route GET /x is already declared with scopes []; received [admin]. APIs that share one authorizer function share its route keys',
    );
  });

  it('rejects a malformed route key', () => {
    expect(() => new RouteScopeRegistry().declare('FETCH /x', [])).toThrow(
      'route key must be "$default" or "METHOD /path" (METHOD one of ANY, GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS); received "FETCH /x"',
    );
  });

  it('rejects a scope that is not an RFC 6749 scope token', () => {
    expect(() => new RouteScopeRegistry().declare('GET /x', ['a"b'])).toThrow(
      'scopes of GET /x must be RFC 6749 scope tokens (printable ASCII, no space, " or \\); received "a\\"b"',
    );
  });
});
