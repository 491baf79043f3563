/**
 * What a soak run records, all in milliseconds since the epoch (`Date.now()`, the clock the
 * authorizer checks `exp` against, shared by every process on the machine). The oracle reads
 * nothing else. No record holds a token: a token is named by its population label and, where the
 * fault proxy saw it, by its SHA-256.
 */

export type TokenKind = 'valid' | 'revoked' | 'expiring' | 'junk' | 'malformed' | 'missing';

export interface TokenRecord {
  /** A label such as `valid-rw-3` or `junk-17`; never the token. */
  readonly label: string;
  readonly kind: TokenKind;
  /** SHA-256 of the token, base64url (what the fault proxy records); undefined for `missing`. */
  readonly hash: string | undefined;
  /** Scopes the OAuth server granted; empty for junk, malformed and missing. */
  readonly scopes: readonly string[];
  /** `exp` × 1000 as the OAuth server reported it; undefined for what is no token. */
  readonly expMs: number | undefined;
  /** When the revocation request was sent (from then on the token may be inactive). */
  revokeStartMs?: number;
  /** When its answer arrived (from then on the token is inactive); Infinity when the answer never came. */
  revokeEndMs?: number;
}

export type RouteKey = 'GET /echo' | 'POST /echo';

/** Which local gateway a request went to: the HTTP API or the REST API (each has its own decision cache). */
export type ApiType = 'http' | 'rest';

/** One request of the load, as the client saw it. */
export interface RequestRecord {
  readonly id: number;
  readonly label: string;
  readonly route: RouteKey;
  /** @default 'http' */
  readonly api?: ApiType;
  /** Sent by the revocation probe (soak.ts) rather than the load's mix. */
  readonly probe?: boolean;
  readonly sentMs: number;
  /** Why it was sent: steady load or a burst. */
  readonly burst: boolean;
  receivedMs?: number;
  status?: number;
  /** Latency measured on the monotonic clock, ms. */
  latencyMs?: number;
  /** Set when no answer came: the client's error or its deadline. */
  error?: string;
}

/** One authorizer invocation by the gateway, as the instance pool saw it. */
export interface InvocationRecord {
  /** The request that triggered it (its `x-soak-id` header). */
  readonly requestId: number;
  /** The instance it ran on; -1 when none (throttled, or the gateway stopped waiting for one). */
  instance: number;
  readonly startMs: number;
  endMs: number;
  outcome: 'allow' | 'deny' | 'error' | 'pending';
  /**
   * The routes the answer allows, as API Gateway evaluates it for each (a simple response: its
   * own route or none; a policy answer: every route whose request ARN it allows). Unset: its own
   * route when `outcome` is `allow`.
   */
  allowedRoutes?: readonly RouteKey[];
}

/** One introspection request at the fault proxy in front of the OAuth server. */
export interface IntrospectionRecord {
  /** SHA-256 of the token in the body, base64url. */
  readonly tokenHash: string;
  readonly receivedMs: number;
  /** When the answer was written; undefined when none was (stalled, refused, connection lost). */
  answeredMs?: number;
  /** `active` (200 with a JWT), `inactive` (204), `rejected` (invalid_client), or `fault` (whatever the schedule did). */
  result: 'active' | 'inactive' | 'rejected' | 'fault' | 'pending';
}

export type FaultKind = 'slow' | 'status-5xx' | 'stall' | 'refused' | 'restart';

/** A time during which the identity server misbehaved; every kind but `slow` is a failure window. */
export interface FaultWindow {
  readonly kind: FaultKind;
  readonly startMs: number;
  readonly endMs: number;
}

/** A stretch of the run with a name, for the per-phase latency table. */
export interface Phase {
  readonly name: string;
  readonly startMs: number;
  readonly endMs: number;
}

/** The documented cache windows the run was configured with (README, "Caching trade-offs"). */
export interface CacheWindows {
  readonly resultsCacheTtlSeconds: number;
  /**
   * Whether API Gateway's cache entry serves every route (the identity sources are the token
   * alone: policy answers, README "One answer per token, not per route") rather than one route.
   */
  readonly acrossRoutes?: boolean;
  readonly cacheMaxTtlSeconds: number;
  readonly negativeCacheTtlSeconds: number;
  /** `acrossRoutes` of the REST API's decision cache (its identity sources). @default - `acrossRoutes` */
  readonly restAcrossRoutes?: boolean;
  /**
   * With the shared cache and push revocation: how long an instance serves an answer from memory
   * (`SHARED_CACHE_MEMORY_TTL_SECONDS`), the bound within which a revocation marked in the table
   * reaches it. Unset: no push; a revoked token's windows are the caches' TTLs alone.
   */
  readonly memoryTtlSeconds?: number;
}

/** When the revocation receiver's mark of a token reached the table (the table's answer to its PutItem). */
export interface RevocationMark {
  /** SHA-256 of the token, base64url. */
  readonly tokenHash: string;
  readonly markedMs: number;
}

/** The scopes each route needs (the sample app's `ROUTE_SCOPES`). */
export const ROUTE_SCOPES: Readonly<Record<RouteKey, readonly string[]>> = {
  'GET /echo': ['read'],
  'POST /echo': ['write'],
};

export function isFailure(kind: FaultKind): boolean {
  return kind !== 'slow';
}
