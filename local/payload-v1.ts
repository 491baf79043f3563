import type { GatewayRequest } from './http-api-gateway.js';
import type { LocalRoute } from './template.js';

/**
 * The payload format 1.0 events of an HTTP API, for authorizers with
 * `AuthorizerPayloadFormatVersion: 1.0` and Lambda integrations with `PayloadFormatVersion: 1.0`,
 * in the shape the developer guide shows
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html)
 * and AWS's published sample (test/fixtures/aws-events/http-api-authorizer-v1.json).
 * `headers` and `queryStringParameters` hold the last value of each name; the `multiValue…` maps hold all.
 */
export interface V1Context {
  readonly accountId: string;
  readonly apiId: string;
  readonly stage: string;
  readonly requestTime: string;
}

export function authorizerEventV1(
  route: LocalRoute,
  request: GatewayRequest,
  pathParameters: Readonly<Record<string, string>>,
  identityValues: readonly string[],
  methodArn: string,
  context: V1Context,
) {
  const { headers, multiValueHeaders } = headersV1(request);
  const { single, multi } = queryV1(request.rawQueryString);
  return {
    version: '1.0',
    type: 'REQUEST',
    methodArn,
    identitySource: identityValues.join(','),
    authorizationToken: identityValues.join(','),
    resource: resourceOf(route),
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters: single,
    multiValueQueryStringParameters: multi,
    pathParameters: { ...pathParameters },
    stageVariables: {},
    requestContext: {
      path: request.path,
      accountId: context.accountId,
      resourceId: route.routeKey,
      stage: context.stage,
      requestId: request.requestId,
      identity: { sourceIp: request.sourceIp, userAgent: request.headers['user-agent'] ?? '' },
      resourcePath: resourceOf(route),
      httpMethod: request.method,
      apiId: context.apiId,
    },
  };
}

export function proxyEventV1(
  route: LocalRoute,
  request: GatewayRequest,
  pathParameters: Readonly<Record<string, string>>,
  authorizer: Readonly<Record<string, unknown>> | undefined,
  body: { readonly body: string | null; readonly isBase64Encoded: boolean },
  context: V1Context & { readonly domainName: string; readonly requestTimeEpoch: number },
) {
  const { headers, multiValueHeaders } = headersV1(request);
  const { single, multi } = queryV1(request.rawQueryString);
  return {
    version: '1.0',
    resource: resourceOf(route),
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters: single,
    multiValueQueryStringParameters: multi,
    requestContext: {
      accountId: context.accountId,
      apiId: context.apiId,
      ...(authorizer === undefined ? {} : { authorizer: { ...authorizer } }),
      domainName: context.domainName,
      domainPrefix: context.domainName.split('.')[0],
      extendedRequestId: request.requestId,
      httpMethod: request.method,
      identity: {
        accessKey: null,
        accountId: null,
        caller: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.sourceIp,
        user: null,
        userAgent: request.headers['user-agent'] ?? '',
        userArn: null,
      },
      path: request.path,
      protocol: 'HTTP/1.1',
      requestId: request.requestId,
      requestTime: context.requestTime,
      requestTimeEpoch: context.requestTimeEpoch,
      resourceId: null,
      resourcePath: resourceOf(route),
      stage: context.stage,
    },
    pathParameters: Object.keys(pathParameters).length > 0 ? { ...pathParameters } : null,
    stageVariables: null,
    body: body.body,
    isBase64Encoded: body.isBase64Encoded,
  };
}

function resourceOf(route: LocalRoute): string {
  return route.routeKey === '$default' ? '$default' : route.path;
}

/** 1.0 events carry cookies in the `cookie` header, as the client sent them. */
function headersV1(request: GatewayRequest) {
  const all: Record<string, readonly string[]> = { ...(request.multiValueHeaders ?? splitJoined(request.headers)) };
  if (request.cookies.length > 0) all.cookie = [request.cookies.join('; ')];
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(all)) {
    headers[name] = values.at(-1) ?? '';
    multiValueHeaders[name] = [...values];
  }
  return { headers, multiValueHeaders };
}

function splitJoined(headers: Readonly<Record<string, string>>): Record<string, readonly string[]> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]]));
}

function queryV1(rawQueryString: string) {
  const multi: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) multi[name] = [...(multi[name] ?? []), value];
  if (Object.keys(multi).length === 0) return { single: null, multi: null };
  const single = Object.fromEntries(Object.entries(multi).map(([name, values]) => [name, values.at(-1) as string]));
  return { single, multi };
}
