/**
 * The routes of the integration test's APIs, shared by the stack that creates them and the probe
 * that requests them. Every route but the big ones exists on both APIs.
 */
export interface IntegRoute {
  readonly path: string;
  readonly scopes: readonly string[];
}

export const ROUTES = {
  /** Lambda integration (the echo function). */
  scopeA: { path: '/scope-a', scopes: ['a'] },
  scopeB: { path: '/scope-b', scopes: ['b'] },
  /** A path variable that may hold `:`, and a route below it that needs more. */
  colon: { path: '/colon/{id}', scopes: ['read'] },
  colonSecret: { path: '/colon/{id}/secret', scopes: ['admin'] },
  /** An `ANY` route. */
  any: { path: '/any', scopes: ['read'] },
  x: { path: '/x', scopes: ['read'] },
  admin: { path: '/admin', scopes: ['admin'] },
  /** HTTP integration to the echo function's URL (`/http/jwt` from the HTTP API, `/rest/jwt` from the REST API). */
  jwt: { path: '/jwt', scopes: ['read'] },
} as const satisfies Record<string, IntegRoute>;

/** The function URL paths the HTTP integrations of `ROUTES.jwt` call. */
export const ECHO_URL_PATHS = { http: '/http/jwt', rest: '/rest/jwt' } as const;

/**
 * How many big routes the HTTP API has: `GET /zz-big/r<i>`, each needing its own scope `big<i>`.
 * The plan fills its groups in route-key order, so these come after every other route (`zz`)
 * and fill group 0 up to the construct's budget, the rest spilling into group 1: a token holding
 * every scope gets, on a route of group 0, the largest answer the construct can give
 * (test/integ/stand-in.test.ts measures it).
 */
export const BIG_ROUTE_COUNT = 40;

export function bigRoutes(): IntegRoute[] {
  return Array.from({ length: BIG_ROUTE_COUNT }, (_, i) => ({ path: `/zz-big/r${i}`, scopes: [`big${i}`] }));
}

/** The REST API's stage. */
export const REST_STAGE = 'integ';

/** The audience of every token the stand-in mints and the construct requires. */
export const INTEG_AUDIENCE = 'https://integ.cdk-phantom-token.example';

/** Every scope any route of the APIs requires. */
export function allScopes(): string[] {
  return [...new Set([...Object.values(ROUTES), ...bigRoutes()].flatMap((route) => route.scopes))];
}

/** The `iss` of the Security Event Tokens the stand-in signs, and the issuer the revocation receiver requires. */
export const INTEG_SET_ISSUER = 'https://stand-in.integ.cdk-phantom-token.example';

/** The `aud` of those Security Event Tokens: the name the receiver is known by. */
export const INTEG_REVOCATION_AUDIENCE = 'https://integ.cdk-phantom-token.example/revocation';

/**
 * The HTTP API's decision cache, seconds (`setHttpApiResultsCacheTtl`), instead of the construct's
 * 60: an HTTP API has no flush, so a revoked token passes there until its cached answer expires,
 * and the check that measures it waits for that (probe timeout 100 s). The REST API keeps 60 s.
 */
export const INTEG_HTTP_RESULTS_CACHE_TTL_SECONDS = 10;
