import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { selectRoute } from '../../local/route-selection.js';
import type { LocalRoute } from '../../local/template.js';

/**
 * Properties of route selection that hold for any set of routes, from the priorities of
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html#http-api-develop-routes.evaluation.
 */
const segment = fc.constantFrom('a', 'b', 'pets', '{id}', '{x}');
const routePath = fc
  .tuple(fc.array(segment, { minLength: 0, maxLength: 3 }), fc.boolean())
  .map(([parts, greedy]) => `/${[...parts, ...(greedy ? ['{proxy+}'] : [])].join('/')}`);
const route = fc.tuple(fc.constantFrom('GET', 'POST', 'ANY'), routePath).map(
  ([method, path]): LocalRoute => ({
    routeKey: `${method} ${path}`,
    method,
    path,
    authorizer: undefined,
    integration: { type: 'HTTP_PROXY', url: 'http://127.0.0.1:1/', requestParameters: {} },
  }),
);
const defaultRoute: LocalRoute = {
  routeKey: '$default',
  method: 'ANY',
  path: '$default',
  authorizer: undefined,
  integration: { type: 'HTTP_PROXY', url: 'http://127.0.0.1:1/', requestParameters: {} },
};
const requestPath = fc.array(fc.constantFrom('a', 'b', 'pets', '7'), { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`);

/** Whether a route matches a request, written independently of the selector: as a regular expression. */
function matches(candidate: LocalRoute, method: string, path: string): boolean {
  if (candidate.method !== method && candidate.method !== 'ANY') return false;
  const pattern = candidate.path
    .split('/')
    .map((part) => (part === '{proxy+}' ? '.+' : part.startsWith('{') ? '[^/]+' : part))
    .join('/');
  return new RegExp(`^${pattern}$`).test(path);
}

describe('route selection, for any routes', () => {
  it('picks a route that matches, a full match whenever there is one, and $default only when nothing else matches', () => {
    fc.assert(
      fc.property(fc.array(route, { maxLength: 8 }), fc.constantFrom('GET', 'POST', 'DELETE'), requestPath, (routes, method, path) => {
        const all = [...routes, defaultRoute];
        const selected = selectRoute(all, method, path);
        const matching = routes.filter((r) => matches(r, method, path));
        if (matching.length === 0) {
          expect(selected?.route.routeKey).toBe('$default');
          return;
        }
        expect(selected).toBeDefined();
        const chosen = selected?.route as LocalRoute;
        expect(matching).toContain(chosen);
        const fullMatchExists = matching.some((r) => !r.path.endsWith('{proxy+}'));
        expect(chosen.path.endsWith('{proxy+}')).toBe(!fullMatchExists);
      }),
      { numRuns: 2000 },
    );
  });

  it('never prefers ANY to the request method on the same path, whatever the declaration order', () => {
    fc.assert(
      fc.property(routePath, requestPath, fc.boolean(), (path, request, anyFirst) => {
        const make = (method: string): LocalRoute => ({ ...defaultRoute, routeKey: `${method} ${path}`, method, path });
        const routes = anyFirst ? [make('ANY'), make('GET')] : [make('GET'), make('ANY')];
        const selected = selectRoute(routes, 'GET', request);
        if (selected !== undefined) expect(selected.route.method).toBe('GET');
      }),
      { numRuns: 1000 },
    );
  });
});
