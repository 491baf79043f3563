import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { cacheKey } from './authorizer-cache-key.js';
import { closeServer, listen } from './http-server.js';
import { type PolicyStatement, policyAllows, readPolicy, type WildcardReading } from './iam-policy.js';
import { INVOCATION_ERRORS, type LambdaRunner } from './lambda-runner.js';
import { ACCOUNT_ID, API_ID, isMethodArnTooLong, methodArn } from './method-arn.js';
import { authorizerEventV1, proxyEventV1 } from './payload-v1.js';
import { selectRoute } from './route-selection.js';
import { routingPath } from './routing-path.js';
import type { LocalAuthorizer, LocalHttpApi, LocalRoute } from './template.js';

/**
 * A local stand-in for an API Gateway HTTP API, driven by a synthesized template. For each
 * request it follows API Gateway's documented HTTP API behaviour (see the README's "Emulation
 * honesty" section for the pages and for what it leaves out):
 * the quotas on request line + header values (10,240 bytes → 431) and payload (10 MB → 413);
 * route selection (route-selection.ts); a missing identity source → 401 without invoking the
 * authorizer; a payload 2.0 or 1.0 REQUEST authorizer event; simple or IAM policy answers; results
 * cached by identity-source values for the authorizer's TTL, never without an identity source;
 * not authorized → 403; an authorizer error or a run past 10 s → 500; request parameter mapping;
 * then the integration (Lambda proxy, payload 2.0 or 1.0, or HTTP proxy). Start-up refuses a
 * template API Gateway would refuse (reserved-header mappings, simple responses on 1.0).
 */
export interface GatewayOptions {
  readonly api: LocalHttpApi;
  /** One runner per function logical id. */
  readonly runners: ReadonlyMap<string, LambdaRunner>;
  readonly port?: number;
  readonly region?: string;
  /**
   * How `*` and `?` in an IAM policy answer's Resource and Action match: across colons, or within
   * ARN segments as IAM documents (see iam-policy.ts).
   * @default 'crosses-colons'
   */
  readonly wildcardReading?: WildcardReading;
  /**
   * How long the gateway waits for a Lambda authorizer, ms, from the call (cold start and a wait
   * for an instance included): API Gateway's 10 s. Shorter only for tests.
   * @default 10000
   */
  readonly authorizerTimeoutMs?: number;
  /**
   * How long the gateway waits for an integration, ms, unless the integration's own
   * `TimeoutInMillis` is shorter: HTTP APIs' 30 s maximum. Shorter only for tests.
   * @default 30000
   */
  readonly integrationTimeoutMs?: number;
}

/**
 * HTTP API quotas: "Timeout for Lambda authorizer response: 10000 ms" and "Maximum integration
 * timeout: 30 seconds" (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html).
 */
const AUTHORIZER_LIMIT_MS = 10_000;
const INTEGRATION_LIMIT_MS = 30_000;
/**
 * HTTP API quotas (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html):
 * "Total combined size of request line and header values: 10240 bytes" and "Payload size: 10 MB".
 */
export const REQUEST_LINE_AND_HEADER_VALUES_LIMIT = 10_240;
export const PAYLOAD_LIMIT = 10 * 1024 * 1024;
/** Node's own header limit, set above the quota so that the gateway answers oversized requests itself. */
const NODE_MAX_HEADER_SIZE = 64 * 1024;
const STAGE = '$default';

export interface GatewayRequest {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly rawQueryString: string;
  /** Lower-cased names; repeated headers joined with commas, as API Gateway does. */
  readonly headers: Readonly<Record<string, string>>;
  /** Each header's values in the order received (payload 1.0 `multiValueHeaders`); derived from `headers` when absent. */
  readonly multiValueHeaders?: Readonly<Record<string, readonly string[]>>;
  /** Names and values as received, alternating (Node's `rawHeaders`): REST events keep the client's casing. */
  readonly rawHeaders?: readonly string[];
  readonly cookies: readonly string[];
  readonly body: Buffer;
  readonly sourceIp: string;
  readonly time: Date;
}

/** What an authorizer answered: a simple yes/no, or an IAM policy evaluated per request ARN. */
interface AuthorizerAnswer {
  readonly isAuthorized?: boolean;
  readonly policy?: readonly PolicyStatement[];
  readonly principalId?: string;
  readonly context: Readonly<Record<string, unknown>>;
}

interface CachedAnswer extends AuthorizerAnswer {
  readonly expiresAt: number;
}

interface Decision {
  readonly isAuthorized: boolean;
  readonly context: Readonly<Record<string, unknown>>;
  readonly principalId?: string;
}

/** A template the emulator will not run, because API Gateway would not accept it. */
export class GatewayConfigurationError extends Error {
  readonly code = 'LOCAL_GATEWAY_CONFIGURATION';
  override readonly name = 'GatewayConfigurationError';
}

/**
 * Headers API Gateway reserves: "You can't configure request or response mappings for these headers"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-parameter-mapping.html#http-api-mapping-reserved-headers).
 */
const RESERVED_HEADERS = [
  'access-control-*',
  'apigw-*',
  'authorization',
  'connection',
  'content-encoding',
  'content-length',
  'content-location',
  'forwarded',
  'keep-alive',
  'origin',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailers',
  'transfer-encoding',
  'upgrade',
  'x-amz-*',
  'x-amzn-*',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'via',
];

export function isReservedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED_HEADERS.some((reserved) => (reserved.endsWith('*') ? lower.startsWith(reserved.slice(0, -1)) : lower === reserved));
}

/**
 * Refuses, at start-up, what API Gateway refuses when the template is deployed: a request
 * parameter mapping that writes a reserved header; simple responses on a payload 1.0 authorizer
 * ("simple responses" are a 2.0 feature); a REQUEST authorizer without a payload format version
 * or with one other than 1.0 or 2.0; an identity source that is not a header, query string,
 * `$context` or `$stageVariables` value (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html).
 */
export function validateHttpApi(api: LocalHttpApi): void {
  for (const route of api.routes) {
    const integration = route.integration;
    const where = `route "${route.routeKey}" (integration ${integration.logicalId ?? integration.url ?? integration.functionId ?? 'inline'})`;
    for (const key of Object.keys(integration.requestParameters)) {
      const header = /^(?:overwrite|append|remove):header\.(.+)$/i.exec(key)?.[1];
      if (header !== undefined && isReservedHeader(header))
        throw new GatewayConfigurationError(
          `${where}: request parameter mapping "${key}" writes the reserved header ${header}; API Gateway does not allow mappings for reserved headers (see "Reserved headers" in the HTTP API parameter mapping guide)`,
        );
    }
    if (integration.type === 'AWS_PROXY' && !['1.0', '2.0'].includes(integration.payloadFormatVersion ?? '2.0'))
      throw new GatewayConfigurationError(`${where}: PayloadFormatVersion must be 1.0 or 2.0, got ${integration.payloadFormatVersion}`);
    const authorizer = route.authorizer;
    if (authorizer === undefined) continue;
    if (authorizer.payloadFormatVersion === '')
      throw new GatewayConfigurationError(
        `authorizer ${authorizer.logicalId}: AuthorizerPayloadFormatVersion is missing; API Gateway requires it for a Lambda REQUEST authorizer (1.0 or 2.0)`,
      );
    for (const source of authorizer.identitySources) {
      if (!/^\$(request\.(header|querystring)\.[^.]|context\.|stageVariables\.)/.test(source))
        throw new GatewayConfigurationError(
          `authorizer ${authorizer.logicalId}: identity source ${JSON.stringify(source)} is not a $request.header, $request.querystring, $context or $stageVariables value; API Gateway does not take it (a path parameter cannot be an identity source)`,
        );
    }
    if (!['1.0', '2.0'].includes(authorizer.payloadFormatVersion))
      throw new GatewayConfigurationError(
        `authorizer ${authorizer.logicalId}: AuthorizerPayloadFormatVersion must be 1.0 or 2.0, got ${authorizer.payloadFormatVersion}`,
      );
    if (authorizer.simpleResponses && authorizer.payloadFormatVersion !== '2.0')
      throw new GatewayConfigurationError(
        `authorizer ${authorizer.logicalId}: EnableSimpleResponses requires AuthorizerPayloadFormatVersion 2.0, got ${authorizer.payloadFormatVersion}`,
      );
  }
}

export class LocalHttpApiGateway {
  /** How many times a Lambda authorizer was invoked (not answered from the gateway cache). */
  authorizerInvocations = 0;
  private readonly server = http.createServer({ maxHeaderSize: NODE_MAX_HEADER_SIZE }, (request, response) => {
    this.handle(request, response).catch((error: unknown) => {
      process.stderr.write(`local gateway: ${(error as Error).stack}\n`);
      if (!response.headersSent) json(response, 500, { message: 'Internal Server Error' });
    });
  });
  private readonly decisions = new Map<string, CachedAnswer>();
  private readonly region: string;
  url = '';

  constructor(private readonly options: GatewayOptions) {
    validateHttpApi(options.api);
    this.region = options.region ?? 'us-east-1';
  }

  async start(): Promise<string> {
    await listen(this.server, this.options.port ?? 0);
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  /** Forgets cached authorizer decisions (as a redeployment would). */
  clearCache(): void {
    this.decisions.clear();
  }

  private async handle(incoming: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const read = await readRequest(incoming);
    if ('status' in read) return json(response, read.status, { message: read.message }, { connection: 'close' });
    const request = read;
    // One trailing slash is not part of the route (`/echo/` selects `GET /echo`); the event keeps the path as sent.
    const match = selectRoute(this.options.api.routes, request.method, routingPath(request.path));
    if (match === undefined) return json(response, 404, { message: 'Not Found' });
    const { route, pathParameters } = match;

    let authorizer: Decision | undefined;
    if (route.authorizer !== undefined) {
      const decision = await this.authorize(route.authorizer, route, request, pathParameters);
      if (decision === 'arn-too-long') return json(response, 414, { message: 'Request-URI Too Long' });
      if (decision === 'unauthorized') return json(response, 401, { message: 'Unauthorized' });
      if (decision === 'error') return json(response, 500, { message: 'Internal Server Error' });
      if (!decision.isAuthorized) return json(response, 403, { message: 'Forbidden' });
      authorizer = decision;
    }
    const authorizerContext = authorizer?.context ?? {};

    if (route.integration.type === 'AWS_PROXY') {
      const runner = this.runner(route.integration.functionId as string);
      const v1 = route.integration.payloadFormatVersion === '1.0';
      const event = v1
        ? proxyEventV1(route, request, pathParameters, authorizer && this.authorizerV1(authorizer), bodyOf(request), {
            ...this.v1Context(request),
            domainName: request.headers.host ?? '127.0.0.1',
            requestTimeEpoch: request.time.getTime(),
          })
        : this.proxyEvent(route, request, pathParameters, authorizerContext);
      const result = await runner.invoke(event, this.integrationLimitMs(route));
      // Past the integration timeout: 503, as HTTP APIs answer it; a function error or a throttle: 500.
      if (!result.ok && result.errorType === INVOCATION_ERRORS.callerTimeout)
        return json(response, 503, { message: 'Service Unavailable' });
      if (!result.ok) return json(response, 500, { message: 'Internal Server Error' });
      return v1 ? writeProxyResultV1(response, result.result) : writeProxyResult(response, result.result);
    }
    const mapped = applyParameterMapping(route.integration.requestParameters, request, route, pathParameters, authorizerContext);
    const target = integrationTarget(
      route,
      route.integration.url as string,
      request.path,
      pathParameters,
      mapped.pathOverwritten ? mapped.path : undefined,
    );
    forwardedHeaders(mapped.headers, request, incoming.socket.localAddress ?? '127.0.0.1');
    return proxyHttp(response, target, request, mapped, this.integrationLimitMs(route));
  }

  private integrationLimitMs(route: LocalRoute): number {
    return Math.min(this.options.integrationTimeoutMs ?? INTEGRATION_LIMIT_MS, route.integration.timeoutMs ?? INTEGRATION_LIMIT_MS);
  }

  /** Payload 1.0 integrations see the authorizer's context keys and principal in `requestContext.authorizer`. */
  private authorizerV1(decision: Decision): Record<string, unknown> {
    return { ...decision.context, ...(decision.principalId === undefined ? {} : { principalId: decision.principalId }) };
  }

  private v1Context(request: GatewayRequest) {
    return { accountId: ACCOUNT_ID, apiId: API_ID, stage: STAGE, requestTime: formatRequestTime(request.time) };
  }

  /**
   * Runs the route's Lambda authorizer, or answers from the cache. API Gateway caches "using the
   * authorizer's identity sources as the cache key", and "to enable caching, your authorizer must have
   * at least one identity source" (http-api-lambda-authorizer.html, "Caching authorizer responses"):
   * without an identity source nothing is cached, whatever the TTL. An IAM policy answer is cached
   * as a policy and evaluated against each request's ARN.
   */
  private async authorize(
    authorizer: LocalAuthorizer,
    route: LocalRoute,
    request: GatewayRequest,
    pathParameters: Record<string, string>,
  ): Promise<Decision | 'unauthorized' | 'error' | 'arn-too-long'> {
    const arn = methodArn(this.region, STAGE, request.method, request.path);
    if (isMethodArnTooLong(arn)) return 'arn-too-long';
    const values = authorizer.identitySources.map((source) => evaluate(source, request, route, pathParameters, {}));
    if (values.some((value) => value === undefined || value === '')) return 'unauthorized';
    const identityValues = values as string[];
    const cacheable = authorizer.resultTtlSeconds > 0 && authorizer.identitySources.length > 0;
    const key = cacheKey(authorizer.logicalId, identityValues);
    let answer: AuthorizerAnswer | undefined = cacheable ? this.decisions.get(key) : undefined;
    if (answer !== undefined && (answer as CachedAnswer).expiresAt <= Date.now()) answer = undefined;

    if (answer === undefined) {
      this.authorizerInvocations += 1;
      const event =
        authorizer.payloadFormatVersion === '1.0'
          ? authorizerEventV1(route, request, pathParameters, identityValues, arn, this.v1Context(request))
          : {
              version: '2.0',
              type: 'REQUEST',
              routeArn: arn,
              identitySource: identityValues,
              ...requestFields(route, request, pathParameters),
              requestContext: this.requestContext(route, request),
            };
      // Any failure — an error, a malformed answer, a throttle, no answer within the limit — is 500.
      const result = await this.runner(authorizer.functionId).invoke(event, this.options.authorizerTimeoutMs ?? AUTHORIZER_LIMIT_MS);
      if (!result.ok) return 'error';
      const read = readAuthorizerAnswer(authorizer, result.result);
      if (read === undefined) return 'error';
      answer = read;
      if (cacheable) this.decisions.set(key, { ...read, expiresAt: Date.now() + authorizer.resultTtlSeconds * 1000 });
    }
    const isAuthorized =
      answer.policy === undefined ? answer.isAuthorized === true : policyAllows(answer.policy, arn, this.options.wildcardReading);
    return { isAuthorized, context: answer.context, ...(answer.principalId === undefined ? {} : { principalId: answer.principalId }) };
  }

  private requestContext(route: LocalRoute, request: GatewayRequest) {
    return {
      accountId: ACCOUNT_ID,
      apiId: API_ID,
      domainName: request.headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method: request.method,
        path: request.path,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: request.headers['user-agent'] ?? '',
      },
      requestId: request.requestId,
      routeKey: route.routeKey,
      stage: STAGE,
      time: formatRequestTime(request.time),
      timeEpoch: request.time.getTime(),
    };
  }

  private proxyEvent(
    route: LocalRoute,
    request: GatewayRequest,
    pathParameters: Record<string, string>,
    authorizerContext: Readonly<Record<string, unknown>>,
  ) {
    const { body, isBase64Encoded } = bodyOf(request);
    return {
      version: '2.0',
      ...requestFields(route, request, pathParameters),
      requestContext: {
        ...this.requestContext(route, request),
        ...(route.authorizer === undefined ? {} : { authorizer: { lambda: authorizerContext } }),
      },
      ...(body === null ? {} : { body }),
      isBase64Encoded,
    };
  }

  private runner(functionId: string): LambdaRunner {
    const runner = this.options.runners.get(functionId);
    if (runner === undefined) throw new Error(`no runner for function ${functionId}`);
    return runner;
  }
}

/**
 * Reads a request within the HTTP API quotas: more than 10,240 bytes of request line and header
 * values → 431, a body over 10 MB → 413 (the quotas page gives the limits, not the answers; these
 * are HTTP's statuses for them, RFC 6585 §5 and RFC 9110 §15.5.14). A path whose percent-encoding
 * does not decode → 400: API Gateway "decodes URL-encoded request parameters" (http-api-develop-routes.html),
 * and such a path cannot be decoded.
 */
export async function readRequest(incoming: http.IncomingMessage): Promise<GatewayRequest | { status: number; message: string }> {
  const requestLine = `${incoming.method ?? ''} ${incoming.url ?? ''} HTTP/${incoming.httpVersion}`;
  let size = Buffer.byteLength(requestLine);
  for (let i = 1; i < incoming.rawHeaders.length; i += 2) size += Buffer.byteLength(incoming.rawHeaders[i] as string);
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of incoming) {
    received += (chunk as Buffer).length;
    if (received > 2 * PAYLOAD_LIMIT) {
      incoming.socket.destroy();
      break;
    }
    if (received <= PAYLOAD_LIMIT) chunks.push(chunk as Buffer);
  }
  if (size > REQUEST_LINE_AND_HEADER_VALUES_LIMIT) return { status: 431, message: 'Request Header Fields Too Large' };
  if (received > PAYLOAD_LIMIT) return { status: 413, message: 'Request Entity Too Large' };
  // The request target as sent: a path that starts with // is a path, not a host (WHATWG URL would read `//x` as one).
  const target = incoming.url ?? '/';
  const url = target.startsWith('/') ? new URL(`http://local${target}`) : new URL(target, 'http://local');
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return { status: 400, message: 'Bad Request' };
  }
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const cookies: string[] = [];
  for (let i = 0; i < incoming.rawHeaders.length; i += 2) {
    const name = (incoming.rawHeaders[i] as string).toLowerCase();
    const value = incoming.rawHeaders[i + 1] as string;
    if (name === 'cookie') {
      cookies.push(...value.split(/;\s*/));
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  return {
    requestId: randomUUID(),
    method: incoming.method ?? 'GET',
    path,
    rawQueryString: url.search.slice(1),
    headers,
    multiValueHeaders,
    rawHeaders: incoming.rawHeaders,
    cookies,
    body: Buffer.concat(chunks),
    sourceIp: incoming.socket.remoteAddress ?? '127.0.0.1',
    time: new Date(),
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `requestContext.time` / `requestTime` as API Gateway writes it: `12/Mar/2020:19:03:58 +0000`. */
export function formatRequestTime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

/** Reads what the authorizer returned; undefined (→ 500) when it is not the shape its configuration expects. */
function readAuthorizerAnswer(authorizer: LocalAuthorizer, answer: unknown): AuthorizerAnswer | undefined {
  if (answer === null || typeof answer !== 'object') return undefined;
  const { context, principalId } = answer as { context?: unknown; principalId?: unknown };
  if (context !== undefined && context !== null && typeof context !== 'object') return undefined;
  const shared = {
    context: (context ?? {}) as Record<string, unknown>,
    ...(typeof principalId === 'string' ? { principalId } : {}),
  };
  if (authorizer.simpleResponses) {
    const { isAuthorized } = answer as { isAuthorized?: unknown };
    return typeof isAuthorized === 'boolean' ? { ...shared, isAuthorized } : undefined;
  }
  const policy = readPolicy(answer);
  return policy === undefined ? undefined : { ...shared, policy };
}

function bodyOf(request: GatewayRequest): { body: string | null; isBase64Encoded: boolean } {
  if (request.body.length === 0) return { body: null, isBase64Encoded: false };
  const text = isText(request.headers['content-type']);
  return { body: text ? request.body.toString('utf8') : request.body.toString('base64'), isBase64Encoded: !text };
}

/** The request fields payload 2.0 authorizer and proxy events share; empty ones are left out, as API Gateway does. */
function requestFields(route: LocalRoute, request: GatewayRequest, pathParameters: Readonly<Record<string, string>>) {
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(request.rawQueryString)) query[name] = name in query ? `${query[name]},${value}` : value;
  return {
    routeKey: route.routeKey,
    rawPath: request.path,
    rawQueryString: request.rawQueryString,
    ...(request.cookies.length > 0 ? { cookies: request.cookies } : {}),
    headers: request.headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
  };
}

/**
 * Evaluates an identity source or a mapping value: `$request.header.x`, `$request.querystring.x`,
 * `$request.path`, `$request.path.x`, `$context.<variable>` (routeKey, requestId, httpMethod, path,
 * stage, identity.sourceIp, …) and `$context.authorizer.x`, in `$x` or `${x}` form, mixed with static text.
 */
export function evaluate(
  expression: string,
  request: GatewayRequest,
  route: LocalRoute,
  pathParameters: Readonly<Record<string, string>>,
  authorizerContext: Readonly<Record<string, unknown>>,
): string | undefined {
  let missing = false;
  const value = expression.replace(/\$\{?((?:request|context|stageVariables)\.[A-Za-z0-9._-]*[A-Za-z0-9_-])\}?/g, (_, path: string) => {
    const resolved = lookUp(path, request, route, pathParameters, authorizerContext);
    if (resolved === undefined) missing = true;
    return resolved ?? '';
  });
  return missing ? undefined : value;
}

function lookUp(
  path: string,
  request: GatewayRequest,
  route: LocalRoute,
  pathParameters: Readonly<Record<string, string>>,
  authorizerContext: Readonly<Record<string, unknown>>,
): string | undefined {
  const [source, kind, ...rest] = path.split('.');
  const name = rest.join('.');
  if (source === 'request' && kind === 'header') return request.headers[name.toLowerCase()];
  if (source === 'request' && kind === 'querystring')
    return new URLSearchParams(request.rawQueryString).getAll(name).join(',') || undefined;
  if (source === 'request' && kind === 'path') return name === '' ? request.path : pathParameters[name];
  if (source === 'context' && kind !== 'authorizer') {
    // The request's own $context variables (http-api-logging-variables.html); the authorizer's below.
    const variables: Record<string, string | undefined> = {
      routeKey: route.routeKey,
      requestId: request.requestId,
      extendedRequestId: request.requestId,
      accountId: ACCOUNT_ID,
      apiId: API_ID,
      stage: STAGE,
      httpMethod: request.method,
      path: request.path,
      protocol: 'HTTP/1.1',
      domainName: request.headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      requestTime: formatRequestTime(request.time),
      requestTimeEpoch: String(request.time.getTime()),
      'identity.sourceIp': request.sourceIp,
      'identity.userAgent': request.headers['user-agent'],
    };
    return variables[[kind, ...rest].join('.')];
  }
  if (source === 'context' && kind === 'authorizer') {
    const value = authorizerContext[name];
    return value === undefined ? undefined : String(value);
  }
  return undefined;
}

/**
 * HTTP API request parameter mapping for HTTP integrations: `overwrite:` / `append:` / `remove:`
 * on `header.<name>` and `querystring.<name>`, and `overwrite:path`. Returns the headers and URL
 * parts to send.
 */
export function applyParameterMapping(
  parameters: Readonly<Record<string, string>>,
  request: GatewayRequest,
  route: LocalRoute,
  pathParameters: Readonly<Record<string, string>>,
  authorizerContext: Readonly<Record<string, unknown>>,
): { headers: Record<string, string>; path: string; pathOverwritten: boolean; query: URLSearchParams } {
  const headers: Record<string, string> = { ...request.headers };
  const query = new URLSearchParams(request.rawQueryString);
  let path = request.path;
  let pathOverwritten = false;
  for (const [key, expression] of Object.entries(parameters)) {
    const [action, target] = key.split(':') as [string, string];
    const value = evaluate(expression, request, route, pathParameters, authorizerContext) ?? '';
    if (target === 'path') {
      path = value;
      pathOverwritten = true;
      continue;
    }
    const [kind, ...nameParts] = target.split('.');
    const name = nameParts.join('.');
    if (kind === 'header') {
      const header = name.toLowerCase();
      if (action === 'remove') delete headers[header];
      else if (action === 'append' && headers[header] !== undefined) headers[header] = `${headers[header]},${value}`;
      else headers[header] = value;
    } else if (kind === 'querystring') {
      if (action === 'remove') query.delete(name);
      else if (action === 'append') query.append(name, value);
      else query.set(name, value);
    }
  }
  return { headers, path, pathOverwritten, query };
}

/**
 * "HTTP APIs translate incoming X-Forwarded-* headers into a standard Forwarded header and will
 * append the egress IP, host and protocol" (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-known-issues.html):
 * each address of the client's X-Forwarded-For becomes a `for=` element (its X-Forwarded-Host and
 * -Proto on the last of them), then this hop's element; the X-Forwarded-* headers themselves are
 * not passed on, nor a client's own `Forwarded` (a reserved header).
 */
export function forwardedHeaders(headers: Record<string, string>, request: GatewayRequest, localAddress: string): void {
  const quoted = (value: string) => (/^[A-Za-z0-9._-]+$/.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`);
  const elements = (request.headers['x-forwarded-for'] ?? '')
    .split(',')
    .map((address) => address.trim())
    .filter((address) => address !== '')
    .map((address) => `for=${quoted(address)}`);
  const clientHost = request.headers['x-forwarded-host'];
  const clientProto = request.headers['x-forwarded-proto'];
  if (elements.length > 0 && clientHost !== undefined) elements[elements.length - 1] += `;host=${quoted(clientHost)}`;
  if (elements.length > 0 && clientProto !== undefined) elements[elements.length - 1] += `;proto=${quoted(clientProto)}`;
  elements.push(
    `by=${quoted(localAddress)};for=${quoted(request.sourceIp)};host=${quoted(request.headers.host ?? localAddress)};proto=http`,
  );
  for (const name of ['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'forwarded']) delete headers[name];
  headers.forwarded = elements.join(', ');
}

/**
 * The URL an HTTP proxy integration is called at: the integration URI with its `{name}` path
 * variables replaced by the route's (`{proxy}` by a `{proxy+}` match, slashes kept)
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-http.html);
 * for the `$default` route, the request's whole path appended to the URI's; an `overwrite:path`
 * mapping replaces the path altogether
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-parameter-mapping.html).
 */
export function integrationTarget(
  route: LocalRoute,
  integrationUrl: string,
  requestPath: string,
  pathParameters: Readonly<Record<string, string>>,
  overwrittenPath: string | undefined,
): string {
  const url = new URL(
    integrationUrl.replace(/\{([^}+]+)\}/g, (placeholder, name: string) =>
      name in pathParameters ? (pathParameters[name] as string).split('/').map(encodeURIComponent).join('/') : placeholder,
    ),
  );
  if (overwrittenPath !== undefined) url.pathname = overwrittenPath;
  else if (route.routeKey === '$default') url.pathname = `${url.pathname.replace(/\/$/, '')}${requestPath}`;
  return url.toString();
}

function proxyHttp(
  response: http.ServerResponse,
  integrationUrl: string,
  request: GatewayRequest,
  mapped: { headers: Record<string, string>; path: string; query: URLSearchParams },
  timeoutMs: number,
): Promise<void> {
  const target = new URL(integrationUrl);
  const query = mapped.query.toString();
  if (query !== '') target.search = query;
  const headers: Record<string, string> = { ...mapped.headers, host: target.host };
  delete headers['content-length'];
  return new Promise((resolve) => {
    const upstream = http.request(target, {
      method: request.method,
      headers: { ...headers, 'content-length': String(request.body.length) },
    });
    // The whole exchange, not only an idle socket, is bounded by the integration timeout.
    const timer = setTimeout(() => upstream.destroy(new Error('integration timeout')), timeoutMs);
    upstream.on('response', (answer) => {
      clearTimeout(timer);
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response).on('finish', resolve);
    });
    upstream.on('error', () => {
      clearTimeout(timer);
      if (!response.headersSent) json(response, 503, { message: 'Service Unavailable' });
      resolve();
    });
    upstream.end(request.body);
  });
}

function writeProxyResult(response: http.ServerResponse, result: unknown): void {
  if (result === null || typeof result !== 'object' || !('statusCode' in result)) {
    // Payload 2.0: a result without statusCode is the JSON body of a 200.
    json(response, 200, result ?? null);
    return;
  }
  const { statusCode, headers, body, isBase64Encoded, cookies } = result as {
    statusCode: number;
    headers?: Record<string, string>;
    body?: string;
    isBase64Encoded?: boolean;
    cookies?: string[];
  };
  response.writeHead(statusCode, { ...headers, ...(cookies ? { 'set-cookie': cookies } : {}) });
  response.end(body === undefined ? undefined : Buffer.from(body, isBase64Encoded ? 'base64' : 'utf8'));
}

/** Payload 1.0: the function must answer `{ statusCode, headers, multiValueHeaders, body, isBase64Encoded }`. */
function writeProxyResultV1(response: http.ServerResponse, result: unknown): void {
  if (result === null || typeof result !== 'object' || typeof (result as { statusCode?: unknown }).statusCode !== 'number') {
    json(response, 500, { message: 'Internal Server Error' });
    return;
  }
  const { statusCode, headers, multiValueHeaders, body, isBase64Encoded } = result as {
    statusCode: number;
    headers?: Record<string, string>;
    multiValueHeaders?: Record<string, string[]>;
    body?: string | null;
    isBase64Encoded?: boolean;
  };
  const merged: Record<string, string | string[]> = { ...headers };
  for (const [name, values] of Object.entries(multiValueHeaders ?? {})) merged[name] = values;
  response.writeHead(statusCode, merged);
  response.end(body === undefined || body === null ? undefined : Buffer.from(body, isBase64Encoded ? 'base64' : 'utf8'));
}

function json(response: http.ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', 'apigw-requestid': randomUUID(), ...extra }).end(JSON.stringify(body));
}

function isText(contentType: string | undefined): boolean {
  return contentType === undefined || /^(text\/|application\/(json|xml|x-www-form-urlencoded|.*\+json|.*\+xml))/i.test(contentType);
}
