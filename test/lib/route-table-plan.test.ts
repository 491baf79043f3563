import { describe, expect, it } from 'vitest';
import { POLICY_BUDGET_BYTES } from '../../lambda/environment.js';
import { type GroupSharing, MAX_SHARED_GROUPS, type PlannedApi, planRouteTable } from '../../lib/route-table-plan.js';

const api = (name: string, guarded: string[], others: string[] = [], lookup: 'http' | 'rest' = 'http'): PlannedApi => ({
  name,
  guardedRouteKeys: guarded,
  allRouteKeys: new Set([...guarded, ...others]),
  lookup,
});

/** Plans one API of these routes (route key → scopes) and answers each route's group. */
function groupsOf(routes: [string, string[]][], sharing: GroupSharing = 'evaluated-policy'): Record<string, number | 'route'> {
  const plan = planRouteTable(
    new Map(routes.filter(([, scopes]) => scopes.length > 0)),
    [
      api(
        'Api',
        routes.map(([key]) => key),
      ),
    ],
    sharing,
  );
  expect(plan.errors).toEqual([]);
  return Object.fromEntries(plan.groups);
}

const SHAPES: [string, string[]][][] = [
  [
    ['GET /customers/{id}', ['customers:read']],
    ['GET /customers/{id}/orders', ['orders:read']],
  ],
  [
    ['GET /orders/{id}', ['orders:read']],
    ['GET /orders/{id}/items', ['orders:read']],
  ],
  [
    ['GET /items/{id}', ['items:read']],
    ['GET /items/search', []],
  ],
  [
    ['$default', []],
    ['GET /admin', ['admin']],
  ],
  [
    ['ANY /{proxy+}', []],
    ['GET /admin/users', ['admin']],
  ],
  [
    ['GET /v1/orders/{id}', ['orders:read']],
    ['GET /v1/orders/{id}/invoice', ['billing:read']],
  ],
];

describe('the route table plan', () => {
  it('by default puts routes of one API in one group only when they need the same scopes, so a reused decision never crosses scopes', () => {
    for (const shape of SHAPES) {
      const groups = groupsOf(shape, 'same-scopes');
      const scopeSets = new Set(shape.map(([, scopes]) => JSON.stringify([...scopes].sort())));
      expect(new Set(Object.values(groups)).size, JSON.stringify(shape)).toBe(scopeSets.size);
      for (const [a, scopesA] of shape) {
        for (const [b, scopesB] of shape) {
          if (groups[a] === groups[b]) expect([...scopesA].sort()).toEqual([...scopesB].sort());
        }
      }
    }
    const plan = planRouteTable(
      new Map([
        ['GET /a', ['read']],
        ['GET /b', ['admin']],
        ['GET /c', ['read']],
      ]),
      [api('Api', ['GET /a', 'GET /b', 'GET /c'])],
    );
    expect(Object.fromEntries(plan.groups)).toEqual({ 'GET /a': 0, 'GET /b': 1, 'GET /c': 0 });
    expect(plan.conflicts.get('Api')).toEqual([{ denied: 'GET /b', reachedBy: 'GET /a', hit: undefined, why: 'scopes' }]);
  });

  it("shares a group between APIs whose routes need different scopes, each API's routes alike", () => {
    const plan = planRouteTable(
      new Map([
        ['GET /a', ['read']],
        ['GET /b', ['admin']],
      ]),
      [api('One', ['GET /a']), api('Two', ['GET /b'])],
    );
    expect(Object.fromEntries(plan.groups)).toEqual({ 'GET /a': 0, 'GET /b': 0 });
  });

  it("keeps the issue's shapes A–E and G in one shared group with evaluated-policy sharing: one cached answer per token", () => {
    for (const shape of SHAPES) expect(new Set(Object.values(groupsOf(shape)))).toEqual(new Set([0]));
  });

  it('moves only the route whose Deny would also match requests of another route (shape F) to a second group', () => {
    const plan = planRouteTable(
      new Map([['GET /admin/users/{id}', ['admin']]]),
      [api('Api', ['ANY /{proxy+}', 'GET /admin/users/{id}'])],
      'evaluated-policy',
    );
    expect(Object.fromEntries(plan.groups)).toEqual({ 'ANY /{proxy+}': 0, 'GET /admin/users/{id}': 1 });
    expect(plan.apiGroups.get('Api')).toEqual([0, 1]);
    expect(plan.conflicts.get('Api')).toEqual([{ denied: 'GET /admin/users/{id}', reachedBy: 'ANY /{proxy+}', hit: 'ANY /{proxy+}' }]);
  });

  it('keeps a 12-route API with nested resources, ANY and a proxy in at most two groups', () => {
    const groups = groupsOf([
      ['GET /orders', ['orders:read']],
      ['POST /orders', ['orders:write']],
      ['GET /orders/{id}', ['orders:read']],
      ['GET /orders/{id}/items', ['items:read']],
      ['DELETE /orders/{id}', ['orders:admin']],
      ['ANY /admin/{proxy+}', ['admin']],
      ['GET /health', []],
      ['GET /customers/{id}', ['customers:read']],
      ['GET /customers/{id}/orders', ['orders:read']],
      ['GET /items/{id}', ['items:read']],
      ['GET /items/search', []],
      ['GET /v1/orders/{id}/invoice', ['billing:read']],
    ]);
    expect(Object.values(groups).filter((group) => group !== 0)).toEqual([]);
  });

  it("writes each route's Allow and Deny: colon variants of inner wildcards, and a trailing slash allowed only where no other route could receive it", () => {
    const plan = planRouteTable(new Map([['GET /a/{id}/b', ['x']]]), [api('Api', ['GET /a/{id}/b', 'GET /c'], ['GET /{proxy+}'])]);
    const routes = Object.fromEntries(JSON.parse(plan.json).routes.map((route: { routeKey: string }) => [route.routeKey, route]));
    expect(routes['GET /a/{id}/b']).toMatchObject({
      scopes: ['x'],
      allow: ['GET/a/*/b', 'GET/a/*:*/b'],
      deny: ['GET/a/*/b', 'GET/a/*:*/b', 'GET/a/*/b/', 'GET/a/*:*/b/'],
    });
    const alone = planRouteTable(new Map(), [api('Api', ['GET /c'])]);
    expect(JSON.parse(alone.json).routes[0]).toMatchObject({ allow: ['GET/c', 'GET/c/'] });
  });

  it("leaves the methods with routes of their own out of an ANY route's globs, where every API that guards it has them", () => {
    const plan = planRouteTable(new Map([['ANY /x', ['w']]]), [api('Api', ['ANY /x', 'GET /x'], ['OPTIONS /x'])]);
    expect(JSON.parse(plan.json).routes[0]).toMatchObject({
      routeKey: 'ANY /x',
      allow: ['DELETE/x', 'HEAD/x', 'PATCH/x', 'POST/x', 'PUT/x', 'DELETE/x/', 'HEAD/x/', 'PATCH/x/', 'POST/x/', 'PUT/x/'],
    });
  });

  it('fails on a scope declaration that names no guarded route, naming the nearest route keys', () => {
    const plan = planRouteTable(new Map([['GET /orders/{orderId}', ['read']]]), [
      api('Api', ['GET /orders/{id}', 'GET /orders', 'POST /users']),
    ]);
    expect(plan.errors).toEqual([
      'the scopes [read] are declared for route GET /orders/{orderId}, which no route behind this authorizer has; nearest route keys: ' +
        'GET /orders/{id}, GET /orders, POST /users. Declare them with the route key as API Gateway writes it (REST: METHOD and the resource path, with the path variables as the resource names them).',
    ]);
  });

  it("fails when a REST API's ANY method would be read as another API's route of the same function", () => {
    const plan = planRouteTable(new Map(), [api('Rest', ['ANY /x'], [], 'rest'), api('Http', ['GET /x'])]);
    expect(plan.errors).toEqual([
      'Rest guards ANY /x, whose GET requests REST names GET /x, a route Http guards too: the function could not tell them apart. Use one PhantomTokenAuthorizer per API.',
    ]);
  });

  it('splits 300 routes into groups whose worst-case answer fits the budget, within the shared-group limit', () => {
    for (const count of [50, 150, 300]) {
      const keys = Array.from({ length: count }, (_, i) => `GET /catalog/resource${i}/{id}`);
      const plan = planRouteTable(new Map(keys.map((key, i) => [key, [`catalog:r${i}`]])), [api('Api', keys)], 'evaluated-policy');
      expect(Math.max(...plan.worstCaseBytes.values())).toBeLessThanOrEqual(POLICY_BUDGET_BYTES);
      expect([...plan.groups.values()].every((group) => group !== 'route')).toBe(true);
      expect(plan.apiGroups.get('Api')?.length).toBeLessThanOrEqual(MAX_SHARED_GROUPS);
    }
  });

  it('caches per route what no shared group can take', () => {
    const keys = Array.from({ length: 600 }, (_, i) => `GET /catalog/resource${i}/{id}`);
    const plan = planRouteTable(new Map(keys.map((key, i) => [key, [`catalog:r${i}`]])), [api('Api', keys)]);
    expect(plan.apiGroups.get('Api')?.at(-1)).toBe('route');
    expect(plan.apiGroups.get('Api')?.length).toBe(MAX_SHARED_GROUPS + 1);
  });
});
