import { globMeetsRoute, HTTP_METHODS, isLiteralRoute, routeGlobs, splitRouteKey } from '../lambda/routes/route-patterns.js';

/** One API as the plan sees it. */
export interface PlannedApi {
  /** A name for messages and for looking the API up in the plan (its construct path). */
  readonly name: string;
  /** The route keys of the routes this API guards with the construct's authorizer. */
  readonly protectedRouteKeys: readonly string[];
  /** Every route key of the API, guarded or not (a request that matches one never reaches a less specific route). */
  readonly allRouteKeys: ReadonlySet<string>;
  /**
   * How the function finds a route's scopes: `rest` (REST and payload 1.0: `GET /x` without a
   * declaration of its own needs what `ANY /x` declares) or `http` (payload 2.0: exactly its own).
   */
  readonly lookup: 'http' | 'rest';
}

/** What the scope declarations say (the construct's registry). */
export interface DeclaredScopes {
  /** The declared route keys and their scopes (sorted, unique). */
  readonly declarations: ReadonlyMap<string, readonly string[]>;
}

/** A glob that would deny a request of a route the token may use, for some token. */
export interface RouteConflict {
  /** The route whose glob is denied when the token lacks its scopes. */
  readonly denied: string;
  readonly glob: string;
  /** The route whose requests that glob also matches, although it needs other scopes. */
  readonly reached: string;
}

export interface RoutePolicyPlan {
  /**
   * The APIs that must cache per route, each with why: the conflicts found in it (empty when it
   * falls back only because it shares a route key with an API that does).
   */
  readonly perRouteApis: ReadonlyMap<string, readonly RouteConflict[]>;
  /** The `ROUTE_POLICY` value. */
  readonly json: string;
}

/**
 * Plans the function's policy answers (see lambda/route-policy.ts): a token's answer allows the
 * stage and denies the globs of every declared route whose scopes it lacks, and API Gateway
 * caches that answer by the `Authorization` header for every route of the API. That is exact
 * when no such glob matches a request of a route the same token may use. Since the token can hold
 * any scopes, the plan checks every pair: the glob of a route `u` against the requests of a route
 * `c` of the API whenever `u` needs a scope `c` does not (a token holding exactly `c`'s scopes
 * may use `c` and not `u`). A glob that meets `c`'s requests is a conflict, except when `u` is a
 * literal route of this API (one method, no variable: its glob matches its own requests only, and
 * API Gateway sends such a request to `u`, the most specific route, never to `c`).
 *
 * An API with a conflict caches per route (its route keys go to `perRoute`, answered with Allow
 * or Deny of the whole stage), as does any API that shares a route key with it: the function
 * answers by route key, not by API.
 */
export function planRoutePolicy(declared: DeclaredScopes, apis: readonly PlannedApi[]): RoutePolicyPlan {
  const scoped = [...declared.declarations].filter(([, scopes]) => scopes.length > 0);
  const anyExcept = exceptedMethods(declared, apis, scoped);
  const perRouteApis = new Map<string, RouteConflict[]>();
  for (const api of apis) {
    const conflicts = conflictsIn(api, scoped, declared, anyExcept);
    if (conflicts.length > 0) perRouteApis.set(api.name, conflicts);
  }
  // Route keys are the function's only view of a request: an API that shares one with a per-route API caches per route too.
  let grew = true;
  while (grew) {
    grew = false;
    const perRouteKeys = new Set(apis.filter((api) => perRouteApis.has(api.name)).flatMap((api) => expandAny(api.protectedRouteKeys)));
    for (const api of apis) {
      if (perRouteApis.has(api.name) || !expandAny(api.protectedRouteKeys).some((key) => perRouteKeys.has(key))) continue;
      perRouteApis.set(api.name, []);
      grew = true;
    }
  }
  let perRoute = apis.every((api) => perRouteApis.has(api.name) || api.protectedRouteKeys.length === 0)
    ? ['*']
    : [...new Set(apis.filter((api) => perRouteApis.has(api.name)).flatMap((api) => expandAny(api.protectedRouteKeys)))].sort();
  if (JSON.stringify(perRoute).length > MAX_PER_ROUTE_JSON) {
    // Lambda allows 4 KB of environment in all: rather than list them, every API caches per route.
    for (const api of apis) if (!perRouteApis.has(api.name)) perRouteApis.set(api.name, []);
    perRoute = ['*'];
  }
  const json = JSON.stringify({
    perRoute: perRouteApis.size === 0 ? [] : perRoute,
    anyExcept: Object.fromEntries([...anyExcept].sort(([a], [b]) => a.localeCompare(b))),
  });
  return { perRouteApis, json };
}

/** The longest `perRoute` list written out (characters of JSON); past it, `*`. */
const MAX_PER_ROUTE_JSON = 600;

/** `ANY /x` also stands for `GET /x`, `POST /x`, … as REST events name them. */
function expandAny(routeKeys: readonly string[]): string[] {
  return routeKeys.flatMap((key) => {
    const route = splitRouteKey(key);
    return route?.method === 'ANY' ? [key, ...HTTP_METHODS.map((method) => `${method} ${route.path}`)] : [key];
  });
}

/**
 * For each scoped `ANY /x`: the methods `m` whose requests never reach it in any API that has it,
 * because that API has a route `m /x` that is unguarded or declares its own scopes. The globs of
 * `ANY /x` leave them out (an unguarded `OPTIONS /x` twin, or a `GET /x` open to every token).
 */
function exceptedMethods(declared: DeclaredScopes, apis: readonly PlannedApi[], scoped: readonly [string, readonly string[]][]) {
  const except = new Map<string, string[]>();
  for (const [routeKey] of scoped) {
    const route = splitRouteKey(routeKey);
    if (route?.method !== 'ANY') continue;
    const holders = apis.filter((api) => api.allRouteKeys.has(routeKey));
    if (holders.length === 0) continue;
    const methods = HTTP_METHODS.filter((method) =>
      holders.every((api) => {
        const own = `${method} ${route.path}`;
        return api.allRouteKeys.has(own) && (!api.protectedRouteKeys.includes(own) || declared.declarations.has(own));
      }),
    );
    if (methods.length > 0) except.set(routeKey, methods);
  }
  return except;
}

/** The scopes the function requires for a guarded route of this API (as lambda/route-scopes.ts looks them up). */
function requiredScopes(api: PlannedApi, declared: DeclaredScopes, routeKey: string): readonly string[] {
  const own = declared.declarations.get(routeKey);
  if (own !== undefined || api.lookup === 'http') return own ?? [];
  const route = splitRouteKey(routeKey);
  return (route && declared.declarations.get(`ANY ${route.path}`)) ?? [];
}

function conflictsIn(
  api: PlannedApi,
  scoped: readonly [string, readonly string[]][],
  declared: DeclaredScopes,
  anyExcept: ReadonlyMap<string, readonly string[]>,
): RouteConflict[] {
  const conflicts: RouteConflict[] = [];
  for (const reached of new Set(api.protectedRouteKeys)) {
    const may = requiredScopes(api, declared, reached);
    // An ANY route never receives the methods that have routes of their own on its path in this API.
    const path = splitRouteKey(reached)?.path;
    const taken = HTTP_METHODS.filter((method) => path !== undefined && api.allRouteKeys.has(`${method} ${path}`));
    for (const [denied, needs] of scoped) {
      if (needs.every((scope) => may.includes(scope))) continue;
      // A literal route's own glob matches its own requests only, which API Gateway sends to it.
      const own = isLiteralRoute(denied) && api.allRouteKeys.has(denied) ? denied.replace(' ', '') : undefined;
      const glob = routeGlobs(denied, anyExcept.get(denied)).find(
        (candidate) => candidate !== own && globMeetsRoute(candidate, reached, taken),
      );
      if (glob !== undefined) conflicts.push({ denied, glob, reached });
    }
  }
  return conflicts;
}

/**
 * The construct's plan, computed at synth time from the scope declarations and the APIs the
 * wirings register (each as a function read when the plan is needed, after every route exists).
 */
export class RoutePolicyPlanner {
  private readonly apis: (() => PlannedApi)[] = [];
  private memo: { readonly key: string; readonly plan: RoutePolicyPlan } | undefined;

  constructor(private readonly declared: DeclaredScopes) {}

  addApi(api: () => PlannedApi): void {
    this.apis.push(api);
  }

  plan(): RoutePolicyPlan {
    const apis = this.apis.map((api) => api());
    const key = JSON.stringify([
      [...this.declared.declarations],
      apis.map((api) => [api.name, api.protectedRouteKeys, [...api.allRouteKeys].sort(), api.lookup]),
    ]);
    if (this.memo?.key !== key) this.memo = { key, plan: planRoutePolicy(this.declared, apis) };
    return this.memo.plan;
  }

  /** Whether the API must cache per route. */
  cachesPerRoute(name: string): boolean {
    return this.plan().perRouteApis.has(name);
  }

  /** The synth warning for an API that caches per route, naming the routes and why; undefined otherwise. */
  warningFor(name: string): string | undefined {
    const conflicts = this.plan().perRouteApis.get(name);
    if (conflicts === undefined) return undefined;
    const why =
      conflicts.length === 0
        ? 'it shares route keys with another API of this authorizer function that caches per route (the function answers by route key), ' +
          'or the list of such routes would not fit in the function environment'
        : `the execute-api globs cannot separate its routes exactly (in an IAM resource, * also matches "/"): ${conflicts
            .slice(0, 5)
            .map((c) => `${c.denied} (glob ${c.glob}) also matches requests of ${c.reached}, which needs other scopes`)
            .join('; ')}${conflicts.length > 5 ? `; and ${conflicts.length - 5} more` : ''}`;
    return (
      `${name}: authorizer answers are cached per route ($context.routeKey or method and resource in the identity sources), ` +
      `so a token costs one authorizer invocation per route it calls within resultsCacheTtl, because ${why}. ` +
      'Decisions stay exact. To cache one answer per token instead, give such overlapping routes the same scopes, or move them to their own API and PhantomTokenAuthorizer.'
    );
  }
}
