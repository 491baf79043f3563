import { Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { POLICY_BUDGET_BYTES } from '../lambda/environment.js';
import {
  colonVariants,
  globMeetsRoute,
  HTTP_METHODS,
  isLiteralRoute,
  MAX_INNER_WILDCARDS,
  routeGlobs,
  splitRouteKey,
  trailingSlashGlob,
} from '../lambda/routes/route-patterns.js';
import { ROUTE_TABLE_VERSION, type TableRoute } from '../lambda/routes/route-table-format.js';

/** One API as the plan sees it. */
export interface PlannedApi {
  /** A name for messages and for looking the API up in the plan (its construct path). */
  readonly name: string;
  /** The route keys of the routes behind the construct's authorizers on this API. */
  readonly guardedRouteKeys: readonly string[];
  /** Every route key of the API, guarded or not (a request that matches one never reaches a less specific route). */
  readonly allRouteKeys: ReadonlySet<string>;
  /** How events name routes: `http` (payload 2.0: the route) or `rest` (the method and resource, `ANY /x` as `GET /x`). */
  readonly lookup: 'http' | 'rest';
  /**
   * The longest `arn:…:api-id/stage/` prefix of this API's request ARNs, in bytes (`arnPrefixBytes`).
   * @default PREFIX_BOUND_BYTES
   */
  readonly prefixBytes?: number;
}

/**
 * What a shared group may hold, by what the plan assumes of API Gateway's authorizer cache:
 *
 * - `same-scopes` (the default): on each API, the routes of a group all need the same scopes. Exact
 *   whether API Gateway evaluates a cached answer's policy against each request's ARN or reuses the
 *   first request's decision for the authorizer's other routes (neither is documented for HTTP APIs,
 *   nor how a request ARN is spelled for paths with `..` or `//`): a cached Allow never reaches a
 *   route that needs more. A token costs one invocation per distinct scope set it uses.
 * - `evaluated-policy`: routes needing different scopes share a group, and answers allow or deny each
 *   of them. Exact only if API Gateway evaluates the cached policy against each request's ARN, as it
 *   documents for REST APIs; `npm run integ` checks it for both API types (docs/verified-on-aws.md).
 *   One invocation per token per group, usually one.
 */
export type GroupSharing = 'same-scopes' | 'evaluated-policy';

/** A group's answer may not list this route's Deny: why it left the group. */
export interface RouteConflict {
  /** The route that needed a Deny. */
  readonly denied: string;
  /** The route whose Allow reaches it. */
  readonly reachedBy: string;
  /** The route whose requests that Deny would also match, although it needs other scopes (or `undefined`: too many inner wildcards). */
  readonly hit: string | undefined;
  /** `scopes`: under `same-scopes` sharing, `denied` needs other scopes than `reachedBy`, a route of the group on the same API. */
  readonly why?: 'scopes';
}

export interface RouteTablePlan {
  /** The route table file's JSON (lambda/routes/route-table.ts). */
  readonly json: string;
  /** Route key → its group (a shared authorizer) or `route` (the authorizer that caches per route). */
  readonly groups: ReadonlyMap<string, number | 'route'>;
  /** API name → the groups its guarded routes use, ascending, `route` last. */
  readonly apiGroups: ReadonlyMap<string, readonly (number | 'route')[]>;
  /** Why routes left group 0, per API. */
  readonly conflicts: ReadonlyMap<string, readonly RouteConflict[]>;
  /** Shared group → the largest policy document any token can get there, in bytes (at the prefix bound). */
  readonly worstCaseBytes: ReadonlyMap<number, number>;
  /** Declarations that name no guarded route, and other plans the function could not follow. */
  readonly errors: readonly string[];
}

/** Shared groups per function at most: each is an authorizer on an API (quota 10 per API), with one more for per-route caching. */
export const MAX_SHARED_GROUPS = 7;

/**
 * Bytes a resource's `arn:…:api-id/stage/` prefix is counted at when the API's partition, region,
 * account or stage names are not known at synth: `aws-us-gov`, a 14-character region, a
 * 16-character stage name. A longer prefix (a longer stage name) takes from the room the
 * function's own limit (MAX_POLICY_BYTES) leaves; past that limit the function fails the request
 * (500) rather than answer.
 */
export const PREFIX_BOUND_BYTES = 83;

/**
 * The bytes of an API's `arn:{partition}:execute-api:{region}:{account}:{api-id}/{stage}/` prefix:
 * each part as given when known at synth, else at its longest (API ids are 10 characters).
 */
export function arnPrefixBytes(region: string | undefined, account: string | undefined, stageNames: readonly string[]): number {
  const partition =
    region === undefined ? 'aws-us-gov' : region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  const stage = stageNames.length === 0 ? 16 : Math.max(...stageNames.map((name) => name.length));
  return `arn:${partition}:execute-api:`.length + (region?.length ?? 14) + 1 + (account?.length ?? 12) + 1 + 10 + 1 + stage + 1;
}

/** A policy document's bytes besides its resources: statements, version, principal. */
const POLICY_OVERHEAD_BYTES = 256;

/**
 * Plans the route table (see lambda/routes/policy-answer.ts for how the function answers from
 * it). A token's answer in a shared group allows the globs of the group's routes it may use and
 * denies those of each route it may not use that one of those Allows reaches; API Gateway caches
 * it by the `Authorization` header and evaluates it only on requests of that group's routes. That
 * is exact when, for every API and every route `u` of it in the group, if the Allow of a route `c`
 * of the group (of any API: the table knows routes by their keys) reaches `u`'s requests on that
 * API (a token may use `c` and not `u`), `u` can be denied without the Deny matching a request of
 * any of the API's routes in the group that a token lacking `u`'s scopes may use. The
 * plan places routes, in order, into the first group where that holds and the worst-case answer
 * fits `POLICY_BUDGET_BYTES`; past `MAX_SHARED_GROUPS`, a route is cached per route.
 *
 * Requests are modelled as API Gateway routes them: a path goes to the most specific route that
 * matches it, so the canonical glob of a literal route (one method, no variable) matches that
 * route's own requests only. Where AWS does not document a request's route or ARN (a trailing
 * slash), a route's Allow leaves the spelling out unless no other route of any API could receive
 * it, and its Deny keeps it: a wrong guess denies (fails closed), never allows.
 */
export function planRouteTable(
  declarations: ReadonlyMap<string, readonly string[]>,
  apis: readonly PlannedApi[],
  sharing: GroupSharing = 'same-scopes',
): RouteTablePlan {
  const errors = [...undeclaredRoutes(declarations, apis), ...ambiguousRestLookups(apis)];
  const scopes = (key: string) => declarations.get(key) ?? [];
  const keys = [...new Set(apis.flatMap((api) => api.guardedRouteKeys))].sort();
  const except = exceptedMethods(keys, apis);
  const globs = new Map(keys.map((key) => [key, routeGlobs(key, except.get(key))]));
  const slashSafe = (key: string, slash: string) =>
    apis.every(
      (api) =>
        !api.guardedRouteKeys.includes(key) ||
        [...api.allRouteKeys].every((other) => other === key || !globMeetsRoute(slash, other, ownMethods(api, other))),
    );
  const tableRoutes = new Map<string, Omit<TableRoute, 'group' | 'reachedBy'>>();
  for (const key of keys) {
    const base = globs.get(key) ?? [];
    const slashes = base.map(trailingSlashGlob).filter((glob): glob is string => glob !== undefined);
    const variants = (list: readonly string[]) =>
      list.every((glob) => innerStarCount(glob) <= MAX_INNER_WILDCARDS) ? list.flatMap(colonVariants) : list;
    tableRoutes.set(key, {
      routeKey: key,
      scopes: scopes(key),
      allow: variants([...base, ...slashes.filter((slash) => slashSafe(key, slash))]),
      deny: variants([...base, ...slashes]),
    });
  }

  /**
   * Whether a canonical glob of route `a` matches a request API Gateway sends to route `b` of this
   * API (memoized). A literal route's canonical glob matches its own requests only; trailing-slash
   * spellings are left out: an Allow lists one only where no other route could receive it, and a
   * Deny that also matched another route's `/x/` could at worst deny it (fail closed).
   */
  const memo = new Map<string, boolean>();
  const meets = (api: PlannedApi, a: string, b: string) => {
    const key = `${api.name}\n${a}\n${b}`;
    let known = memo.get(key);
    if (known === undefined) {
      const own = isLiteralRoute(a) && api.allRouteKeys.has(a) ? a.replace(' ', '') : undefined;
      known = (globs.get(a) ?? []).some((glob) => glob !== own && globMeetsRoute(glob, b, ownMethods(api, b)));
      memo.set(key, known);
    }
    return known;
  };
  const sameScopes = (a: string, b: string) => {
    const [x, y] = [new Set(scopes(a)), new Set(scopes(b))];
    return x.size === y.size && [...x].every((scope) => y.has(scope));
  };
  /** A token may use `c` and not `u`. */
  const lacks = (u: string, c: string) => u !== c && !scopes(u).every((scope) => scopes(c).includes(scope));
  /** `c`'s Allow reaches a request of `u`, for a token that may use `c` and not `u`: `u` needs a Deny. */
  const reaches = (api: PlannedApi, c: string, u: string) => lacks(u, c) && meets(api, c, u);
  /** `u`'s Deny would also match a request of `c`, which a token lacking `u`'s scopes may use. */
  const hits = (api: PlannedApi, u: string, c: string) => lacks(u, c) && meets(api, u, c);
  const deniable = (u: string) => (globs.get(u) ?? []).every((glob) => innerStarCount(glob) <= MAX_INNER_WILDCARDS);

  /**
   * A group: its routes (whichever API guards them: the table knows routes by their keys, so a
   * group's answer lists the Allows of every API's routes in it), each API's routes in it (the
   * requests the group's answers are evaluated on), and the routes some Allow of the group
   * reaches on an API that guards them: they need a Deny, which then appears in answers on every
   * API of the group.
   */
  interface Group {
    readonly routes: string[];
    readonly byApi: Map<PlannedApi, string[]>;
    readonly needy: Set<string>;
  }
  /** The routes `key` joining the group makes need a Deny, or why `key` cannot join. */
  const join = (group: Group, key: string, holders: readonly PlannedApi[]): { readonly needy: string[] } | RouteConflict => {
    if (sharing === 'same-scopes') {
      for (const api of holders) {
        const other = group.byApi.get(api)?.find((c) => !sameScopes(c, key));
        if (other !== undefined) return { denied: key, reachedBy: other, hit: undefined, why: 'scopes' };
      }
    }
    const needy: { readonly u: string; readonly by: string }[] = [];
    for (const [api, routes] of group.byApi) {
      for (const u of routes) {
        if (!group.needy.has(u) && !needy.some((n) => n.u === u) && reaches(api, key, u)) needy.push({ u, by: key });
      }
    }
    for (const api of holders) {
      const reacher = group.routes.find((c) => reaches(api, c, key));
      if (reacher !== undefined) {
        needy.push({ u: key, by: reacher });
        break;
      }
    }
    const requests = (api: PlannedApi) => [...(group.byApi.get(api) ?? []), ...(holders.includes(api) ? [key] : [])];
    const groupApis = [...new Set([...group.byApi.keys(), ...holders])];
    for (const { u, by } of needy) {
      // u's Deny must not match requests of a route of the group, on any of its APIs, that a token lacking u's scopes may use.
      if (!deniable(u)) return { denied: u, reachedBy: by, hit: undefined };
      for (const api of groupApis) {
        const hit = requests(api).find((c) => hits(api, u, c));
        if (hit !== undefined) return { denied: u, reachedBy: by, hit };
      }
    }
    for (const u of group.needy) {
      for (const api of holders) {
        if (hits(api, u, key))
          return {
            denied: u,
            reachedBy: group.routes.find((c) => [...group.byApi.keys()].some((api) => reaches(api, c, u))) ?? u,
            hit: key,
          };
      }
    }
    return { needy: needy.map((n) => n.u) };
  };

  const groups = new Map<string, number | 'route'>();
  const shared: Group[] = [];
  const bytes = new Map<number, number>();
  const conflicts = new Map<string, RouteConflict[]>();
  for (const key of keys) {
    const holders = apis.filter((api) => api.guardedRouteKeys.includes(key));
    const prefix = Math.max(...holders.map((api) => api.prefixBytes ?? PREFIX_BOUND_BYTES));
    const size = (tableRoutes.get(key)?.deny ?? []).reduce((sum, glob) => sum + prefix + glob.length + 3, 0);
    let placed: number | 'route' = 'route';
    for (let index = 0; index < MAX_SHARED_GROUPS && placed === 'route'; index += 1) {
      if ((bytes.get(index) ?? POLICY_OVERHEAD_BYTES) + size > POLICY_BUDGET_BYTES) continue;
      if (shared[index] === undefined) shared[index] = { routes: [], byApi: new Map(), needy: new Set() };
      const group = shared[index] as Group;
      const result = join(group, key, holders);
      if (!('needy' in result)) {
        if (index === 0) {
          for (const api of holders) conflicts.set(api.name, [...(conflicts.get(api.name) ?? []), result]);
        }
        continue;
      }
      placed = index;
      bytes.set(index, (bytes.get(index) ?? POLICY_OVERHEAD_BYTES) + size);
      group.routes.push(key);
      for (const api of holders) group.byApi.set(api, [...(group.byApi.get(api) ?? []), key]);
      for (const u of result.needy) group.needy.add(u);
    }
    groups.set(key, placed);
  }

  const routes: TableRoute[] = keys.map((key) => {
    const group = groups.get(key) as number | 'route';
    const reachedBy =
      group === 'route'
        ? []
        : keys.filter((c) => groups.get(c) === group && apis.some((api) => api.guardedRouteKeys.includes(key) && reaches(api, c, key)));
    return { ...(tableRoutes.get(key) as Omit<TableRoute, 'group' | 'reachedBy'>), group, reachedBy };
  });
  const apiGroups = new Map(
    apis.map((api) => {
      const used = [...new Set(api.guardedRouteKeys.map((key) => groups.get(key) as number | 'route'))];
      return [api.name, used.sort((a, b) => (a === 'route' ? 1 : b === 'route' ? -1 : a - b))] as const;
    }),
  );
  return {
    json: JSON.stringify({ version: ROUTE_TABLE_VERSION, routes }),
    groups,
    apiGroups,
    conflicts,
    worstCaseBytes: bytes,
    errors,
  };
}

function innerStarCount(glob: string): number {
  return [...glob.slice(0, -1)].filter((char) => char === '*').length;
}

/** For an `ANY` route of the API: the methods with routes of their own on its path, which take those requests. */
function ownMethods(api: PlannedApi, routeKey: string): string[] {
  const route = splitRouteKey(routeKey);
  if (route?.method !== 'ANY') return [];
  return HTTP_METHODS.filter((method) => api.allRouteKeys.has(`${method} ${route.path}`));
}

/** For each guarded `ANY /x`: the methods that have routes of their own on `/x` in every API that guards it; its globs leave them out. */
function exceptedMethods(keys: readonly string[], apis: readonly PlannedApi[]): Map<string, string[]> {
  const except = new Map<string, string[]>();
  for (const key of keys) {
    const holders = apis.filter((api) => api.guardedRouteKeys.includes(key));
    const methods = HTTP_METHODS.filter((method) => holders.every((api) => ownMethods(api, key).includes(method)));
    if (methods.length > 0) except.set(key, methods);
  }
  return except;
}

/** A scope declaration that names no guarded route would protect nothing: an error naming the nearest route keys. */
function undeclaredRoutes(declarations: ReadonlyMap<string, readonly string[]>, apis: readonly PlannedApi[]): string[] {
  const guarded = [...new Set(apis.flatMap((api) => api.guardedRouteKeys))];
  const errors: string[] = [];
  for (const [key, scopes] of declarations) {
    if (guarded.includes(key)) continue;
    const nearest = [...guarded].sort((a, b) => distance(key, a) - distance(key, b) || a.localeCompare(b)).slice(0, 3);
    errors.push(
      `the scopes [${scopes.join(', ')}] are declared for route ${key}, which no route behind this authorizer has` +
        (nearest.length > 0 ? `; nearest route keys: ${nearest.join(', ')}` : '; no route uses this authorizer yet') +
        '. Declare them with the route key as API Gateway writes it (REST: METHOD and the resource path, with the path variables as the resource names them).',
    );
  }
  return errors;
}

/**
 * REST events name an `ANY /x` method's requests `GET /x` …; if another API of the function guards
 * `GET /x` itself, the function would read that route's scopes for them.
 */
function ambiguousRestLookups(apis: readonly PlannedApi[]): string[] {
  const errors: string[] = [];
  for (const api of apis.filter((candidate) => candidate.lookup === 'rest')) {
    for (const key of api.guardedRouteKeys) {
      const route = splitRouteKey(key);
      if (route?.method !== 'ANY') continue;
      for (const method of HTTP_METHODS) {
        const own = `${method} ${route.path}`;
        if (api.allRouteKeys.has(own)) continue;
        const other = apis.find((candidate) => candidate !== api && candidate.guardedRouteKeys.includes(own));
        if (other !== undefined) {
          errors.push(
            `${api.name} guards ${key}, whose ${method} requests REST names ${own}, a route ${other.name} guards too: ` +
              'the function could not tell them apart. Use one PhantomTokenAuthorizer per API.',
          );
        }
      }
    }
  }
  return errors;
}

/** The ARN prefix bound of an API (its stack's region and account, the stage names found in its scope). */
export function apiPrefixBytes(api: IConstruct, stageNames: readonly (string | undefined)[]): number {
  const stack = Stack.of(api);
  const known = (value: string) => (Token.isUnresolved(value) ? undefined : value);
  const names = stageNames.filter((name): name is string => name !== undefined && !Token.isUnresolved(name));
  return arnPrefixBytes(known(stack.region), known(stack.account), names.length === stageNames.length ? names : []);
}

/** The id and name suffix of a group's authorizer: none for group 0, `G1` …, `PerRoute`. */
export function groupSuffix(group: number | 'route'): string {
  return group === 0 ? '' : group === 'route' ? 'PerRoute' : `G${group}`;
}

/** Levenshtein distance, for naming the nearest route keys. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * The construct's plan, computed at synth time from the scope declarations and the APIs the
 * wirings register (each as a function read when the plan is needed, after every route exists),
 * memoized on its inputs.
 */
export class RouteTablePlanner {
  private readonly apis: (() => PlannedApi)[] = [];
  private memo: { readonly key: string; readonly plan: RouteTablePlan } | undefined;
  private frozen: string | undefined;

  constructor(
    private readonly declarations: () => ReadonlyMap<string, readonly string[]>,
    private readonly sharing: GroupSharing = 'same-scopes',
  ) {}

  addApi(api: () => PlannedApi): void {
    this.apis.push(api);
  }

  plan(): RouteTablePlan {
    const apis = this.apis.map((api) => api());
    const declarations = this.declarations();
    const key = JSON.stringify([
      [...declarations],
      apis.map((api) => [api.name, api.guardedRouteKeys, [...api.allRouteKeys].sort(), api.lookup]),
    ]);
    if (this.memo?.key !== key) this.memo = { key, plan: planRouteTable(declarations, apis, this.sharing) };
    if (this.frozen !== undefined && this.frozen !== this.memo.plan.json) {
      throw new Error(
        'the routes behind the PhantomTokenAuthorizer changed after its route table was written (during synthesis, by an aspect?): ' +
          'add routes and scope declarations before synthesis',
      );
    }
    return this.memo.plan;
  }

  /**
   * The plan, from now on final: the route table file and the authorizers are made from it
   * during synthesis, so a later change of the routes would make them disagree (then plan() throws).
   */
  freeze(): RouteTablePlan {
    const plan = this.plan();
    this.frozen = plan.json;
    return plan;
  }

  /** The groups an API's guarded routes use. */
  groupsOf(name: string): readonly (number | 'route')[] {
    return this.plan().apiGroups.get(name) ?? [];
  }

  /** The synth note for an API whose routes do not all share group 0: which routes, and why. */
  noteFor(name: string): string | undefined {
    const plan = this.plan();
    const used = plan.apiGroups.get(name) ?? [];
    if (used.length <= 1) return undefined;
    const found = plan.conflicts.get(name) ?? [];
    const why = found
      .slice(0, 5)
      .map((c) =>
        c.why === 'scopes'
          ? `${c.denied} needs other scopes than ${c.reachedBy}`
          : c.hit === undefined
            ? `${c.denied} (reached by ${c.reachedBy}) has more than ${MAX_INNER_WILDCARDS} path variables before its end`
            : `${c.denied} is reached by the Allow of ${c.reachedBy}, and its Deny would also match requests of ${c.hit}`,
      )
      .join('; ');
    return (
      `${name}: its routes are answered by ${used.length} authorizers (${used.map((group) => (group === 'route' ? 'one per route' : `group ${group}`)).join(', ')}), ` +
      'so a token costs up to that many authorizer invocations (plus one per route cached per route) within resultsCacheTtl. ' +
      (why === ''
        ? `The answers of one group would exceed ${POLICY_BUDGET_BYTES} bytes.`
        : `Because ${why}${found.length > 5 ? `; and ${found.length - 5} more` : ''}.`) +
      ' Decisions stay exact.'
    );
  }
}
