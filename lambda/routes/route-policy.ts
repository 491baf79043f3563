import type { AuthorizerContext, PolicyResponse } from '../authorizer-response.js';
import { ROUTE_KEY_PATTERN } from '../environment.js';
import { AuthorizerEventInvalidError, ConfigurationInvalidError } from '../errors.js';
import { globMatches, HTTP_METHODS, routeGlobs, splitRouteKey } from './route-patterns.js';
import type { RouteScopes } from './route-scopes.js';

/**
 * `ROUTE_POLICY`: the construct's plan for answering with IAM policies that API Gateway may cache
 * for every route of an API (identity source: the `Authorization` header alone). Its presence
 * turns policy answers on, for payload 2.0 events too (the authorizer then has simple responses off).
 */
export interface RoutePolicy {
  /**
   * Routes answered for themselves alone (Allow or Deny of the whole stage), because their API
   * caches per route: the construct could not prove that the globs separate its routes exactly.
   * `*`: every route.
   */
  readonly perRoute: ReadonlySet<string>;
  /** `ANY /x` → the methods that have routes of their own on `/x`, which the `ANY` globs leave out. */
  readonly anyExcept: ReadonlyMap<string, readonly string[]>;
}

/** Parses `ROUTE_POLICY`; undefined when unset (simple responses, and REST policies per route as before). */
export function parseRoutePolicy(json: string | undefined): RoutePolicy | undefined {
  if (json === undefined || json.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (cause) {
    throw new ConfigurationInvalidError('ROUTE_POLICY must be JSON', { cause });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigurationInvalidError('ROUTE_POLICY must be a JSON object with perRoute and anyExcept');
  }
  const { perRoute = [], anyExcept = {} } = parsed as { perRoute?: unknown; anyExcept?: unknown };
  if (!Array.isArray(perRoute) || !perRoute.every((key) => typeof key === 'string' && (key === '*' || ROUTE_KEY_PATTERN.test(key)))) {
    throw new ConfigurationInvalidError(`ROUTE_POLICY.perRoute must be an array of route keys; received ${JSON.stringify(perRoute)}`);
  }
  if (anyExcept === null || typeof anyExcept !== 'object' || Array.isArray(anyExcept)) {
    throw new ConfigurationInvalidError(`ROUTE_POLICY.anyExcept must be an object; received ${JSON.stringify(anyExcept)}`);
  }
  const except = new Map<string, readonly string[]>();
  for (const [routeKey, methods] of Object.entries(anyExcept)) {
    const valid =
      splitRouteKey(routeKey)?.method === 'ANY' &&
      ROUTE_KEY_PATTERN.test(routeKey) &&
      Array.isArray(methods) &&
      methods.every((method) => (HTTP_METHODS as readonly unknown[]).includes(method));
    if (!valid) {
      throw new ConfigurationInvalidError(
        `ROUTE_POLICY.anyExcept must map ANY route keys to HTTP methods; received ${JSON.stringify(routeKey)}: ${JSON.stringify(methods)}`,
      );
    }
    except.set(routeKey, methods as string[]);
  }
  return { perRoute: new Set(perRoute as string[]), anyExcept: except };
}

/** What the policy answer needs to know about the token and the request's route. */
export interface PolicyAnswerInput {
  /** The request's execute-api ARN (`routeArn` or `methodArn`). */
  readonly arn: string;
  /** The request's route key, as `requiredScopes` looks it up. */
  readonly routeKey: string;
  /** Whether the token may use the request's route. */
  readonly allowed: boolean;
  readonly principalId: string;
  readonly granted: readonly string[];
  readonly context: AuthorizerContext;
}

/**
 * The policy for an active token. On a route its API caches per route: Allow (with the context)
 * or Deny of the whole stage. Otherwise, the answer API Gateway caches for the token and reuses
 * on every route: Allow the stage, Deny the globs of every route whose scopes the token lacks
 * (an explicit Deny wins over the Allow). Fails closed: should that policy contradict the decision
 * for the request at hand, the answer is a Deny of the whole stage.
 */
export function routePolicyAnswer(routes: RouteScopes, plan: RoutePolicy, input: PolicyAnswerInput): PolicyResponse {
  const prefix = arnPrefix(input.arn);
  if (answersPerRoute(plan, input.routeKey)) {
    return input.allowed ? policy(input.principalId, prefix, [], input.context) : policy(input.principalId, prefix, undefined, undefined);
  }
  const denied = deniedGlobs(routes, plan, input.granted);
  const suffix = input.arn.slice(prefix.length);
  if (!input.allowed && !denied.some((glob) => globMatches(glob, suffix))) return policy(input.principalId, prefix, undefined, undefined);
  return policy(input.principalId, prefix, denied, input.context);
}

/** A Deny of the whole stage, for a token that is not valid (cached for every route: it is invalid on all). */
export function denyStage(arn: string): PolicyResponse {
  return policy('unknown', arnPrefix(arn), undefined, undefined);
}

/**
 * `denied` undefined: Deny `prefix*`. Otherwise Allow `prefix*`, and Deny `prefix` + each glob
 * in one statement (a list of resources, the smallest document that says it).
 */
function policy(principalId: string, prefix: string, denied: readonly string[] | undefined, context: AuthorizerContext | undefined) {
  const statements: PolicyResponse['policyDocument']['Statement'][number][] = [
    { Action: 'execute-api:Invoke', Effect: denied === undefined ? 'Deny' : 'Allow', Resource: `${prefix}*` },
  ];
  if (denied !== undefined && denied.length > 0) {
    statements.push({ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: denied.map((glob) => `${prefix}${glob}`) });
  }
  return {
    principalId,
    policyDocument: { Version: '2012-10-17' as const, Statement: statements },
    ...(context === undefined ? {} : { context }),
  };
}

/** `*`: every route (all the function's APIs cache per route). REST keys arrive as `GET /x` for an `ANY /x` method: the plan lists both. */
function answersPerRoute(plan: RoutePolicy, routeKey: string): boolean {
  return plan.perRoute.has('*') || plan.perRoute.has(routeKey);
}

/** Per plan (one per configuration, with its ROUTE_SCOPES): scope set → denied globs, at most 256 sets. */
const deniedCaches = new WeakMap<RoutePolicy, Map<string, readonly string[]>>();
const DENIED_CACHE_ENTRIES = 256;

/** The globs of every route in `ROUTE_SCOPES` that needs a scope the token lacks (memoized per scope set). */
export function deniedGlobs(routes: RouteScopes, plan: RoutePolicy, granted: readonly string[]): readonly string[] {
  let cache = deniedCaches.get(plan);
  if (cache === undefined) {
    cache = new Map();
    deniedCaches.set(plan, cache);
  }
  const key = [...granted].sort().join(' ');
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const globs = new Set<string>();
  for (const [routeKey, scopes] of routes) {
    if (scopes.every((scope) => granted.includes(scope))) continue;
    for (const glob of routeGlobs(routeKey, plan.anyExcept.get(routeKey))) globs.add(glob);
  }
  const denied = [...globs].sort();
  if (cache.size >= DENIED_CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
  cache.set(key, denied);
  return denied;
}

/** `arn:…:api-id/stage/` of a request ARN `arn:…:api-id/stage/METHOD/path`. */
export function arnPrefix(arn: string): string {
  const apiEnd = arn.indexOf('/');
  const stageEnd = arn.indexOf('/', apiEnd + 1);
  if (!arn.startsWith('arn:') || apiEnd < 0 || stageEnd < 0) {
    throw new AuthorizerEventInvalidError(`authorizer event ARN must be arn:…:api-id/stage/METHOD/path; received ${JSON.stringify(arn)}`);
  }
  return arn.slice(0, stageEnd + 1);
}

/** The request's ARN: `methodArn` (REST, payload 1.0) or `routeArn` (payload 2.0). */
export function requestArn(event: unknown, methodArn: string | undefined): string {
  const arn = methodArn ?? (event as { routeArn?: unknown }).routeArn;
  if (typeof arn !== 'string') throw new AuthorizerEventInvalidError('authorizer event must carry routeArn (payload 2.0) or methodArn');
  return arn;
}
