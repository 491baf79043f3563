import { AuthorizerEventInvalidError } from './errors.js';

/**
 * What the authorizer needs from an API Gateway REQUEST authorizer event, in one shape:
 * - `simple`: HTTP API payload 2.0 with simple responses (`{ isAuthorized, context }`);
 * - `policy`: REST API, or HTTP API payload 1.0 (both carry `methodArn` and want an IAM policy).
 */
export interface AuthorizerRequest {
  readonly format: 'simple' | 'policy';
  /** `GET /orders/{id}`: HTTP API `routeKey`, or REST `${httpMethod} ${resource}`. */
  readonly routeKey: string;
  /** The `Authorization` header value; several values are comma-joined, as API Gateway does. */
  readonly authorization: string | undefined;
  /** REST only: `arn:aws:execute-api:region:account:api/stage/METHOD/path`. */
  readonly methodArn: string | undefined;
  /** REST only: the route's method and resource template, for the policy's resource. */
  readonly httpMethod: string | undefined;
  readonly resource: string | undefined;
  /** The API's id (`requestContext.apiId`), to find its audience. */
  readonly apiId?: string | undefined;
  /** What sender-constraint checks need of the request: the DPoP proof, the URL called, the client certificate. */
  readonly presentation?: RequestPresentation;
}

/** The parts of a request a DPoP proof or a certificate binding is checked against. Every field comes from the event. */
export interface RequestPresentation {
  /** The `DPoP` header; several values are comma-joined (a proof holds no comma, so that fails as malformed). */
  readonly dpop: string | undefined;
  /** The request's method: payload 2.0 `requestContext.http.method`, REST and 1.0 `httpMethod`. */
  readonly method: string | undefined;
  /** The host the client called: `requestContext.domainName`, else the `Host` header. */
  readonly domainName: string | undefined;
  /**
   * The path the client called, without query: payload 2.0 `rawPath`, REST and 1.0
   * `requestContext.path` (the stage or base path included, as the client sent it), else `path`.
   */
  readonly path: string | undefined;
  /** The mutual-TLS client certificate (PEM): 2.0 `requestContext.authentication.clientCert`, REST and 1.0 `requestContext.identity.clientCert`. */
  readonly clientCertPem: string | undefined;
}

type Headers = Readonly<Record<string, string | undefined>> | null | undefined;
type MultiValueHeaders = Readonly<Record<string, readonly string[] | undefined>> | null | undefined;

interface RawEvent {
  version?: unknown;
  type?: unknown;
  routeKey?: unknown;
  methodArn?: unknown;
  httpMethod?: unknown;
  resource?: unknown;
  headers?: Headers;
  multiValueHeaders?: MultiValueHeaders;
  rawPath?: unknown;
  path?: unknown;
  requestContext?: RawRequestContext | null;
}

interface RawRequestContext {
  apiId?: unknown;
  domainName?: unknown;
  path?: unknown;
  http?: { method?: unknown } | null;
  authentication?: { clientCert?: { clientCertPem?: unknown } | null } | null;
  identity?: { clientCert?: { clientCertPem?: unknown } | null } | null;
}

export function readAuthorizerEvent(event: unknown): AuthorizerRequest {
  if (event === null || typeof event !== 'object') {
    throw new AuthorizerEventInvalidError('authorizer event must be an object');
  }
  const raw = event as RawEvent;
  if (raw.type !== 'REQUEST') {
    throw new AuthorizerEventInvalidError(`authorizer event type must be REQUEST; received ${JSON.stringify(raw.type)}`);
  }
  const authorization = headerValue(raw.headers, raw.multiValueHeaders, 'authorization');
  if (raw.version === '2.0') {
    if (typeof raw.routeKey !== 'string') {
      throw new AuthorizerEventInvalidError('payload 2.0 authorizer event must carry a routeKey');
    }
    return {
      format: 'simple',
      routeKey: raw.routeKey,
      authorization,
      methodArn: undefined,
      httpMethod: undefined,
      resource: undefined,
      ...presentationOf(raw, text(raw.requestContext?.http?.method), text(raw.rawPath), raw.requestContext?.authentication),
    };
  }
  if (typeof raw.methodArn !== 'string' || typeof raw.httpMethod !== 'string' || typeof raw.resource !== 'string') {
    throw new AuthorizerEventInvalidError('REST and payload 1.0 authorizer events must carry methodArn, httpMethod and resource');
  }
  return {
    format: 'policy',
    routeKey: `${raw.httpMethod} ${raw.resource}`,
    authorization,
    methodArn: raw.methodArn,
    httpMethod: raw.httpMethod,
    resource: raw.resource,
    ...presentationOf(raw, raw.httpMethod, text(raw.requestContext?.path) ?? text(raw.path), raw.requestContext?.identity),
  };
}

/** The API id and the presentation, each field only when the event carries it as a string. */
function presentationOf(
  raw: RawEvent,
  method: string | undefined,
  path: string | undefined,
  certificateHolder: { clientCert?: { clientCertPem?: unknown } | null } | null | undefined,
): { apiId: string | undefined; presentation: RequestPresentation } {
  return {
    apiId: text(raw.requestContext?.apiId),
    presentation: {
      dpop: headerValue(raw.headers, raw.multiValueHeaders, 'dpop'),
      method,
      domainName: text(raw.requestContext?.domainName) ?? headerValue(raw.headers, raw.multiValueHeaders, 'host'),
      path,
      clientCertPem: text(certificateHolder?.clientCert?.clientCertPem),
    },
  };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * A header's value, matched case-insensitively. Several values (REST's `multiValueHeaders`, or
 * keys differing only in case) are comma-joined, as API Gateway joins repeated headers, so that
 * they fail the Bearer grammar instead of one of them being picked.
 */
function headerValue(headers: Headers, multiValueHeaders: MultiValueHeaders, name: string): string | undefined {
  const values: string[] = [];
  if (multiValueHeaders) {
    for (const key of Object.keys(multiValueHeaders)) {
      if (key.length === name.length && key.toLowerCase() === name) values.push(...(multiValueHeaders[key] ?? []));
    }
  }
  if (values.length === 0 && headers) {
    for (const key of Object.keys(headers)) {
      const value = headers[key];
      if (key.length === name.length && key.toLowerCase() === name && typeof value === 'string') values.push(value);
    }
  }
  return values.length === 0 ? undefined : values.join(',');
}
