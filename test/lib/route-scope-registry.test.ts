import { describe, expect, it } from 'vitest';
import { RouteScopeRegistry } from '../../lib/route-scope-registry.js';

function registry(declarations: [string, string[]][]): RouteScopeRegistry {
  const routes = new RouteScopeRegistry();
  for (const [routeKey, scopes] of declarations) routes.declare(routeKey, scopes);
  return routes;
}

describe('RouteScopeRegistry', () => {
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
    expect([...routes.declarations]).toEqual([['GET /x', ['a', 'b']]]);
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
