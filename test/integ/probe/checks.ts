import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, type JWTHeaderParameters, SignJWT } from 'jose';
import { allScopes, BIG_ROUTE_COUNT, bigRoutes, ECHO_URL_PATHS, INTEG_HTTP_RESULTS_CACHE_TTL_SECONDS, ROUTES } from '../routes.js';
import type { RawRequest, RawResponse } from './raw-request.js';

/**
 * The assumptions of the design that only AWS can confirm, each a check the probe function runs
 * with real requests against the deployed APIs. A check answers a {@link Verdict}; the integ
 * app asserts `result === 'PASS'` under the check's name (test/integ/integ.phantom-token.ts), and
 * docs/verified-on-aws.md says what the design does if it fails.
 *
 * Where AWS's answer is not documented, a check asserts only that the request fails closed (it
 * never reaches a backend: a 4xx or a 5xx from API Gateway) and records the status it saw.
 */
export interface Verdict {
  /** `PASS`, or `FAIL: ` and what was wrong. */
  readonly result: string;
  /** What the requests answered, briefly (CloudFormation keeps at most 4 KB of a custom resource's answer). */
  readonly observed: string;
}

export type Api = 'http' | 'rest';

export interface ProbeContext {
  /** The API's URL: the HTTP API's default endpoint, the REST API's stage URL. */
  readonly apis: Readonly<Record<Api, string>>;
  /** A fresh opaque token from the OAuth stand-in holding exactly these scopes. */
  token(scopes: readonly string[]): Promise<string>;
  request(api: Api, request: RawRequest): Promise<RawResponse>;
  /**
   * How many decision lines the authorizer wrote for this token: waits until there is at least
   * one (logs arrive late), then a little longer for any further one.
   */
  decisions(token: string): Promise<number>;
  /** The authorizer's decision lines for this token, as JSON objects: waits until there are `atLeast` (default 1), then as `decisions` does. */
  decisionLines(token: string, atLeast?: number): Promise<Record<string, unknown>[]>;
  /** A Security Event Token from the OAuth stand-in naming this token revoked, signed with its SET key. */
  revocationSet(token: string): Promise<string>;
  /** Pushes a SET to the revocation receiver (RFC 8935); its answer. */
  pushSet(set: string): Promise<RawResponse>;
  /**
   * Where the checks run. `aws`: the revocation checks assert their time bounds (a deny later than
   * the documented bound fails), and the REST flush is given a few seconds to take effect.
   * `emulation` (offline, where a loaded machine's timing proves nothing): no time is asserted; a
   * check waits up to {@link OFFLINE_WAIT_MS} for a deny that must come and records how long it
   * took. The emulated flush is done before the receiver answers, so there the first REST request
   * after the 202 must be denied (an order, not a time).
   */
  readonly runsOn: 'aws' | 'emulation';
  /** The authorizer's memory bound with the shared cache (`sharedCache.memoryTtl`), seconds. */
  readonly memoryTtlSeconds: number;
}

export type Check = (context: ProbeContext) => Promise<Verdict>;

/** What the echo backend answered, when the request reached it. */
export interface Echo {
  readonly echo: true;
  readonly method?: string;
  readonly path?: string;
  /** HTTP API: the route key the request matched; REST: `resource`. */
  readonly routeKey?: string;
  readonly resource?: string;
  readonly headers: Record<string, string | undefined>;
  readonly contextJwt: string;
  readonly jwt?: string;
}

export function echoOf(response: RawResponse): Echo | undefined {
  try {
    const body = JSON.parse(response.body) as Partial<Echo>;
    return body?.echo === true ? (body as Echo) : undefined;
  } catch {
    return undefined;
  }
}

/** Reached a backend. */
export function allowed(response: RawResponse): boolean {
  return response.status === 200 && echoOf(response) !== undefined;
}

/** API Gateway answered itself, with a 4xx or a 5xx: a deny, an unknown route, a refused request or a failure. */
export function failedClosed(response: RawResponse): boolean {
  return echoOf(response) === undefined && response.status >= 400;
}

/** The `tokenId` the authorizer's decision lines carry: the token's SHA-256, first 6 bytes, hex. */
export function tokenId(token: string): string {
  return createHash('sha256').update(token).digest().subarray(0, 6).toString('hex');
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const get = (path: string, token?: string): RawRequest => ({ method: 'GET', path, headers: token === undefined ? {} : bearer(token) });

/** Collects expectations; `PASS` when every one held. */
class Expectations {
  private readonly failures: string[] = [];
  private readonly seen: string[] = [];

  expect(label: string, response: RawResponse, want: 'allow' | 'fail-closed'): void {
    this.seen.push(`${label} ${response.status}${allowed(response) ? ' backend' : ''}`);
    const ok = want === 'allow' ? allowed(response) : failedClosed(response);
    if (!ok) this.failures.push(`${label} expected ${want}, got ${response.status}${allowed(response) ? ' from the backend' : ''}`);
  }

  that(label: string, ok: boolean, observed?: string): void {
    if (observed !== undefined) this.seen.push(`${label} ${observed}`);
    if (!ok) this.failures.push(label);
  }

  note(text: string): void {
    this.seen.push(text);
  }

  verdict(): Verdict {
    const clip = (text: string) => (text.length > 900 ? `${text.slice(0, 897)}...` : text);
    return {
      result: this.failures.length === 0 ? 'PASS' : clip(`FAIL: ${this.failures.join('; ')}`),
      observed: clip(this.seen.join(', ')),
    };
  }
}

const BOTH: readonly Api[] = ['http', 'rest'];

/** Retries (30 s per API at most) until a token allowed on a route reaches the backend on both APIs: a new deployment may take a moment. */
async function warmUp(context: ProbeContext): Promise<Verdict> {
  const token = await context.token(ROUTES.scopeA.scopes);
  const checks = new Expectations();
  for (const api of BOTH) {
    let response: RawResponse | undefined;
    for (let attempt = 0; attempt < 10; attempt += 1) {
      response = await context.request(api, get(ROUTES.scopeA.path, token));
      if (allowed(response)) break;
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    }
    checks.expect(`${api} GET ${ROUTES.scopeA.path}`, response as RawResponse, 'allow');
  }
  return checks.verdict();
}

/**
 * One answer per token: the authorizer answers a token with a policy for every route of the
 * group, which API Gateway caches under the `Authorization` header and evaluates against each
 * later request's ARN (HTTP API: `routeArn`, REST: `methodArn`). A token with scope `a` only:
 * allowed on `/scope-a`, then denied on `/scope-b` from the cached answer; and in the other
 * order, denied first, then allowed. The authorizer's decision lines show that the second
 * request of each pair was answered from the gateway's cache (one decision per token).
 */
async function cachedPolicyPerRequestArn(context: ProbeContext): Promise<Verdict> {
  const checks = new Expectations();
  const tokens: string[] = [];
  for (const api of BOTH) {
    const first = await context.token(ROUTES.scopeA.scopes);
    checks.expect(`${api} a-token GET ${ROUTES.scopeA.path}`, await context.request(api, get(ROUTES.scopeA.path, first)), 'allow');
    checks.expect(`${api} then GET ${ROUTES.scopeB.path}`, await context.request(api, get(ROUTES.scopeB.path, first)), 'fail-closed');
    const second = await context.token(ROUTES.scopeA.scopes);
    checks.expect(`${api} a-token GET ${ROUTES.scopeB.path}`, await context.request(api, get(ROUTES.scopeB.path, second)), 'fail-closed');
    checks.expect(`${api} then GET ${ROUTES.scopeA.path}`, await context.request(api, get(ROUTES.scopeA.path, second)), 'allow');
    tokens.push(first, second);
  }
  const counts = await Promise.all(tokens.map((token) => context.decisions(token)));
  checks.that(
    'the gateway answered each second request from its cache (one decision per token)',
    counts.every((count) => count === 1),
    `decisions per token ${counts.join('/')}`,
  );
  return checks.verdict();
}

/**
 * IAM's wildcards against a request ARN whose path holds `:`. A token with `read` (not `admin`):
 * `/colon/a:b` is allowed (`GET/colon/*`, a last `*`, matches across colons under either reading)
 * and `/colon/a:b/secret`, `/colon/a:b:c/secret` are denied (the Deny's colon variants match them
 * whether or not an inner `*` crosses `:`). The answers never contain `?`, so it is not asked about.
 */
async function wildcardsAndColons(context: ProbeContext): Promise<Verdict> {
  const checks = new Expectations();
  const token = await context.token(ROUTES.colon.scopes);
  for (const api of BOTH) {
    checks.expect(`${api} GET /colon/a:b`, await context.request(api, get('/colon/a:b', token)), 'allow');
    checks.expect(`${api} GET /colon/a:b/secret`, await context.request(api, get('/colon/a:b/secret', token)), 'fail-closed');
    checks.expect(`${api} GET /colon/a:b:c/secret`, await context.request(api, get('/colon/a:b:c/secret', token)), 'fail-closed');
    checks.expect(`${api} GET /colon/%3A/secret`, await context.request(api, get('/colon/%3A/secret', token)), 'fail-closed');
  }
  return checks.verdict();
}

/**
 * Methods outside the seven (`PURGE`, `PROPFIND`) on an `ANY` route, with a token the route
 * allows: whether API Gateway routes them there or not, they never reach the backend (no answer
 * names such a method, and the function denies `unknown_method`). `GET` shows the route works.
 */
async function methodsOutsideTheSeven(context: ProbeContext): Promise<Verdict> {
  const checks = new Expectations();
  const token = await context.token(ROUTES.any.scopes);
  for (const api of BOTH) {
    checks.expect(`${api} GET ${ROUTES.any.path}`, await context.request(api, get(ROUTES.any.path, token)), 'allow');
    for (const method of ['PURGE', 'PROPFIND']) {
      const response = await context.request(api, { method, path: ROUTES.any.path, headers: bearer(token) });
      checks.expect(`${api} ${method} ${ROUTES.any.path}`, response, 'fail-closed');
    }
  }
  return checks.verdict();
}

/**
 * Spellings of a path that may or may not reach a route, with a token that may use `/x` and
 * `/colon/{id}` and not `/admin`, whose answer the gateway has cached (a first request warms it):
 * `/admin/`, `//admin`, `/%61dmin`, and `/x/../admin`, `/colon/../admin`, `/colon/%2e%2e/admin`
 * never reach the `/admin` route's backend, whichever route API Gateway sends them to and
 * whatever ARN they carry. (A spelling the gateway routes to `/admin` with an ARN that the
 * cached `GET/colon/*` Allow matches would be a wrong allow.) What `/x/` and `//x` answer is recorded.
 */
async function pathSpellings(context: ProbeContext): Promise<Verdict> {
  const checks = new Expectations();
  const token = await context.token([...new Set([...ROUTES.x.scopes, ...ROUTES.colon.scopes])]);
  for (const api of BOTH) {
    checks.expect(`${api} GET /x`, await context.request(api, get('/x', token)), 'allow');
    checks.expect(`${api} GET /colon/1`, await context.request(api, get('/colon/1', token)), 'allow');
    for (const path of [
      '/admin/',
      '//admin',
      '/%61dmin',
      '/%2561dmin',
      '/x/../admin',
      '/colon/../admin',
      '/colon/%2e%2e/admin',
      '/colon/..%2Fadmin',
    ]) {
      const response = await context.request(api, get(path, token));
      const echo = echoOf(response);
      const reachedAdmin = echo !== undefined && (echo.routeKey === `GET ${ROUTES.admin.path}` || echo.resource === ROUTES.admin.path);
      checks.that(
        `${api} GET ${path} never reaches ${ROUTES.admin.path}`,
        !reachedAdmin,
        `${response.status}${echo === undefined ? '' : ` ${echo.routeKey ?? echo.resource}`}`,
      );
    }
    for (const path of ['/x/', '//x']) {
      const response = await context.request(api, get(path, token));
      checks.note(`${api} GET ${path} ${response.status}${allowed(response) ? ` backend saw ${echoOf(response)?.path}` : ''}`);
    }
  }
  return checks.verdict();
}

/**
 * The largest answer: a token holding every scope gets, on a route of group 0, one policy that
 * allows every route of that group, close to the construct's budget (test/integ/stand-in.test.ts
 * measures it); API Gateway must accept it, and the answer of the other group (HTTP API; the big
 * routes exist there only).
 */
async function largestAnswer(context: ProbeContext): Promise<Verdict> {
  const checks = new Expectations();
  const routes = bigRoutes();
  const token = await context.token(allScopes());
  for (const route of [routes[0], routes[BIG_ROUTE_COUNT - 1]]) {
    if (route !== undefined) checks.expect(`http GET ${route.path}`, await context.request('http', get(route.path, token)), 'allow');
  }
  return checks.verdict();
}

/** The JWT of an echo, when the header holds one that is not the opaque token. */
function jwtShaped(value: string | undefined, token: string): boolean {
  return value !== undefined && /^eyJ[\w-]*\.[\w-]+\.[\w-]+$/.test(value) && !value.includes(token);
}

/**
 * REST: an HTTP integration receives `Authorization: Bearer <JWT>` (the construct's mapping from
 * the context key `authorization`) and nowhere the client's opaque token.
 */
async function restJwtDelivery(context: ProbeContext): Promise<Verdict> {
  const checks = new Expectations();
  const token = await context.token(ROUTES.jwt.scopes);
  const response = await context.request('rest', get(ROUTES.jwt.path, token));
  checks.expect(`rest GET ${ROUTES.jwt.path}`, response, 'allow');
  const headers = echoOf(response)?.headers ?? {};
  const authorization = headerOf(headers, 'authorization');
  checks.that(
    'backend sees Authorization: Bearer <JWT>',
    authorization?.startsWith('Bearer ') === true && jwtShaped(authorization.slice(7), token),
  );
  checks.that('no header carries the opaque token', !Object.values(headers).some((value) => value?.includes(token)));
  return checks.verdict();
}

/**
 * HTTP API: an HTTP integration receives the JWT in `x-phantom-jwt`, overwriting one the client
 * sent. (`Authorization` is reserved on HTTP APIs: the client's opaque token reaches the backend
 * there unchanged, as the README says; recorded, not asserted.)
 */
async function httpJwtDelivery(context: ProbeContext): Promise<Verdict> {
  const checks = new Expectations();
  const token = await context.token(ROUTES.jwt.scopes);
  const response = await context.request('http', {
    ...get(ROUTES.jwt.path, token),
    headers: { ...bearer(token), 'x-phantom-jwt': 'forged' },
  });
  checks.expect(`http GET ${ROUTES.jwt.path}`, response, 'allow');
  const headers = echoOf(response)?.headers ?? {};
  checks.that('backend sees x-phantom-jwt: <JWT>, not the forged value', jwtShaped(headerOf(headers, 'x-phantom-jwt'), token));
  checks.note(`authorization forwarded: ${headerOf(headers, 'authorization') === undefined ? 'no' : 'yes'}`);
  return checks.verdict();
}

/** An HTTP integration to a function URL with a path calls that path (HTTP API and REST). */
async function functionUrlPath(context: ProbeContext): Promise<Verdict> {
  const checks = new Expectations();
  const token = await context.token(ROUTES.jwt.scopes);
  for (const api of BOTH) {
    const response = await context.request(api, get(ROUTES.jwt.path, token));
    checks.expect(`${api} GET ${ROUTES.jwt.path}`, response, 'allow');
    const path = echoOf(response)?.path;
    checks.that(`${api} function URL path is ${ECHO_URL_PATHS[api]}`, path === ECHO_URL_PATHS[api], String(path));
  }
  return checks.verdict();
}

/**
 * Lambda integrations find the JWT in the request context with policy answers:
 * `requestContext.authorizer.lambda.jwt` (HTTP API, payload 2.0) and `requestContext.authorizer.jwt` (REST).
 */
async function lambdaIntegrationContext(context: ProbeContext): Promise<Verdict> {
  const checks = new Expectations();
  const token = await context.token(ROUTES.scopeA.scopes);
  const where = { http: 'requestContext.authorizer.lambda.jwt', rest: 'requestContext.authorizer.jwt' } as const;
  for (const api of BOTH) {
    const response = await context.request(api, get(ROUTES.scopeA.path, token));
    checks.expect(`${api} GET ${ROUTES.scopeA.path}`, response, 'allow');
    const echo = echoOf(response);
    checks.that(
      `${api} JWT at ${where[api]}`,
      echo?.contextJwt === where[api] && jwtShaped(echo.jwt, token),
      echo?.contextJwt ?? 'no echo',
    );
  }
  return checks.verdict();
}

/**
 * REST gateway responses: no token is 401 with `WWW-Authenticate: Bearer realm="api"`; a token
 * without the route's scope is 403 with `error="insufficient_scope"`.
 */
async function restGatewayResponses(context: ProbeContext): Promise<Verdict> {
  const checks = new Expectations();
  const missing = await context.request('rest', get(ROUTES.scopeA.path));
  const challenge = String(missing.headers['www-authenticate'] ?? '');
  checks.that(
    'no token: 401 with WWW-Authenticate: Bearer realm="api"',
    missing.status === 401 && challenge.startsWith('Bearer realm="api"'),
    `${missing.status} ${challenge}`,
  );
  const token = await context.token(ROUTES.scopeA.scopes);
  const insufficient = await context.request('rest', get(ROUTES.scopeB.path, token));
  const denial = String(insufficient.headers['www-authenticate'] ?? '');
  checks.that(
    'insufficient scope: 403 with error="insufficient_scope"',
    insufficient.status === 403 && denial.includes('error="insufficient_scope"'),
    `${insufficient.status} ${denial}`,
  );
  return checks.verdict();
}

/** How long after the receiver's 202 the REST API may still answer an allow on AWS (the flush taking effect), retried each second. */
const REST_RETRY_MS = 5_000;
/** What the HTTP API's bound is given on AWS beyond resultsCacheTtl + memoryTtl: request latency and the one-second polling. */
const HTTP_MARGIN_MS = 5_000;
/** Offline, how long the HTTP check waits for a deny that must come (its cache's 10 s, on a loaded machine), without asserting when. */
const OFFLINE_WAIT_MS = 60_000;
const POLL_INTERVAL_MS = 1_000;

/**
 * Repeats a request each second until it no longer reaches the backend, or `untilMs` passes (one
 * request only when it has passed already): its last answer, when, and how many allows came first.
 */
async function pollUntilDenied(
  send: () => Promise<RawResponse>,
  untilMs: number,
): Promise<{ response: RawResponse; atMs: number; allowsBefore: number }> {
  let allowsBefore = 0;
  for (;;) {
    const response = await send();
    const atMs = Date.now();
    if (!allowed(response) || atMs >= untilMs) return { response, atMs, allowsBefore };
    allowsBefore += 1;
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_INTERVAL_MS, Math.max(0, untilMs - atMs))));
  }
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);

/** The receiver's RFC 8935 answer: `202`, or the status and `err` of a refusal. */
function deliveryOutcome(response: RawResponse): string {
  if (response.status === 202) return '202';
  try {
    return `${response.status} ${String((JSON.parse(response.body) as { err?: unknown }).err)}`;
  } catch {
    return `${response.status}`;
  }
}

/** Asks the stand-in for a SET naming `token` and pushes it: when the receiver's 202 came, or undefined when it refused. */
async function pushRevocation(context: ProbeContext, token: string, checks: Expectations): Promise<number | undefined> {
  const response = await context.pushSet(await context.revocationSet(token));
  const answeredAtMs = Date.now();
  checks.that('the receiver marks the token (202)', response.status === 202, deliveryOutcome(response));
  return response.status === 202 ? answeredAtMs : undefined;
}

/**
 * Push revocation on the REST API: a token allowed on `GET /x` (its answer now in the stage's
 * authorizer cache for 60 s) is revoked by a SET the probe pushes to the receiver, which marks it
 * in the shared table and flushes the stage's authorizer cache (at once, and with a `memoryTtl`
 * above 0 again `memoryTtl` + 1 s later) before it answers 202. By then the function's memory of
 * the token is older than `memoryTtl`. The stand-in still introspects the token as active, so
 * only the mark and the flush can deny it before the cache's 60 s: the same request must then be
 * 401, on AWS within {@link REST_RETRY_MS} of retries of the 202, in the emulation at the first
 * request after it. The token's decision lines must show that the function's table calls were
 * allowed: its first decision wrote the introspection's answer, and its deny read the mark.
 */
async function revocationPushDeniesOnRest(context: ProbeContext): Promise<Verdict> {
  const checks = new Expectations();
  const token = await context.token(ROUTES.x.scopes);
  const request = () => context.request('rest', get(ROUTES.x.path, token));
  checks.expect(`rest GET ${ROUTES.x.path}`, await request(), 'allow');
  const answeredAtMs = await pushRevocation(context, token, checks);
  if (answeredAtMs === undefined) return checks.verdict();
  const onAws = context.runsOn === 'aws';
  const { response, atMs, allowsBefore } = await pollUntilDenied(request, onAws ? answeredAtMs + REST_RETRY_MS : 0);
  checks.that(
    `rest GET ${ROUTES.x.path} with the revoked token is 401 ${onAws ? `within ${seconds(REST_RETRY_MS)} s of the 202` : 'at the first request after the 202'}`,
    response.status === 401 && !allowed(response),
    `${response.status}${allowed(response) ? ' backend' : ''} ${seconds(atMs - answeredAtMs)} s after the 202, ${allowsBefore} allows before`,
  );
  const lines = await context.decisionLines(token, 2);
  checks.that(
    "the first decision found no item and wrote the introspection's answer to the table",
    lines.some((line) => line.outcome === 'allow' && line.sharedCache === 'miss' && line.sharedCacheWrite === 'written'),
    lines.map((line) => `${line.outcome}/${line.sharedCache}/${line.sharedCacheWrite ?? '-'}`).join(' '),
  );
  checks.that(
    'the deny read the mark',
    lines.some((line) => line.outcome === 'deny' && line.sharedCache === 'revoked'),
  );
  return checks.verdict();
}

/**
 * Push revocation on the HTTP API, which has no flush: a token allowed on `GET /x` (its answer in
 * the API's decision cache for INTEG_HTTP_RESULTS_CACHE_TTL_SECONDS) is revoked as on REST; the
 * request must be denied once the cached answer expires and the function reads the mark: within
 * resultsCacheTtl + memoryTtl of the first request (the gateway cached the answer then, and no
 * request reaches the function until it expires), or at once if the 202 came later than that,
 * plus {@link HTTP_MARGIN_MS}. Records the seconds observed; the bound is asserted on AWS only
 * (offline the check waits up to {@link OFFLINE_WAIT_MS}).
 */
async function revocationPushDeniesOnHttpWithinBound(context: ProbeContext): Promise<Verdict> {
  const checks = new Expectations();
  const token = await context.token(ROUTES.x.scopes);
  const request = () => context.request('http', get(ROUTES.x.path, token));
  const first = await request();
  const firstAtMs = Date.now();
  checks.expect(`http GET ${ROUTES.x.path}`, first, 'allow');
  const answeredAtMs = await pushRevocation(context, token, checks);
  if (answeredAtMs === undefined) return checks.verdict();
  const boundSeconds = INTEG_HTTP_RESULTS_CACHE_TTL_SECONDS + context.memoryTtlSeconds;
  const deadlineMs = Math.max(firstAtMs + boundSeconds * 1000, answeredAtMs) + HTTP_MARGIN_MS;
  const onAws = context.runsOn === 'aws';
  const { response, atMs, allowsBefore } = await pollUntilDenied(request, onAws ? deadlineMs : answeredAtMs + OFFLINE_WAIT_MS);
  const bound = onAws
    ? ` within resultsCacheTtl ${INTEG_HTTP_RESULTS_CACHE_TTL_SECONDS} s + memoryTtl ${context.memoryTtlSeconds} s + ${seconds(HTTP_MARGIN_MS)} s`
    : '';
  checks.that(
    `http GET ${ROUTES.x.path} with the revoked token fails closed${bound}`,
    failedClosed(response),
    `${response.status}${allowed(response) ? ' backend' : ''} ${seconds(atMs - firstAtMs)} s after the first request, ${seconds(atMs - answeredAtMs)} s after the 202, ${allowsBefore} allows before`,
  );
  return checks.verdict();
}

/**
 * The receiver refuses what it must: the same SET delivered again is 400 `invalid_request` (its
 * `iss` and `jti` were recorded), and a SET with the same claims signed by another key (same `kid`,
 * a fresh `jti`) is 400 `authentication_failed` (or `invalid_key`, were the key not found).
 */
async function revocationReplayAndForgeryRefused(context: ProbeContext): Promise<Verdict> {
  const checks = new Expectations();
  const token = await context.token(ROUTES.x.scopes);
  const set = await context.revocationSet(token);
  const first = await context.pushSet(set);
  checks.that('the SET is accepted (202)', first.status === 202, deliveryOutcome(first));
  const replay = deliveryOutcome(await context.pushSet(set));
  checks.that('the same SET again is 400 invalid_request', replay === '400 invalid_request', replay);
  const forged = deliveryOutcome(await context.pushSet(await signedByAnotherKey(set)));
  checks.that(
    'a SET signed by another key is 400 authentication_failed or invalid_key',
    forged === '400 authentication_failed' || forged === '400 invalid_key',
    forged,
  );
  return checks.verdict();
}

/** The SET's header and claims, with a fresh `jti` and `iat`, signed by a new Ed25519 key that is not the issuer's. */
export async function signedByAnotherKey(set: string): Promise<string> {
  const header = decodeProtectedHeader(set) as JWTHeaderParameters;
  const { privateKey } = generateKeyPairSync('ed25519');
  return new SignJWT({ ...decodeJwt(set), jti: randomUUID(), iat: Math.floor(Date.now() / 1000) })
    .setProtectedHeader(header)
    .sign(privateKey);
}

function headerOf(headers: Record<string, string | undefined>, name: string): string | undefined {
  const found = Object.entries(headers).find(([key]) => key.toLowerCase() === name);
  return found?.[1];
}

/** Every check by its name: the names the integ app's assertions and docs/verified-on-aws.md use. */
export const CHECKS = {
  'warm-up': warmUp,
  'cached-policy-evaluated-per-request-arn': cachedPolicyPerRequestArn,
  'iam-wildcards-and-colons-in-paths': wildcardsAndColons,
  'methods-outside-the-seven-on-any-routes': methodsOutsideTheSeven,
  'path-spellings-fail-closed': pathSpellings,
  'largest-authorizer-answer-accepted': largestAnswer,
  'rest-backend-receives-bearer-jwt': restJwtDelivery,
  'http-backend-receives-jwt-header': httpJwtDelivery,
  'http-integration-calls-function-url-path': functionUrlPath,
  'lambda-integration-finds-context': lambdaIntegrationContext,
  'rest-gateway-responses-carry-challenges': restGatewayResponses,
  'revocation-push-denies-on-rest': revocationPushDeniesOnRest,
  'revocation-push-denies-on-http-within-bound': revocationPushDeniesOnHttpWithinBound,
  'revocation-replay-and-forgery-refused': revocationReplayAndForgeryRefused,
} as const satisfies Record<string, Check>;

export type CheckName = keyof typeof CHECKS;

/** The integ assertion's id of a check: `cached-policy-evaluated-per-request-arn` → `CheckCachedPolicyEvaluatedPerRequestArn`. */
export function assertionId(check: string): string {
  return `Check${check
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('')}`;
}
