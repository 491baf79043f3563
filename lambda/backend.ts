/**
 * For backend Lambda functions behind the phantom token authorizer (import from
 * `cdk-phantom-token/backend`). Nothing here imports aws-cdk-lib or the AWS SDK.
 *
 * With a Lambda integration the JWT is not in a header: API Gateway hands it over in the
 * authorizer context (`requestContext.authorizer.lambda.jwt` for HTTP APIs, payload 2.0;
 * `requestContext.authorizer.jwt` for REST and payload 1.0). Read it from there, never from a
 * header the client could have sent.
 */
import { CONTEXT_KEYS, DEFAULT_JWT_HEADER_NAME } from './environment.js';

// The authorizer's environment contract, for deployments without CDK and for TypeScript tooling;
// the construct library's entry exports jsii-compatible types only.
export { CONTEXT_KEYS, DEFAULT_JWT_HEADER_NAME, DEFAULTS, ENV, RESPONSE_TYPES } from './environment.js';

/** The part of an API Gateway proxy event (HTTP API 1.0 or 2.0, REST) the helpers read and rewrite. */
export interface BackendEvent {
  /** Where API Gateway puts the authorizer's context. */
  requestContext?: {
    /** `{ lambda: { jwt, … } }` (HTTP API payload 2.0) or `{ jwt, … }` (REST, payload 1.0). */
    authorizer?: unknown;
  } | null;
  /** The request headers (comma-joined values). */
  headers?: Record<string, string | undefined> | null;
  /** REST and payload 1.0: the request headers with every value. */
  multiValueHeaders?: Record<string, string[] | undefined> | null;
}

/**
 * The JWT the authorizer put in the request context, or `undefined` when the route was not
 * authorized by it.
 *
 * @example
 * export const handler = async (event: APIGatewayProxyEventV2WithLambdaAuthorizer<unknown>) => {
 *   const jwt = jwtFromEvent(event);
 *   if (jwt === undefined) return { statusCode: 401 };
 *   const claims = await verify(jwt); // verify with your OAuth server's JWKS
 *   return { statusCode: 200, body: JSON.stringify({ hello: claims.sub }) };
 * };
 */
export function jwtFromEvent(event: BackendEvent): string | undefined {
  const authorizer = event.requestContext?.authorizer as { lambda?: Record<string, unknown>; [key: string]: unknown } | null | undefined;
  if (authorizer === null || typeof authorizer !== 'object') return undefined;
  const jwt = authorizer.lambda?.[CONTEXT_KEYS.jwt] ?? authorizer[CONTEXT_KEYS.jwt];
  return typeof jwt === 'string' && jwt !== '' ? jwt : undefined;
}

/** Options of {@link withJwtHeaders}. */
export interface WithJwtHeadersOptions {
  /**
   * The header that also carries the JWT, as HTTP integrations receive it.
   * @default 'x-phantom-jwt'
   */
  readonly headerName?: string;
}

/**
 * Wraps a handler so that it sees the request as an HTTP backend behind the gateway would:
 * `authorization: Bearer <JWT>` and the JWT header set from the authorizer context. Any value the
 * client sent in either header (any letter case, in `headers` and `multiValueHeaders`) is dropped
 * first, so a forged JWT never reaches the handler. On a route the authorizer did not protect both
 * headers are removed and nothing is added: the handler sees no `authorization` at all.
 *
 * @example
 * export const handler = withJwtHeaders(async (event) => {
 *   const jwt = event.headers.authorization?.slice('Bearer '.length);
 *   return { statusCode: 200, body: JSON.stringify({ receivedJwt: jwt !== undefined }) };
 * });
 */
export function withJwtHeaders<E extends BackendEvent, A extends unknown[], R>(
  handler: (event: E, ...rest: A) => R,
  options: WithJwtHeadersOptions = {},
): (event: E, ...rest: A) => R {
  const headerName = (options.headerName ?? DEFAULT_JWT_HEADER_NAME).toLowerCase();
  return (event: E, ...rest: A) => handler(withHeaders(event, headerName), ...rest);
}

function withHeaders<E extends BackendEvent>(event: E, headerName: string): E {
  const jwt = jwtFromEvent(event);
  const replaced = new Set([headerName, 'authorization']);
  const added: Record<string, string> = jwt === undefined ? {} : { authorization: `Bearer ${jwt}`, [headerName]: jwt };
  const result: E = { ...event, headers: { ...without(event.headers ?? {}, replaced), ...added } };
  if (event.multiValueHeaders) {
    const multi = Object.fromEntries(Object.entries(added).map(([name, value]) => [name, [value]]));
    result.multiValueHeaders = { ...without(event.multiValueHeaders, replaced), ...multi };
  }
  return result;
}

function without<V>(headers: Record<string, V>, names: ReadonlySet<string>): Record<string, V> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !names.has(name.toLowerCase())));
}
