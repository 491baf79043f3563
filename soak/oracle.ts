import {
  type ApiType,
  type CacheWindows,
  type FaultWindow,
  type IntrospectionRecord,
  type InvocationRecord,
  isFailure,
  type RequestRecord,
  type RevocationMark,
  ROUTE_SCOPES,
  type RouteKey,
  type TokenRecord,
} from './records.js';

/**
 * The soak's oracle: from what was recorded (each token's life, each request, each authorizer
 * invocation, each introspection at the fault proxy, the fault windows) and the documented cache
 * rules (README, "Caching trade-offs"), it says for every answer whether the rules permit it.
 *
 * The windows are exact, not tuned slack: every bound is an event this process observed after the
 * thing it bounds happened, on the clock the authorizer itself reads.
 *
 * - A token may be active at t when t < its `exp` and no revocation had been answered by t; it is
 *   surely active when, besides, no revocation had been sent by t.
 * - An **invocation may allow** a token on a route when the token has the route's scopes, the
 *   invocation started before `exp` (the function never serves a JWT past it), and either the
 *   token may have been active when the invocation started, or an earlier active introspection
 *   answer could still be in the function's cache: that entry was stored before the invocation in
 *   flight when the proxy answered had ended (`stored`), and lives min(`cacheMaxTtl`, exp − stored).
 * - A **request may be allowed** when an invocation for its token whose answer allows the request's
 *   route, and that may allow the token on that route, was the request's own; or when API Gateway
 *   could still hold that answer for this request: stored before the triggering request's response
 *   arrived, kept `resultsCacheTtl`, under the same cache key (the token, and the route unless the
 *   entry serves every route: `acrossRoutes`).
 * - A **deny is wrong** when the token has the route's scopes and was surely active until the
 *   response arrived: no cache may turn an active token into a deny (a negative entry is written
 *   only from an inactive answer, and tokens never come back to life).
 * - A **500 is permitted** only when the request's time overlaps a failure window (errors are
 *   never cached, so a fault cannot outlive the requests that met it).
 * - A request with no answer is **lost**.
 *
 * Two APIs, two decision caches: an answer cached by the HTTP API never serves a REST request, nor
 * the other way round. A deny is 403 on the HTTP API, 401 or 403 on REST (its authorizer answers an
 * inactive token `Unauthorized`). On REST, a flush of the stage's authorizer cache at `f` ends every
 * entry stored before it: an answer whose triggering response arrived by `f` serves no request sent
 * after `f`.
 *
 * With push revocation (`windows.memoryTtlSeconds` set), once the receiver's mark of a token reached
 * the table at `M` (observed as the table's answer to the receiver's PutItem), an instance honours it
 * at its next table read: after the later of `M` and the revocation's answer (`pivot`), an active
 * answer is served only from an instance's memory, stored by an invocation of the token that had
 * started before `pivot`, for at most the memory bound. So an invocation may allow the revoked
 * token only when, besides the rule above, it started before the last end of those invocations
 * (or `pivot`) plus `memoryTtlSeconds`. Without a mark (the push failed) the caches' windows apply alone.
 */
export interface OracleInput {
  readonly tokens: readonly TokenRecord[];
  readonly requests: readonly RequestRecord[];
  readonly invocations: readonly InvocationRecord[];
  readonly introspections: readonly IntrospectionRecord[];
  readonly faults: readonly FaultWindow[];
  readonly windows: CacheWindows;
  /** Revocation marks written by the receiver (push revocation). */
  readonly marks?: readonly RevocationMark[];
  /** When the REST stage's authorizer cache was flushed, ms. */
  readonly flushes?: readonly number[];
}

export type VerdictKind =
  | 'wrong-allow'
  | 'wrong-deny'
  | 'wrong-deny-in-failure-window'
  | 'error-outside-failure-window'
  | 'lost'
  | 'unexpected';

export interface Verdict {
  readonly requestId: number;
  readonly label: string;
  readonly route: RouteKey;
  readonly kind: VerdictKind;
  readonly status: number | undefined;
  readonly sentMs: number;
  /** The client's error, for a lost request. */
  readonly error?: string;
}

export interface OracleResult {
  readonly requests: number;
  readonly answered: number;
  readonly allows: number;
  readonly denies: number;
  readonly errors: number;
  readonly wrongAllows: number;
  readonly wrongDenies: number;
  readonly wrongDeniesInFailureWindows: number;
  readonly errorsInFailureWindows: number;
  readonly errorsOutsideFailureWindows: number;
  readonly lost: number;
  /** Any other status than the kind of token allows (a 401 for a token, a 404 …). */
  readonly unexpected: number;
  /** Invocations whose allow no rule permits (before API Gateway's cache): each would be a wrong allow upstream of it. */
  readonly wrongInvocationAllows: number;
  /** Every request the oracle did not accept, for the report. */
  readonly verdicts: readonly Verdict[];
}

export function judge(input: OracleInput): OracleResult {
  const { windows } = input;
  const resultsTtlMs = windows.resultsCacheTtlSeconds * 1000;
  const functionTtlMs = windows.cacheMaxTtlSeconds * 1000;
  const tokens = new Map(input.tokens.map((token) => [token.label, token]));
  const requests = new Map(input.requests.map((request) => [request.id, request]));
  const failures = input.faults.filter((fault) => isFailure(fault.kind));

  const invocationsOf = new Map<string, InvocationRecord[]>(); // by token label
  for (const invocation of input.invocations) {
    const request = requests.get(invocation.requestId);
    if (request === undefined) continue;
    push(invocationsOf, request.label, invocation);
  }
  const activeAnswersOf = new Map<string, IntrospectionRecord[]>(); // by token hash
  for (const answer of input.introspections) if (answer.result === 'active') push(activeAnswersOf, answer.tokenHash, answer);
  const markOf = new Map<string, number>(); // by token hash: the first mark
  for (const mark of input.marks ?? []) markOf.set(mark.tokenHash, Math.min(mark.markedMs, markOf.get(mark.tokenHash) ?? Infinity));
  const flushes = input.flushes ?? [];
  const memoryMs = windows.memoryTtlSeconds === undefined ? undefined : windows.memoryTtlSeconds * 1000;

  /** With push revocation: the first moment no instance may allow the token any more (Infinity without a mark). */
  function pushBound(token: TokenRecord): number {
    const mark = token.hash === undefined ? undefined : markOf.get(token.hash);
    if (memoryMs === undefined || mark === undefined) return Number.POSITIVE_INFINITY;
    const pivot = Math.max(mark, token.revokeEndMs ?? Number.POSITIVE_INFINITY);
    let lastStore = pivot;
    for (const invocation of invocationsOf.get(token.label) ?? []) {
      if (invocation.startMs < pivot) lastStore = Math.max(lastStore, invocation.endMs);
    }
    return lastStore + memoryMs;
  }
  const pushBounds = new Map<TokenRecord, number>();
  const pushBoundOf = (token: TokenRecord) => {
    const known = pushBounds.get(token);
    if (known !== undefined) return known;
    const bound = pushBound(token);
    pushBounds.set(token, bound);
    return bound;
  };

  /** Latest moment the function's cache entry from this answer can expire. */
  function entryExpiry(token: TokenRecord, answer: IntrospectionRecord): number {
    const answeredMs = answer.answeredMs ?? Number.POSITIVE_INFINITY;
    let stored = Number.NEGATIVE_INFINITY;
    for (const invocation of invocationsOf.get(token.label) ?? []) {
      if (invocation.startMs <= answer.receivedMs && invocation.endMs >= answeredMs) stored = Math.max(stored, invocation.endMs);
    }
    // No invocation of this token was in flight: the answer reached no cache we know of; stay sound.
    if (stored === Number.NEGATIVE_INFINITY) stored = Number.POSITIVE_INFINITY;
    return Math.min(stored + functionTtlMs, token.expMs ?? Number.NEGATIVE_INFINITY);
  }

  const permittedCache = new Map<InvocationRecord, Map<RouteKey, boolean>>();
  function invocationMayAllow(invocation: InvocationRecord, token: TokenRecord, route: RouteKey): boolean {
    const byRoute = permittedCache.get(invocation) ?? new Map<RouteKey, boolean>();
    permittedCache.set(invocation, byRoute);
    const known = byRoute.get(route);
    if (known !== undefined) return known;
    let permitted = false;
    if (hasScopes(token, route) && token.expMs !== undefined && invocation.startMs < token.expMs) {
      if (invocation.startMs < (token.revokeEndMs ?? Number.POSITIVE_INFINITY)) permitted = true;
      else if (token.hash !== undefined && invocation.startMs < pushBoundOf(token)) {
        permitted = (activeAnswersOf.get(token.hash) ?? []).some(
          (answer) =>
            (answer.answeredMs ?? Number.POSITIVE_INFINITY) <= invocation.endMs && invocation.startMs < entryExpiry(token, answer),
        );
      }
    }
    byRoute.set(route, permitted);
    return permitted;
  }

  /** The routes an invocation's answer allows (its own, when only the outcome was recorded). */
  function allowedRoutes(invocation: InvocationRecord): readonly RouteKey[] {
    if (invocation.allowedRoutes !== undefined) return invocation.allowedRoutes;
    const own = requests.get(invocation.requestId)?.route;
    return invocation.outcome === 'allow' && own !== undefined ? [own] : [];
  }

  /** Whether the REST stage's cache was flushed at or after `fromMs` and before `beforeMs`. */
  const flushedBetween = (fromMs: number, beforeMs: number) => flushes.some((at) => at >= fromMs && at < beforeMs);

  function requestMayBeAllowed(request: RequestRecord, token: TokenRecord): boolean {
    const received = request.receivedMs ?? Number.POSITIVE_INFINITY;
    const api = apiOf(request);
    const acrossRoutes = api === 'rest' ? (windows.restAcrossRoutes ?? windows.acrossRoutes) : windows.acrossRoutes;
    for (const invocation of invocationsOf.get(token.label) ?? []) {
      if (invocation.startMs > received || !allowedRoutes(invocation).includes(request.route)) continue;
      const trigger = requests.get(invocation.requestId);
      if (trigger === undefined || apiOf(trigger) !== api || (trigger.route !== request.route && acrossRoutes !== true)) continue;
      if (!invocationMayAllow(invocation, token, request.route)) continue;
      if (invocation.requestId === request.id) return true;
      const stored = trigger.receivedMs ?? Number.POSITIVE_INFINITY;
      if (resultsTtlMs > 0 && request.sentMs < stored + resultsTtlMs && !(api === 'rest' && flushedBetween(stored, request.sentMs)))
        return true;
    }
    return false;
  }

  const inFailureWindow = (request: RequestRecord) =>
    failures.some((fault) => request.sentMs <= fault.endMs && (request.receivedMs ?? Number.POSITIVE_INFINITY) >= fault.startMs);

  const verdicts: Verdict[] = [];
  const counts = { allows: 0, denies: 0, errors: 0, answered: 0, errorsInFailureWindows: 0 };
  const flag = (request: RequestRecord, kind: VerdictKind) =>
    verdicts.push({
      requestId: request.id,
      label: request.label,
      route: request.route,
      kind,
      status: request.status,
      sentMs: request.sentMs,
    });

  for (const request of input.requests) {
    const token = tokens.get(request.label);
    if (token === undefined) throw new Error(`request ${request.id} names an unknown token ${request.label}`);
    const status = request.status;
    if (status === undefined) {
      flag(request, 'lost');
      continue;
    }
    counts.answered += 1;
    const deny = isDeny(request);
    if (status === 200) counts.allows += 1;
    if (deny) counts.denies += 1;
    if (token.kind === 'missing') {
      if (status === 200) flag(request, 'wrong-allow');
      else if (status !== 401) flag(request, 'unexpected');
      continue;
    }
    if (status === 200) {
      if (!requestMayBeAllowed(request, token)) flag(request, 'wrong-allow');
    } else if (deny) {
      if (surelyActive(token, request.receivedMs as number) && hasScopes(token, request.route)) {
        flag(request, inFailureWindow(request) ? 'wrong-deny-in-failure-window' : 'wrong-deny');
      }
    } else if (status === 500) {
      counts.errors += 1;
      if (inFailureWindow(request)) counts.errorsInFailureWindows += 1;
      else flag(request, 'error-outside-failure-window');
    } else {
      flag(request, 'unexpected');
    }
  }

  let wrongInvocationAllows = 0;
  for (const [label, invocations] of invocationsOf) {
    const token = tokens.get(label) as TokenRecord;
    for (const invocation of invocations) {
      if (allowedRoutes(invocation).some((route) => !invocationMayAllow(invocation, token, route))) wrongInvocationAllows += 1;
    }
  }

  const count = (kind: VerdictKind) => verdicts.filter((verdict) => verdict.kind === kind).length;
  return {
    requests: input.requests.length,
    answered: counts.answered,
    allows: counts.allows,
    denies: counts.denies,
    errors: counts.errors,
    wrongAllows: count('wrong-allow'),
    wrongDenies: count('wrong-deny'),
    wrongDeniesInFailureWindows: count('wrong-deny-in-failure-window'),
    errorsInFailureWindows: counts.errorsInFailureWindows,
    errorsOutsideFailureWindows: count('error-outside-failure-window'),
    lost: count('lost'),
    unexpected: count('unexpected'),
    wrongInvocationAllows,
    verdicts,
  };
}

export function apiOf(request: RequestRecord): ApiType {
  return request.api ?? 'http';
}

/** A deny: 403 from the HTTP API; 401 (the authorizer's `Unauthorized`) or 403 (a policy's deny) from REST. */
export function isDeny(request: RequestRecord): boolean {
  return request.status === 403 || (request.status === 401 && apiOf(request) === 'rest');
}

function hasScopes(token: TokenRecord, route: RouteKey): boolean {
  return ROUTE_SCOPES[route].every((scope) => token.scopes.includes(scope));
}

/** Active at every moment up to `t`: before `exp`, and no revocation sent yet. Junk never is. */
function surelyActive(token: TokenRecord, t: number): boolean {
  if (token.kind !== 'valid' && token.kind !== 'revoked' && token.kind !== 'expiring') return false;
  return token.expMs !== undefined && t < token.expMs && t < (token.revokeStartMs ?? Number.POSITIVE_INFINITY);
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
