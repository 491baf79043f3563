import type { AuthorizerContext, PolicyResponse } from '../authorizer-response.js';
import { MAX_POLICY_BYTES } from '../environment.js';
import { AuthorizerEventInvalidError, ConfigurationInvalidError } from '../errors.js';
import { colonVariants, globMatches, HTTP_METHODS, routeGlobs, trailingSlashGlob } from './route-patterns.js';
import type { RouteScopes } from './route-scopes.js';
import type { RouteTable, TableRoute } from './route-table.js';

/** What the answer needs to know about the token and the request. */
export interface PolicyAnswerInput {
  /** The request's execute-api ARN (`routeArn` or `methodArn`). */
  readonly arn: string;
  /**
   * Whether the token may use the request's route (its scopes, audience and binding). A request
   * with a method outside the seven is denied all the same: no answer names such a method.
   */
  readonly allowed: boolean;
  readonly principalId: string;
  readonly granted: readonly string[];
  readonly context: AuthorizerContext;
}

/**
 * The answer for an active token and a route of the table, which API Gateway caches for the
 * token and reuses on every route of the same group:
 * - a route cached per route: Allow every known method of the stage (with the context), or Deny the stage;
 * - a shared group: Allow the globs of every route of the group the token may use, and Deny the
 *   globs of each route it may not use that one of those Allow globs also reaches. Nothing else
 *   is allowed, so a route the group does not know, or a method outside the seven, is denied.
 * The construct proved at synth time that this is exact on the group's requests. Fails closed:
 * should the answer contradict the decision for the request at hand, it is a Deny of the stage.
 */
export function tableAnswer(table: RouteTable, route: TableRoute, input: PolicyAnswerInput): PolicyResponse {
  const prefix = arnPrefix(input.arn);
  if (route.group === 'route') {
    return input.allowed ? answer(input.principalId, prefix, EVERY_METHOD_POLICY, input.context) : denyStage(input.arn, input.principalId);
  }
  const globs = groupPolicy(table, route.group, input.granted);
  const suffix = input.arn.slice(prefix.length);
  if (!input.allowed && globs.allow.some((glob) => globMatches(glob, suffix)) && !globs.deny.some((glob) => globMatches(glob, suffix))) {
    return denyStage(input.arn, input.principalId);
  }
  return answer(input.principalId, prefix, globs, input.context);
}

/**
 * Without a route table (a function deployed without the construct, `ROUTE_SCOPES` only), for REST
 * and payload 1.0: Allow every method the function knows on the stage, Deny every spelling of each
 * route whose scopes the token lacks (with its colon variants, so under both readings of IAM
 * wildcards). Never allows a route the token may not use, whatever the API's identity sources;
 * where routes overlap, a Deny may also cover requests of a route the token may use (fail closed).
 */
export function scopesAnswer(routes: RouteScopes, input: PolicyAnswerInput): PolicyResponse {
  const prefix = arnPrefix(input.arn);
  const globs = memo(routes, `\n${scopeSetKey(input.granted)}`, () => {
    const globs = new Set<string>();
    for (const [routeKey, scopes] of routes) {
      if (scopes.every((scope) => input.granted.includes(scope))) continue;
      for (const glob of routeGlobs(routeKey, declaredMethods(routes, routeKey)))
        for (const spelling of spellings(glob)) globs.add(spelling);
    }
    return groupPolicyOf(EVERY_METHOD, [...globs].sort());
  });
  if (!input.allowed && !globs.deny.some((glob) => globMatches(glob, input.arn.slice(prefix.length)))) {
    return denyStage(input.arn, input.principalId);
  }
  return answer(input.principalId, prefix, globs, input.context);
}

/** Every request of the stage with a method the function knows. */
const EVERY_METHOD = HTTP_METHODS.map((method) => `${method}/*`);
const EVERY_METHOD_POLICY = groupPolicyOf(EVERY_METHOD, []);

/** For `ANY /x`: the methods declared on `/x` themselves (`"GET /x": []`), whose requests their own declaration decides. */
function declaredMethods(routes: RouteScopes, routeKey: string): string[] {
  const path = routeKey.slice(routeKey.indexOf(' ') + 1);
  return routeKey.startsWith('ANY ') ? HTTP_METHODS.filter((method) => routes.has(`${method} ${path}`)) : [];
}

/** Every glob that denies a route's requests under both readings: each spelling, with its colon variants. */
function spellings(glob: string): string[] {
  const slash = trailingSlashGlob(glob);
  return [glob, ...(slash === undefined ? [] : [slash])].flatMap(colonVariants);
}

/** A Deny of the whole stage: an invalid token (invalid on every route), or a route the table does not know. */
export function denyStage(arn: string, principalId = 'unknown'): PolicyResponse {
  return answer(principalId, arnPrefix(arn), DENY_STAGE, undefined);
}

const DENY_STAGE = groupPolicyOf([], ['*']);

interface GroupPolicy {
  readonly allow: readonly string[];
  readonly deny: readonly string[];
  /** The characters of all its globs, for the size check without serializing the answer. */
  readonly globChars: number;
}

function groupPolicyOf(allow: readonly string[], deny: readonly string[]): GroupPolicy {
  return { allow, deny, globChars: [...allow, ...deny].reduce((sum, glob) => sum + glob.length, 0) };
}

/** The allow and deny globs of one shared group for a set of granted scopes (memoized per scope set). */
export function groupPolicy(table: RouteTable, group: number, granted: readonly string[]): GroupPolicy {
  return memo(table, `${group}\n${scopeSetKey(granted)}`, () => {
    const routes = table.groups.get(group) ?? [];
    const may = new Set(routes.filter((route) => route.scopes.every((scope) => granted.includes(scope))).map((route) => route.routeKey));
    const allow = new Set<string>();
    const deny = new Set<string>();
    for (const route of routes) {
      if (may.has(route.routeKey)) for (const glob of route.allow) allow.add(glob);
      else if (route.reachedBy.some((key) => may.has(key))) for (const glob of route.deny) deny.add(glob);
    }
    return groupPolicyOf([...allow], [...deny]);
  });
}

/**
 * The memo's key of a scope set: the distinct scopes, sorted, as a JSON array. Scopes are RFC 6749
 * scope tokens (the introspection client refuses others), but the key does not depend on it: two
 * different sets never share a key.
 */
function scopeSetKey(granted: readonly string[]): string {
  return JSON.stringify([...new Set(granted)].sort());
}

/** Per table (one per configuration): group and scope set → its globs, at most 256 sets. */
const memos = new WeakMap<object, Map<string, GroupPolicy>>();
const MEMO_ENTRIES = 256;

function memo(owner: object, key: string, compute: () => GroupPolicy): GroupPolicy {
  let cache = memos.get(owner);
  if (cache === undefined) {
    cache = new Map();
    memos.set(owner, cache);
  }
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const computed = compute();
  if (cache.size >= MEMO_ENTRIES) cache.delete(cache.keys().next().value as string);
  cache.set(key, computed);
  return computed;
}

/**
 * One statement per effect, each a list of resources: `prefix` + glob. Allow nothing: a Deny of
 * `prefix*` alone. Throws past {@link MAX_POLICY_BYTES} (a 500, not cached), which the construct's
 * plan rules out.
 */
function answer(principalId: string, prefix: string, globs: GroupPolicy, context: AuthorizerContext | undefined): PolicyResponse {
  const { allow, deny } = globs;
  const statements: PolicyResponse['policyDocument']['Statement'][number][] = [];
  const resources = (list: readonly string[]) => (list.length === 1 ? prefix + list[0] : list.map((glob) => prefix + glob));
  if (allow.length > 0) statements.push({ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: resources(allow) });
  if (deny.length > 0) statements.push({ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: resources(deny) });
  if (statements.length === 0) statements.push({ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: `${prefix}*` });
  // An upper bound of the document's JSON without writing it (resources are printable ASCII, each quoted and comma-separated).
  const bytes = POLICY_FRAME_BYTES + globs.globChars + (allow.length + deny.length) * (prefix.length + 3);
  if (bytes > MAX_POLICY_BYTES) {
    throw new ConfigurationInvalidError(
      `the authorizer's policy would be ${bytes} bytes, over ${MAX_POLICY_BYTES}: the route table's groups are too large for this stage's ARNs`,
    );
  }
  return {
    principalId,
    policyDocument: { Version: '2012-10-17' as const, Statement: statements },
    ...(context === undefined ? {} : { context }),
  };
}

/** `{"Version":"2012-10-17","Statement":[…]}` with two statements' `{"Action":"execute-api:Invoke","Effect":"Allow","Resource":[…]}`, rounded up. */
const POLICY_FRAME_BYTES = 200;

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
