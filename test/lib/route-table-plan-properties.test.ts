import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PlannedApi } from '../../lib/route-table-plan.js';
import { selectRoute } from '../../local/route-selection.js';
import { api, type Probe, wrongAnswers } from './route-table-plan-harness.js';

/**
 * The plan's promise, over random layouts of one function's routes on two HTTP APIs: whatever route
 * a token is first answered on, the cached answer allows exactly the requests (of that API and
 * group) whose route's scopes the token holds, under both readings of IAM wildcards. Requests are
 * routed as the local HTTP API gateway routes them (local/route-selection.ts, AWS's documented order).
 */
const METHODS = ['GET', 'POST', 'ANY'] as const;
const PATHS = ['/x', '/y', '/x/{id}', '/x/{proxy+}', '/{proxy+}', '/a/b', '/a/{id}'] as const;
const REQUEST_METHODS = ['GET', 'POST', 'DELETE'];
const REQUEST_PATHS = ['/x', '/y', '/x/1', '/x/1/2', '/a/b', '/a/c', '/z', '/a/b/c'];
const SCOPE_SETS = [[], ['read'], ['admin'], ['read', 'admin']];

const routeKey = fc.tuple(fc.constantFrom(...METHODS), fc.constantFrom(...PATHS)).map(([method, path]) => `${method} ${path}`);
const apiRoutes = fc.uniqueArray(fc.tuple(routeKey, fc.boolean()), { minLength: 1, maxLength: 5, selector: ([key]) => key });

/** The guarded route each request reaches on the API, as API Gateway selects it. */
function probesOf(planned: PlannedApi): Probe[] {
  const routes = [...planned.allRouteKeys].map((key) => {
    const [method, path] = key.split(' ') as [string, string];
    return { routeKey: key, method, path };
  });
  const probes: Probe[] = [];
  for (const method of REQUEST_METHODS) {
    for (const path of REQUEST_PATHS) {
      const match = selectRoute(routes, method, path);
      if (match !== undefined && planned.guardedRouteKeys.includes(match.route.routeKey)) {
        probes.push({ api: planned, route: match.route.routeKey, method, path });
      }
    }
  }
  return probes;
}

describe('the route table plan over random layouts of two APIs', () => {
  it.each(['same-scopes', 'evaluated-policy'] as const)(
    'answers every token exactly on every request a cached answer is reused for (%s)',
    (sharing) => {
      fc.assert(
        fc.property(apiRoutes, apiRoutes, fc.dictionary(routeKey, fc.subarray(['read', 'admin'])), (first, second, scopes) => {
          const apis = [first, second].map((routes, i) =>
            api(
              `Api${i}`,
              routes.filter(([, guarded]) => guarded).map(([key]) => key),
              routes.filter(([, guarded]) => !guarded).map(([key]) => key),
            ),
          );
          const guarded = new Set(apis.flatMap((planned) => planned.guardedRouteKeys));
          const declarations = Object.entries(scopes).filter(([key]) => guarded.has(key));
          const probes = apis.flatMap(probesOf);
          expect(wrongAnswers(declarations, apis, probes, SCOPE_SETS, sharing)).toEqual([]);
        }),
        { numRuns: 300 },
      );
    },
  );
});
