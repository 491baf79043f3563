/**
 * The metrics the decision lines carry (CloudWatch embedded metric format), defined once: the
 * runtime writes them (`emf.ts`), the construct's alarms and dashboard read them. Data only, like
 * `environment.ts`: no side effects, and no imports but another list of the same kind.
 *
 * Every distinct combination of metric name and dimension values is one billed custom metric, so
 * every dimension value below comes from a fixed list: `service` (one value per deployment),
 * `outcome` (3), `reason` (the lists below) and `cache` (3).
 */

import { SENDER_CONSTRAINT_DENY_REASONS } from '../sender-constraints/reasons.js';

type SenderConstraintDenyReason = (typeof SENDER_CONSTRAINT_DENY_REASONS)[number];

/**
 * Deny reasons and what each says about the token. To add one: add it here (the decision code's
 * type requires it), then it has its metric, its dashboard line and, if `invalid_token`, its share
 * of the token-spraying alarm.
 */
export const DENY_REASONS = {
  /** No `Authorization` header (API Gateway answers 401 itself when the identity source is missing). */
  missing: 'invalid_token',
  /** Another scheme than Bearer. */
  not_bearer: 'invalid_token',
  /** Bearer, but not RFC 6750's b64token grammar. */
  malformed: 'invalid_token',
  /** A token longer than `MAX_TOKEN_LENGTH`. */
  too_long: 'invalid_token',
  /** Inactive, unknown, revoked or expired (or remembered as such). */
  inactive: 'invalid_token',
  /** An active token without the route's scopes. */
  insufficient_scope: 'insufficient_scope',
  /** A route the function's route table does not know (a route added without the construct, or a table deployed before it). */
  unknown_route: 'insufficient_scope',
  /** A method outside the seven the function knows (`PURGE`, `PROPFIND` …), which no answer allows. */
  unknown_method: 'insufficient_scope',
  /** Audience and sender-constraint checks (`sender-constraint-reasons.ts`): each an invalid token. */
  ...(Object.fromEntries(SENDER_CONSTRAINT_DENY_REASONS.map((reason) => [reason, 'invalid_token'])) as {
    readonly [reason in SenderConstraintDenyReason]: 'invalid_token';
  }),
} as const;

export type DenyReason = keyof typeof DENY_REASONS;

/**
 * Error codes a decision can end with (500): every `PhantomTokenError` code, and `ERR_INTERNAL`
 * for anything else (`errors.ts`).
 */
export const ERROR_REASONS = [
  'ERR_CONFIGURATION_INVALID',
  'ERR_INTROSPECTION_REQUEST_FAILED',
  'ERR_INTROSPECTION_RESPONSE_INVALID',
  'ERR_CLIENT_CREDENTIALS_REJECTED',
  'ERR_CLIENT_CREDENTIALS_UNAVAILABLE',
  'ERR_EVENT_INVALID',
  'ERR_REPLAY_STORE_UNAVAILABLE',
  'ERR_INTERNAL',
] as const;

/**
 * Every value the `reason` dimension can take: the deny reasons and error codes. A reason not
 * listed here is logged but not a dimension; so is an allow's `ok`, which would only repeat
 * `outcome` `allow` as a metric of its own.
 */
export const METRIC_REASONS: readonly string[] = [...Object.keys(DENY_REASONS), ...ERROR_REASONS];

export const OUTCOMES = ['allow', 'deny', 'error'] as const;

export const CACHE_OUTCOMES = ['hit', 'miss', 'negative'] as const;

/** The `sharedCache` dimension's values: what the shared cache's table gave on a memory miss (decision-log.ts). */
export const SHARED_CACHE_OUTCOMES = ['hit', 'negative', 'revoked', 'miss', 'invalid', 'unavailable', 'joined'] as const;

/** Metric names: the members of the decision line that hold the values. */
export const METRICS = {
  /** Count, 1 on every decision line; by `outcome`, by `reason` and by `cache`. */
  decisions: 'Decisions',
  /** Milliseconds from the invocation's start to the decision; by `service`. */
  totalMs: 'totalMs',
  /** Milliseconds of the introspection request, on lines where the OAuth server was asked; by `service`. */
  introspectionMs: 'introspectionMs',
  sharedCacheMs: 'sharedCacheMs',
  /** Count, 1 on the first decision line of a function instance (Powertools' name for it); by `service`. */
  coldStart: 'ColdStart',
  /** Count, 1 on every line that reports a failed read of the client-credentials secret; by `service`. */
  secretReadFailures: 'SecretReadFailures',
} as const;

/** Dimension names: members of the decision line with string values. `service` is Powertools' name. */
export const DIMENSIONS = {
  service: 'service',
  outcome: 'outcome',
  reason: 'reason',
  cache: 'cache',
  sharedCache: 'sharedCache',
} as const;

/** The error code whose lines count as a failed secret read. */
export const SECRET_READ_FAILURE = 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE';

/**
 * A CloudWatch namespace as PutMetricData takes it: 1 to 255 printable ASCII characters, not
 * starting with `:` (the API's pattern) or `AWS/` (reserved for AWS services).
 */
export const NAMESPACE_PATTERN = /^(?!AWS\/)(?!:)[\x20-\x7E]{1,255}$/;

/** The service name, a dimension value: 1 to 255 printable ASCII characters, not only spaces. */
export const SERVICE_NAME_PATTERN = /^(?=.*[^ ])[\x20-\x7E]{1,255}$/;
