/**
 * The route shapes of issue #20 (A–G) and a 12-route API like the issue's, for
 * gateway-route-policy.test.ts: each API's routes and scopes, as an HTTP API and as a REST API
 * where REST can express it, and the requests to send. A probe names the route API Gateway sends
 * it to; `exact: false` marks the spellings whose route AWS does not document (a trailing `/`, a
 * `//`), where the design may deny (fail closed) but must never allow more than the route allows.
 */

/** The seven methods a route can name; the only ones an answer may ever allow. */
export const KNOWN_METHODS: readonly string[] = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];

export interface RouteSpec {
  /** `GET`, `POST`, … `ANY`; for an HTTP API's default route, `$default`. */
  readonly method: string;
  /** `/customers/{id}`; `$default` for the default route. */
  readonly path: string;
  readonly scopes: readonly string[];
}

/** A request, and the route key the gateway sends it to (`undefined`: no route). */
export interface Probe {
  readonly method: string;
  readonly path: string;
  readonly route: string | undefined;
  /** `true`: a canonical request, allowed exactly when its route is. `false`: a trailing `/` or `//`, never wrongly allowed. */
  readonly exact: boolean;
}

export interface ApiShape {
  readonly routes: readonly RouteSpec[];
  readonly probes: readonly Probe[];
}

export interface Shape {
  /** `A` … `G`, `issue`. */
  readonly name: string;
  readonly description: string;
  /** Every token in the run holds a subset of these. */
  readonly alphabet: readonly string[];
  /**
   * What issue #20 expects of the construct's plan for this API: how many authorizers (groups) it
   * gets, the group of some of its routes, and what one token calling every route within the TTL
   * costs in authorizer invocations, with evaluated-policy sharing. `undefined`: only the plan's own bound is checked.
   */
  readonly expected:
    | {
        readonly authorizers: number;
        readonly groups?: Readonly<Record<string, number | 'route'>>;
        readonly invocations: { readonly exactly: number } | { readonly atMost: number };
      }
    | undefined;
  readonly http: ApiShape;
  /** `undefined` where a REST API cannot express the shape. */
  readonly rest: ApiShape | undefined;
}

export function routeKeyOf(route: RouteSpec): string {
  return route.method === '$default' ? '$default' : `${route.method} ${route.path}`;
}

/** `probe('GET /customers/42', 'GET /customers/{id}')`: a canonical request and its route. */
function probe(request: string, route: string | undefined): Probe {
  const [method, path] = request.split(' ') as [string, string];
  return { method, path, route, exact: true };
}

/** A trailing `/` or a `//`: its route is whatever the gateway selects. */
function spelling(request: string): Probe {
  const [method, path] = request.split(' ') as [string, string];
  return { method, path, route: undefined, exact: false };
}

const route = (key: string, scopes: readonly string[]): RouteSpec => {
  const [method, path] = key === '$default' ? ['$default', '$default'] : (key.split(' ') as [string, string]);
  return { method, path, scopes };
};

const same = (api: ApiShape) => ({ http: api, rest: api });

/**
 * The same API as a REST API, where the listed requests select nothing (403 Missing Authentication
 * Token): REST walks its resource tree, so a `{proxy+}` does not take requests for a sibling
 * resource's path or its descendants ("/{proxy+} refers to any resources under the root resource
 * except for the /parent[/*] resources",
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-set-up-simple-proxy.html).
 */
function restWalk(api: ApiShape, noResource: readonly string[]): { http: ApiShape; rest: ApiShape } {
  const probes = api.probes.map((p) => (noResource.includes(`${p.method} ${p.path}`) ? { ...p, route: undefined } : p));
  const missing = noResource.filter((request) => !api.probes.some((p) => `${p.method} ${p.path}` === request));
  if (missing.length > 0) throw new Error(`restWalk: no probe ${missing.join(', ')}`);
  return { http: api, rest: { ...api, probes } };
}

/** A: `GET /customers/{id}` and `GET /customers/{id}/orders`, different scopes; the first's glob reaches the second. */
const A: Shape = {
  name: 'A',
  description: 'GET /customers/{id} (customers:read) and GET /customers/{id}/orders (orders:read)',
  alphabet: ['customers:read', 'orders:read'],
  expected: { authorizers: 1, invocations: { exactly: 1 } },
  ...same({
    routes: [route('GET /customers/{id}', ['customers:read']), route('GET /customers/{id}/orders', ['orders:read'])],
    probes: [
      probe('GET /customers/42', 'GET /customers/{id}'),
      probe('GET /customers/a:b', 'GET /customers/{id}'),
      probe('GET /customers/42/orders', 'GET /customers/{id}/orders'),
      probe('GET /customers/a:b/orders', 'GET /customers/{id}/orders'),
      probe('GET /customers/a:b:c/orders', 'GET /customers/{id}/orders'),
      probe('POST /customers/42', undefined),
      probe('PURGE /customers/42', undefined),
      probe('GET /customers/42/orders/7', undefined),
      spelling('GET /customers/42/'),
      spelling('GET /customers/a:b/orders/'),
      spelling('GET /customers//orders'),
      spelling('GET /customers/42//orders'),
    ],
  }),
};

/** B: nested routes, one scope. */
const B: Shape = {
  name: 'B',
  description: 'GET /projects, /projects/{id}, /projects/{id}/tasks, /projects/{id}/tasks/{task}, all projects:read',
  alphabet: ['projects:read', 'tasks:write'],
  expected: { authorizers: 1, invocations: { exactly: 1 } },
  ...same({
    routes: [
      route('GET /projects', ['projects:read']),
      route('GET /projects/{id}', ['projects:read']),
      route('GET /projects/{id}/tasks', ['projects:read']),
      route('GET /projects/{id}/tasks/{task}', ['projects:read']),
    ],
    probes: [
      probe('GET /projects', 'GET /projects'),
      probe('GET /projects/7', 'GET /projects/{id}'),
      probe('GET /projects/x:y', 'GET /projects/{id}'),
      probe('GET /projects/7/tasks', 'GET /projects/{id}/tasks'),
      probe('GET /projects/x:y/tasks', 'GET /projects/{id}/tasks'),
      probe('GET /projects/7/tasks/3', 'GET /projects/{id}/tasks/{task}'),
      probe('GET /projects/x:y/tasks/a:b', 'GET /projects/{id}/tasks/{task}'),
      probe('DELETE /projects/7', undefined),
      probe('PROPFIND /projects/7', undefined),
      spelling('GET /projects/'),
      spelling('GET /projects/7/tasks/'),
      spelling('GET /projects//tasks'),
      spelling('GET /projects/7/tasks//3'),
    ],
  }),
};

/** C: a scoped variable route and an open literal sibling. */
const C: Shape = {
  name: 'C',
  description: 'GET /items/{id} (items:read) and GET /items/search (no scope)',
  alphabet: ['items:read', 'search:write'],
  expected: { authorizers: 1, invocations: { exactly: 1 } },
  ...same({
    routes: [route('GET /items/{id}', ['items:read']), route('GET /items/search', [])],
    probes: [
      probe('GET /items/42', 'GET /items/{id}'),
      probe('GET /items/a:b', 'GET /items/{id}'),
      probe('GET /items/search:x', 'GET /items/{id}'),
      probe('GET /items/searches', 'GET /items/{id}'),
      probe('GET /items/search', 'GET /items/search'),
      probe('POST /items/42', undefined),
      probe('PURGE /items/search', undefined),
      probe('GET /items/search/more', undefined),
      spelling('GET /items/search/'),
      spelling('GET /items/42/'),
      spelling('GET /items//search'),
    ],
  }),
};

/** D: an open catch-all and a scoped literal route. REST has no `$default`: `ANY /` and `ANY /{proxy+}` stand in for it. */
const D: Shape = {
  name: 'D',
  description: '$default (no scope) and GET /admin (admin); REST: ANY / and ANY /{proxy+} (no scope) and GET /admin (admin)',
  alphabet: ['admin', 'reports:read'],
  expected: { authorizers: 1, invocations: { exactly: 1 } },
  http: {
    routes: [route('$default', []), route('GET /admin', ['admin'])],
    probes: [
      probe('GET /admin', 'GET /admin'),
      probe('GET /', '$default'),
      probe('GET /elsewhere', '$default'),
      probe('POST /admin', '$default'),
      probe('DELETE /admin', '$default'),
      probe('HEAD /admin', '$default'),
      probe('GET /admin/users', '$default'),
      probe('GET /admins', '$default'),
      probe('GET /a:b/admin', '$default'),
      probe('PUT /users/x:y/profile', '$default'),
      probe('PURGE /admin', '$default'),
      probe('PROPFIND /elsewhere', '$default'),
      spelling('GET /admin/'),
      spelling('GET /admin//users'),
      spelling('GET //admin/users'),
    ],
  },
  rest: {
    routes: [route('ANY /', []), route('ANY /{proxy+}', []), route('GET /admin', ['admin'])],
    probes: [
      probe('GET /admin', 'GET /admin'),
      probe('GET /', 'ANY /'),
      probe('POST /', 'ANY /'),
      probe('OPTIONS /', 'ANY /'),
      probe('GET /elsewhere', 'ANY /{proxy+}'),
      // `/admin` is a resource: its missing methods and paths below it are not the proxy's.
      probe('POST /admin', undefined),
      probe('DELETE /admin', undefined),
      probe('HEAD /admin', undefined),
      probe('GET /admin/users', undefined),
      probe('GET /admins', 'ANY /{proxy+}'),
      probe('GET /a:b/admin', 'ANY /{proxy+}'),
      probe('PUT /users/x:y/profile', 'ANY /{proxy+}'),
      probe('PURGE /admin', undefined),
      probe('PURGE /', 'ANY /'),
      probe('PROPFIND /elsewhere', 'ANY /{proxy+}'),
      spelling('GET /admin/'),
      spelling('GET /admin//users'),
    ],
  },
};

/** E: an open greedy catch-all and a scoped literal route below it. */
const E: Shape = {
  name: 'E',
  description: 'ANY /{proxy+} (no scope) and GET /admin/users (admin)',
  alphabet: ['admin', 'reports:read'],
  expected: { authorizers: 1, invocations: { exactly: 1 } },
  ...restWalk(
    {
      routes: [route('ANY /{proxy+}', []), route('GET /admin/users', ['admin'])],
      probes: [
        probe('GET /admin/users', 'GET /admin/users'),
        probe('GET /admin', 'ANY /{proxy+}'),
        probe('GET /admin/users/7', 'ANY /{proxy+}'),
        probe('POST /admin/users', 'ANY /{proxy+}'),
        probe('HEAD /admin/users', 'ANY /{proxy+}'),
        probe('DELETE /a:b/c', 'ANY /{proxy+}'),
        probe('GET /users/x:y/profile', 'ANY /{proxy+}'),
        probe('OPTIONS /admin/users', 'ANY /{proxy+}'),
        probe('PURGE /admin/users', 'ANY /{proxy+}'),
        probe('PROPFIND /elsewhere', 'ANY /{proxy+}'),
        spelling('GET /admin/users/'),
        spelling('GET /admin//users'),
      ],
    },
    ['GET /admin', 'GET /admin/users/7', 'POST /admin/users', 'HEAD /admin/users', 'OPTIONS /admin/users', 'PURGE /admin/users'],
  ),
};

/** F: an open greedy catch-all and a scoped variable route below it: the admin route needs a group of its own. */
const F: Shape = {
  name: 'F',
  description: 'ANY /{proxy+} (no scope) and GET /admin/users/{id} (admin)',
  alphabet: ['admin', 'reports:read'],
  expected: { authorizers: 2, groups: { 'ANY /{proxy+}': 0, 'GET /admin/users/{id}': 1 }, invocations: { atMost: 2 } },
  ...restWalk(
    {
      routes: [route('ANY /{proxy+}', []), route('GET /admin/users/{id}', ['admin'])],
      probes: [
        probe('GET /admin/users/7', 'GET /admin/users/{id}'),
        probe('GET /admin/users/a:b', 'GET /admin/users/{id}'),
        probe('GET /admin/users/7/roles', 'ANY /{proxy+}'),
        probe('GET /admin/users', 'ANY /{proxy+}'),
        probe('POST /admin/users/7', 'ANY /{proxy+}'),
        probe('HEAD /admin/users/7', 'ANY /{proxy+}'),
        probe('GET /users/x:y/profile', 'ANY /{proxy+}'),
        probe('OPTIONS /admin/users/7', 'ANY /{proxy+}'),
        probe('PURGE /admin/users/7', 'ANY /{proxy+}'),
        probe('PROPFIND /elsewhere', 'ANY /{proxy+}'),
        spelling('GET /admin/users/7/'),
        spelling('GET /admin/users//7'),
      ],
    },
    [
      'GET /admin/users/7/roles',
      'GET /admin/users',
      'POST /admin/users/7',
      'HEAD /admin/users/7',
      'OPTIONS /admin/users/7',
      'PURGE /admin/users/7',
    ],
  ),
};

/** G: A's pattern one level deeper, behind a version prefix. */
const G: Shape = {
  name: 'G',
  description: 'GET /v1/orders/{id} (orders:read) and GET /v1/orders/{id}/invoice (billing:read)',
  alphabet: ['orders:read', 'billing:read'],
  expected: { authorizers: 1, invocations: { exactly: 1 } },
  ...same({
    routes: [route('GET /v1/orders/{id}', ['orders:read']), route('GET /v1/orders/{id}/invoice', ['billing:read'])],
    probes: [
      probe('GET /v1/orders/42', 'GET /v1/orders/{id}'),
      probe('GET /v1/orders/a:b', 'GET /v1/orders/{id}'),
      probe('GET /v1/orders/42/invoice', 'GET /v1/orders/{id}/invoice'),
      probe('GET /v1/orders/a:b/invoice', 'GET /v1/orders/{id}/invoice'),
      probe('GET /v1/orders/42/invoice/pdf', undefined),
      probe('PUT /v1/orders/42', undefined),
      probe('PURGE /v1/orders/42', undefined),
      spelling('GET /v1/orders/42/'),
      spelling('GET /v1/orders/42/invoice/'),
      spelling('GET /v1/orders//invoice'),
    ],
  }),
};

/** The issue's 12 routes. */
const ISSUE_ROUTES: readonly RouteSpec[] = [
  route('GET /orders', ['orders:read']),
  route('POST /orders', ['orders:write']),
  route('GET /orders/{id}', ['orders:read']),
  route('GET /orders/{id}/items', ['items:read']),
  route('DELETE /orders/{id}', ['orders:admin']),
  route('ANY /admin/{proxy+}', ['admin']),
  route('GET /health', []),
  route('GET /customers/{id}', ['customers:read']),
  route('GET /customers/{id}/orders', ['orders:read']),
  route('GET /items/{id}', ['items:read']),
  route('GET /items/search', []),
  route('GET /v1/orders/{id}/invoice', ['billing:read']),
];

const ISSUE_PROBES: readonly Probe[] = [
  probe('GET /orders', 'GET /orders'),
  probe('POST /orders', 'POST /orders'),
  probe('GET /orders/42', 'GET /orders/{id}'),
  probe('GET /orders/a:b', 'GET /orders/{id}'),
  probe('GET /orders/42/items', 'GET /orders/{id}/items'),
  probe('GET /orders/a:b/items', 'GET /orders/{id}/items'),
  probe('DELETE /orders/42', 'DELETE /orders/{id}'),
  probe('DELETE /orders/a:b', 'DELETE /orders/{id}'),
  probe('GET /admin/x', 'ANY /admin/{proxy+}'),
  probe('POST /admin/a/b', 'ANY /admin/{proxy+}'),
  probe('DELETE /admin/a:b/c', 'ANY /admin/{proxy+}'),
  probe('HEAD /admin/orders', 'ANY /admin/{proxy+}'),
  probe('OPTIONS /admin/x', 'ANY /admin/{proxy+}'),
  probe('PURGE /admin/x', 'ANY /admin/{proxy+}'),
  probe('PROPFIND /admin/a:b', 'ANY /admin/{proxy+}'),
  probe('GET /health', 'GET /health'),
  probe('GET /customers/42', 'GET /customers/{id}'),
  probe('GET /customers/a:b', 'GET /customers/{id}'),
  probe('GET /customers/42/orders', 'GET /customers/{id}/orders'),
  probe('GET /customers/a:b/orders', 'GET /customers/{id}/orders'),
  probe('GET /items/42', 'GET /items/{id}'),
  probe('GET /items/a:b', 'GET /items/{id}'),
  probe('GET /items/search', 'GET /items/search'),
  probe('GET /v1/orders/42/invoice', 'GET /v1/orders/{id}/invoice'),
  probe('GET /v1/orders/a:b/invoice', 'GET /v1/orders/{id}/invoice'),
  probe('PUT /orders', undefined),
  probe('PATCH /orders/42', undefined),
  probe('GET /v1/orders/42', undefined),
  probe('PURGE /orders', undefined),
  spelling('GET /orders/'),
  spelling('GET /orders/42/'),
  spelling('DELETE /orders/42/'),
  spelling('GET /orders//items'),
  spelling('GET /health/'),
  spelling('GET /items/search/'),
  spelling('GET /customers//orders'),
  spelling('GET /admin//x'),
  spelling('GET /v1/orders/42/invoice/'),
];

/**
 * The issue's API. Its seven scopes are tested through five bundles (a token holds every scope of
 * a bundle or none): 32 scope sets instead of 128 keep the run within its budget, while every two
 * scopes of routes whose globs reach each other's requests stay apart (orders:read from items:read
 * and customers:read; orders:write, orders:admin and billing:read from orders:read).
 */
const ISSUE: Shape = {
  name: 'issue',
  description: "the issue's 12 routes",
  alphabet: ['orders:read', 'items:read', 'customers:read', 'orders:write billing:read', 'orders:admin admin'],
  expected: undefined,
  ...same({ routes: ISSUE_ROUTES, probes: ISSUE_PROBES }),
};

export const SHAPES: readonly Shape[] = [A, B, C, D, E, F, G, ISSUE];
