import type { GatewayRequest } from './http-api-gateway.js';
import { formatRequestTime } from './http-api-gateway.js';

/**
 * The events a REST API hands to Lambda: the REQUEST authorizer event, in the shape of AWS's
 * published sample (test/fixtures/aws-events/rest-api-request-authorizer.json), and the Lambda
 * proxy integration event
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html).
 * Header names keep the client's casing (the first spelling of a name wins when a client repeats
 * it in another case); `headers` holds the last value of a name, `multiValueHeaders` all of them.
 */
export interface RestEventContext {
  readonly accountId: string;
  readonly apiId: string;
  readonly stage: string;
  /** The method's resource path, `/orders/{id}`. */
  readonly resourcePath: string;
  readonly resourceId: string;
  readonly pathParameters: Readonly<Record<string, string>>;
}

export function restAuthorizerEvent(request: GatewayRequest, methodArn: string, context: RestEventContext) {
  const { headers, multiValueHeaders } = restHeaders(request);
  const { single, multi } = restQuery(request.rawQueryString);
  return {
    type: 'REQUEST',
    methodArn,
    resource: context.resourcePath,
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters: single ?? {},
    multiValueQueryStringParameters: multi ?? {},
    pathParameters: { ...context.pathParameters },
    stageVariables: {},
    requestContext: {
      path: `/${context.stage}${request.path}`,
      accountId: context.accountId,
      resourceId: context.resourceId,
      stage: context.stage,
      requestId: request.requestId,
      identity: { sourceIp: request.sourceIp, userAgent: headerOf(request, 'user-agent') ?? '' },
      resourcePath: context.resourcePath,
      httpMethod: request.method,
      apiId: context.apiId,
    },
  };
}

export function restProxyEvent(
  request: GatewayRequest,
  context: RestEventContext,
  authorizer: Readonly<Record<string, unknown>> | undefined,
  body: { readonly body: string | null; readonly isBase64Encoded: boolean },
) {
  const { headers, multiValueHeaders } = restHeaders(request);
  const { single, multi } = restQuery(request.rawQueryString);
  const domainName = headerOf(request, 'host') ?? '127.0.0.1';
  return {
    resource: context.resourcePath,
    path: request.path,
    httpMethod: request.method,
    headers: Object.keys(headers).length > 0 ? headers : null,
    multiValueHeaders: Object.keys(multiValueHeaders).length > 0 ? multiValueHeaders : null,
    queryStringParameters: single,
    multiValueQueryStringParameters: multi,
    pathParameters: Object.keys(context.pathParameters).length > 0 ? { ...context.pathParameters } : null,
    stageVariables: null,
    requestContext: {
      resourceId: context.resourceId,
      resourcePath: context.resourcePath,
      httpMethod: request.method,
      extendedRequestId: request.requestId,
      requestTime: formatRequestTime(request.time),
      path: `/${context.stage}${request.path}`,
      accountId: context.accountId,
      protocol: 'HTTP/1.1',
      stage: context.stage,
      domainPrefix: domainName.split('.')[0],
      requestTimeEpoch: request.time.getTime(),
      requestId: request.requestId,
      identity: {
        cognitoIdentityPoolId: null,
        accountId: null,
        cognitoIdentityId: null,
        caller: null,
        sourceIp: request.sourceIp,
        principalOrgId: null,
        accessKey: null,
        cognitoAuthenticationType: null,
        cognitoAuthenticationProvider: null,
        userArn: null,
        userAgent: headerOf(request, 'user-agent') ?? '',
        user: null,
      },
      domainName,
      apiId: context.apiId,
      ...(authorizer === undefined ? {} : { authorizer: { ...authorizer } }),
    },
    body: body.body,
    isBase64Encoded: body.isBase64Encoded,
  };
}

/** Each header name (client's first casing) with its values in order; `cookie` stays one header, as sent. */
export function restHeaderValues(request: GatewayRequest): Map<string, { name: string; values: string[] }> {
  const byLower = new Map<string, { name: string; values: string[] }>();
  const raw = request.rawHeaders ?? Object.entries(request.headers).flat();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const entry = byLower.get(name.toLowerCase()) ?? { name, values: [] };
    entry.values.push(raw[i + 1] as string);
    byLower.set(name.toLowerCase(), entry);
  }
  return byLower;
}

/** The last value of a header, its name matched case-insensitively, as `method.request.header.<name>` reads it. */
export function headerOf(request: GatewayRequest, name: string): string | undefined {
  return restHeaderValues(request).get(name.toLowerCase())?.values.at(-1);
}

function restHeaders(request: GatewayRequest) {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const { name, values } of restHeaderValues(request).values()) {
    headers[name] = values.at(-1) as string;
    multiValueHeaders[name] = values;
  }
  return { headers, multiValueHeaders };
}

function restQuery(rawQueryString: string) {
  const multi: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) multi[name] = [...(multi[name] ?? []), value];
  if (Object.keys(multi).length === 0) return { single: null, multi: null };
  const single = Object.fromEntries(Object.entries(multi).map(([name, values]) => [name, values.at(-1) as string]));
  return { single, multi };
}
