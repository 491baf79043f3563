/**
 * The authorizer's environment contract: variable names, defaults and limits, defined once.
 * The CDK construct imports these instead of retyping them; users deploying without CDK set the
 * same names. This module is data only: no imports, no side effects.
 */
export const ENV = {
  /** Required. The RFC 7662 endpoint; https (plain http only for 127.0.0.1 or localhost). */
  introspectionEndpoint: 'INTROSPECTION_ENDPOINT',
  /**
   * Required. ARN (complete or partial) or name of the Secrets Manager secret
   * `{"client_id","client_secret"}`; a name is 1 to 512 of `A–Z a–z 0–9 /_+=.@-`, anything else fails
   * the configuration. Never printed: messages name the variable instead.
   */
  clientCredentialsSecret: 'CLIENT_CREDENTIALS_SECRET',
  /** `application/jwt` (default) or `application/token-introspection+jwt` (RFC 9701). */
  introspectionResponseType: 'INTROSPECTION_RESPONSE_TYPE',
  /** The OAuth server's JWKS; required for RFC 9701. */
  jwksUri: 'JWKS_URI',
  /** Expected `iss` of RFC 9701 responses; unchecked when unset. */
  issuer: 'ISSUER',
  /**
   * JSON: route key → the scopes it requires (all of them), for functions deployed without the
   * construct; a route not listed requires none. Not read when `ROUTE_TABLE_FILE` is set.
   */
  routeScopes: 'ROUTE_SCOPES',
  /**
   * Path of the route table (lambda/routes/route-table.ts) the construct ships with the function
   * (a layer's file under /opt): every route behind its authorizers, with scopes and the answer
   * plan. When set, routes not in it are denied and every answer is an IAM policy.
   */
  routeTableFile: 'ROUTE_TABLE_FILE',
  /** Read by versions before the route table; now refused, so an old configuration fails loudly (CHANGELOG). */
  routePolicy: 'ROUTE_POLICY',
  /** Realm of `WWW-Authenticate` challenges (default `api`). */
  realm: 'REALM',
  /** Longest life of a cached introspection result, seconds (default 300). */
  cacheMaxTtlSeconds: 'CACHE_MAX_TTL_SECONDS',
  /** Most cached results per function instance (default 10000). */
  cacheMaxEntries: 'CACHE_MAX_ENTRIES',
  /** Life of a cached "inactive", seconds; 0 disables (default 10). */
  negativeCacheTtlSeconds: 'NEGATIVE_CACHE_TTL_SECONDS',
  /**
   * Deadline of each request to a peer (introspection, JWKS, Secrets Manager), milliseconds
   * (default 3000); a whole decision gets twice this plus `DECISION_BUDGET_EXTRA_MS`.
   */
  introspectionTimeoutMs: 'INTROSPECTION_TIMEOUT_MS',
  /** How often the client-credentials secret is re-read (in the background), seconds (default 300). */
  secretRefreshSeconds: 'SECRET_REFRESH_SECONDS',
  /** CloudWatch namespace of the metrics in the decision lines (default `PhantomToken`); Powertools' variable. */
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  /** The `service` dimension of those metrics (default `phantom-token`); Powertools' variable. */
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  /** The audience every token must hold in `aud` (RFC 9068 §4); unchecked when unset. */
  audience: 'AUDIENCE',
  /**
   * JSON: API id → the audience its tokens must hold, overriding `AUDIENCE` for that API. With
   * `AUDIENCE` unset, a request of an API not in the map is denied (`wrong_audience`).
   */
  apiAudiences: 'API_AUDIENCES',
  /**
   * `true` when API Gateway does not cache this function's decisions (result TTL 0), so every
   * request is checked: only then are DPoP- and certificate-bound tokens allowed (default `false`).
   */
  senderConstrainedTokens: 'SENDER_CONSTRAINED_TOKENS',
  /** Space-separated JWS algorithms a DPoP proof may be signed with (default {@link DPOP_ALGORITHMS}). */
  dpopAlgorithms: 'DPOP_ALGORITHMS',
  /** How far a DPoP proof's `iat` may be from now, either way, seconds (default 60). */
  dpopProofMaxAgeSeconds: 'DPOP_PROOF_MAX_AGE_SECONDS',
  /** JSON: `requestContext.domainName` → the public base URL a DPoP `htu` starts with there (custom domains). */
  dpopPublicBaseUrls: 'DPOP_PUBLIC_BASE_URLS',
  /** A DynamoDB table (name or ARN) shared by every instance to remember DPoP proof ids; per instance when unset. */
  dpopReplayTable: 'DPOP_REPLAY_TABLE',
  /**
   * A DynamoDB table (name or ARN) every instance shares introspection results through (memory →
   * table → OAuth server; lambda/shared-cache/); off when unset. Also where revocations are marked.
   */
  sharedCacheTable: 'SHARED_CACHE_TABLE',
  /** Deadline of each shared-cache read or write, milliseconds (default 150); a late table costs an introspection. */
  sharedCacheTimeoutMs: 'SHARED_CACHE_TIMEOUT_MS',
  /**
   * With a shared cache, the longest an instance serves a result from its memory before reading the
   * table again, seconds (default 5): the bound within which a revocation marked in the table reaches it.
   */
  sharedCacheMemoryTtlSeconds: 'SHARED_CACHE_MEMORY_TTL_SECONDS',
} as const;

/**
 * The revocation receiver's environment (lambda/revocation/): RFC 8935 push delivery of RFC 8417
 * Security Event Tokens, each naming a revoked access token, marked in `SHARED_CACHE_TABLE`.
 */
export const REVOCATION_ENV = {
  /** Required. The `iss` every SET must carry. */
  issuer: 'REVOCATION_ISSUER',
  /** Required. The JWKS (https; plain http only for 127.0.0.1 or localhost) the SETs are signed with. */
  jwksUri: 'REVOCATION_JWKS_URI',
  /** Required. The `aud` every SET must hold. */
  audience: 'REVOCATION_AUDIENCE',
  /** Required. The shared cache's table (name or ARN): `ENV.sharedCacheTable`'s value. */
  table: 'SHARED_CACHE_TABLE',
  /** JSON `[{"restApiId","stage"}]`: REST stages whose authorizer cache is flushed on each revocation (default none). */
  flushStages: 'REVOCATION_FLUSH_STAGES',
  /**
   * Seconds after the first flush to flush again (default: the authorizers' memory bound + 1), so an
   * answer made from an instance's memory just before the mark reached the table is not cached anew.
   */
  flushRepeatSeconds: 'REVOCATION_FLUSH_REPEAT_SECONDS',
  /** Deadline of each call to the table, the JWKS and API Gateway, milliseconds (default 3000). */
  timeoutMs: 'REVOCATION_TIMEOUT_MS',
} as const;

/** Asymmetric JWS algorithms a DPoP proof may use (RFC 9449 §4.3: never `none`, never a MAC). */
export const DPOP_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
  'EdDSA',
  'Ed25519',
] as const;

/** `application/jwt`: the Curity Identity Server's phantom-token response (the JWT is the body). */
export const RESPONSE_TYPE_JWT = 'application/jwt';
/** RFC 9701: a signed JWT whose `token_introspection` claim holds the RFC 7662 response. */
export const RESPONSE_TYPE_INTROSPECTION_JWT = 'application/token-introspection+jwt';
export const RESPONSE_TYPES = [RESPONSE_TYPE_JWT, RESPONSE_TYPE_INTROSPECTION_JWT] as const;
export type IntrospectionResponseType = (typeof RESPONSE_TYPES)[number];

/** The defaults of the optional variables of {@link ENV}. */
export const DEFAULTS = {
  /** The Curity phantom-token response. */
  introspectionResponseType: RESPONSE_TYPE_JWT as IntrospectionResponseType,
  /** Realm of `WWW-Authenticate` challenges. */
  realm: 'api',
  /** Seconds. An entry never outlives the server's max-age or the JWT's exp either. */
  cacheMaxTtlSeconds: 300,
  /** Entries per function instance; about 1.1 KiB each with an 800-byte JWT. */
  cacheMaxEntries: 10_000,
  /** Seconds. Short: an inactive answer is final for a real token, but a flood of one junk token costs one call. */
  negativeCacheTtlSeconds: 10,
  /** Milliseconds. */
  introspectionTimeoutMs: 3_000,
  /** Seconds. */
  secretRefreshSeconds: 300,
  /** The CloudWatch namespace of the decision lines' metrics. */
  metricsNamespace: 'PhantomToken',
  /** The `service` dimension of every metric. */
  serviceName: 'phantom-token',
  /** Seconds either side of now; a proof id is remembered this long past its `iat`. */
  dpopProofMaxAgeSeconds: 60,
  /** Milliseconds: DynamoDB answers a GetItem in single-digit ms in-region; a slower table is skipped. */
  sharedCacheTimeoutMs: 150,
  /** Seconds: the revocation bound of an instance's memory when a shared cache is on. */
  sharedCacheMemoryTtlSeconds: 5,
  /** Seconds (`REVOCATION_FLUSH_REPEAT_SECONDS`): `sharedCacheMemoryTtlSeconds` + 1. */
  revocationFlushRepeatSeconds: 6,
  /** Milliseconds (`REVOCATION_TIMEOUT_MS`). */
  revocationTimeoutMs: 3_000,
} as const;

/** Inclusive ranges the runtime and the construct both enforce. */
export const LIMITS = {
  cacheMaxTtlSeconds: { min: 0, max: 3_600 },
  cacheMaxEntries: { min: 1, max: 1_000_000 },
  negativeCacheTtlSeconds: { min: 0, max: 3_600 },
  introspectionTimeoutMs: { min: 100, max: 9_000 },
  secretRefreshSeconds: { min: 0, max: 86_400 },
  dpopProofMaxAgeSeconds: { min: 1, max: 300 },
  sharedCacheTimeoutMs: { min: 10, max: 3_000 },
  sharedCacheMemoryTtlSeconds: { min: 0, max: 300 },
} as const;

/** Inclusive ranges of the revocation receiver's numeric variables (`REVOCATION_ENV`), enforced by it and the construct. */
export const REVOCATION_LIMITS = {
  /** Up to the authorizers' largest memory bound (`SHARED_CACHE_MEMORY_TTL_SECONDS` ≤ 300) + 1. */
  flushRepeatSeconds: { min: 0, max: 301 },
  timeoutMs: { min: 100, max: 9_000 },
} as const;

/** REST stages the receiver flushes at most: each is a call to API Gateway, twice per revocation. */
export const MAX_FLUSH_STAGES = 20;

/** DPoP proof ids one instance remembers (least recent go first); about 100 bytes each. */
export const DPOP_REPLAY_CACHE_MAX_ENTRIES = 100_000;

/** The longest DPoP proof accepted, in characters: a proof with an RSA-4096 key is about 1.6 KB. */
export const MAX_DPOP_PROOF_LENGTH = 8_192;

/** The longest access token accepted, in characters (all b64token characters are one byte). */
export const MAX_TOKEN_LENGTH = 4_096;

/** The largest introspection or JWKS response body read, in bytes; a larger one is an error. */
export const MAX_RESPONSE_BYTES = 64 * 1_024;

/**
 * Every decision is made within 2 × `INTROSPECTION_TIMEOUT_MS` + this many milliseconds of the
 * invocation's start (secret read, both introspection requests, the JWKS fetch, all together):
 * 500 ms inside the function timeout the construct sets (2 × `INTROSPECTION_TIMEOUT_MS` + 1 s,
 * rounded up to whole seconds), so the decision line is written before Lambda could stop the function.
 */
export const DECISION_BUDGET_EXTRA_MS = 500;

/**
 * Seconds of clock difference allowed for a token's `nbf`: a token whose `nbf` is later than now
 * plus this is not yet valid (denied, not cached).
 */
export const NOT_BEFORE_SKEW_SECONDS = 60;

/**
 * The largest policy document the function returns, in bytes of JSON. API Gateway documents no
 * limit for authorizer answers; authorizer policies that grew past IAM's policy size have been
 * reported to fail every request. The construct plans the table so that no token's policy exceeds
 * {@link POLICY_BUDGET_BYTES} at its prefix bound (lib/route-table-plan.ts; the answers: lambda/routes/policy-answer.ts); this is the function's
 * own last check. The context (the JWT, as the identity server made it) comes on top.
 */
export const MAX_POLICY_BYTES = 8_192;

/** The most a policy document may take in the construct's plan, counting each resource's ARN prefix at its bound. */
export const POLICY_BUDGET_BYTES = 7_680;

/** RFC 6749 §3.3 scope-token: one or more of %x21 / %x23-5B / %x5D-7E. */
export const SCOPE_TOKEN_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** An API Gateway route key: `$default`, or `METHOD /path` (HTTP API and REST alike). */
export const ROUTE_KEY_PATTERN = /^(\$default|(ANY|GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) \/\S*)$/;

/** The default header that carries the JWT to HTTP API HTTP and private integrations. */
export const DEFAULT_JWT_HEADER_NAME = 'x-phantom-jwt';

/** Names of the authorizer context keys the integrations read. */
export const CONTEXT_KEYS = {
  /** The JWT exactly as the OAuth server returned it. */
  jwt: 'jwt',
  /** `Bearer <JWT>`: the whole header value for REST integrations, which cannot concatenate. */
  authorization: 'authorization',
} as const;

/**
 * Secrets Manager's rules for a secret name: 1 to 512 ASCII letters, digits and `/_+=.@-`
 * (CreateSecret's `Name`). An ARN's resource part is the name, with or without the 6-character
 * suffix Secrets Manager appends (`-AbCdEf`); GetSecretValue takes a complete or a partial ARN.
 * The function checks `CLIENT_CREDENTIALS_SECRET` against them, the construct its secret props.
 */
export const SECRET_NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
export const SECRET_ARN_PATTERN = /^arn:aws(?:-[a-z]+)*:secretsmanager:[a-z]+(?:-[a-z]+)*-\d+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,519}$/;
