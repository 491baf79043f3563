import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const here = __dirname;
/** AWS's published sample authorizer events (aws/aws-lambda-go events/testdata, Apache-2.0), verbatim. */
const EVENTS_DIR = join(here, '../fixtures/aws-events');

function sample(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(EVENTS_DIR, name), 'utf8')) as Record<string, unknown>;
}

/**
 * An HTTP API payload 2.0 event as real traffic makes it from AWS's sample: header names
 * lower-cased, the route key set, the Authorization header added when given.
 */
export function httpApiEvent(
  authorization: string | undefined,
  routeKey = 'GET /echo',
  extraHeaders: Record<string, string> = {},
): unknown {
  const event = sample('http-api-authorizer-v2.json');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...(event.headers as Record<string, string>), ...extraHeaders }))
    headers[name.toLowerCase()] = value;
  if (authorization !== undefined) headers.authorization = authorization;
  const [routeMethod, path] = routeKey.split(' ');
  // The request's own method: an ANY route receives a concrete one (GET here).
  const method = routeMethod === 'ANY' ? 'GET' : routeMethod;
  return {
    ...event,
    routeKey,
    rawPath: path,
    identitySource: authorization === undefined ? [] : [authorization],
    headers,
    requestContext: {
      ...(event.requestContext as object),
      routeKey,
      http: { ...(event.requestContext as { http: object }).http, method, path },
    },
  };
}

/** A REST REQUEST authorizer event from AWS's sample: client casing kept, multiValueHeaders added. */
export function restEvent(authorization: string | string[] | undefined, method = 'GET', resource = '/echo', path = resource): unknown {
  const event = sample('rest-api-request-authorizer.json');
  const headers = { ...(event.headers as Record<string, string>) };
  const multiValueHeaders = { ...(event.multiValueHeaders as Record<string, string[]>) };
  if (authorization !== undefined) {
    const values = Array.isArray(authorization) ? authorization : [authorization];
    headers.Authorization = values[values.length - 1] as string;
    multiValueHeaders.Authorization = values;
  }
  return {
    ...event,
    methodArn: `arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/${method}${path}`,
    httpMethod: method,
    resource,
    path,
    headers,
    multiValueHeaders,
  };
}

/** An HTTP API payload 1.0 event from AWS's sample (it carries methodArn and wants a policy). */
export function httpApiV1Event(authorization: string | undefined): unknown {
  const event = sample('http-api-authorizer-v1.json');
  const headers = { ...(event.headers as Record<string, string>) };
  if (authorization !== undefined) headers.authorization = authorization;
  return { ...event, headers };
}
