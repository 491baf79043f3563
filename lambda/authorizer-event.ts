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
    return { format: 'simple', routeKey: raw.routeKey, authorization, methodArn: undefined, httpMethod: undefined, resource: undefined };
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
  };
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
