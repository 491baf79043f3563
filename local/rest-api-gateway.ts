import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { cacheKey } from './authorizer-cache-key.js';
import { type GatewayRequest, readRequest } from './http-api-gateway.js';
import { closeServer, listen } from './http-server.js';
import { type PolicyStatement, policyDecision, readPolicy, type WildcardReading } from './iam-policy.js';
import { INVOCATION_ERRORS, type LambdaRunner } from './lambda-runner.js';
import { ACCOUNT_ID, API_ID, methodArn as arnOf, isMethodArnTooLong } from './method-arn.js';
import { headerOf, type RestEventContext, restAuthorizerEvent, restHeaderValues, restProxyEvent } from './rest-events.js';
import { resourcePolicyDenies } from './rest-resource-policy.js';
import { selectRestMethod } from './rest-resource-selection.js';
import type { LocalRestApi, LocalRestAuthorizer, LocalRestIntegration, LocalRestMethod } from './rest-template.js';
import { routingPath } from './routing-path.js';

/**
 * A local stand-in for an API Gateway REST API, driven by a synthesized template, served under its
 * stage (`http://127.0.0.1:3002/prod/echo`). For each request, in API Gateway's order (see the
 * README's "Emulation honesty" for the pages and for what it leaves out):
 *
 * 1. the stage and resource: an unknown stage → 403 `{"message":"Forbidden"}`; the resource tree
 *    walked as REST does (rest-resource-selection.ts), no method there → MISSING_AUTHENTICATION_TOKEN (403);
 * 2. the Lambda REQUEST authorizer: an identity source missing or empty → UNAUTHORIZED (401)
 *    without invoking it; an event shaped like AWS's REST sample; the function failing with
 *    `Unauthorized` → UNAUTHORIZED (401); any other failure, a run past the limit, or an answer
 *    that is not a policy with a string principalId and flat context → AUTHORIZER_CONFIGURATION_ERROR
 *    (500); the policy evaluated against the method ARN (explicit Deny wins) → ACCESS_DENIED (403)
 *    unless allowed; policy and context cached by identity-source values for the TTL;
 * 3. the request validator: a required request parameter missing → BAD_REQUEST_PARAMETERS (400);
 * 4. the integration request parameter mapping (`integration.request.header|querystring|path.*` ←
 *    `method.request.*`, `context.*` incl. `context.authorizer.*`, or a `'static'` value);
 * 5. the integration: Lambda proxy, HTTP proxy, or HTTP (non-proxy, body passed through).
 *
 * Every error answer is a gateway response: the template's own for its type (status code and
 * headers, `WWW-Authenticate` among them), else — only when that type is not customized —
 * DEFAULT_4XX / DEFAULT_5XX, else API Gateway's default.
 */
export interface RestGatewayOptions {
  readonly api: LocalRestApi;
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
   * for an instance included). Shorter only for tests.
   * @default 29000
   */
  readonly authorizerTimeoutMs?: number;
  /**
   * How long the gateway waits for an integration, ms, unless the integration's own
   * `TimeoutInMillis` is shorter. Shorter only for tests.
   * @default 29000
   */
  readonly integrationTimeoutMs?: number;
}

/**
 * REST APIs' default integration timeout, "50 milliseconds - 29 seconds"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html),
 * also applied to the authorizer function, for which no REST limit is documented.
 */
const INTEGRATION_TIMEOUT_MS = 29_000;

/**
 * Gateway response types, their default status codes and `$context.error.messageString`
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html).
 */
const DEFAULT_RESPONSES: Readonly<Record<string, { status: number; message: string | null; errorType: string }>> = {
  ACCESS_DENIED: { status: 403, message: 'User is not authorized to access this resource', errorType: 'AccessDeniedException' },
  AUTHORIZER_CONFIGURATION_ERROR: { status: 500, message: null, errorType: 'AuthorizerConfigurationException' },
  BAD_REQUEST_PARAMETERS: { status: 400, message: 'Missing required request parameters', errorType: 'BadRequestException' },
  INVALID_API_KEY: { status: 403, message: 'Invalid API Key identifier specified', errorType: 'ForbiddenException' },
  INTEGRATION_FAILURE: { status: 504, message: 'Internal server error', errorType: 'InternalServerErrorException' },
  INTEGRATION_TIMEOUT: { status: 504, message: 'Endpoint request timed out', errorType: 'InternalServerErrorException' },
  MISSING_AUTHENTICATION_TOKEN: { status: 403, message: 'Missing Authentication Token', errorType: 'MissingAuthenticationTokenException' },
  REQUEST_TOO_LARGE: { status: 413, message: 'Request Too Long', errorType: 'RequestTooLargeException' },
  UNAUTHORIZED: { status: 401, message: 'Unauthorized', errorType: 'UnauthorizedException' },
  DEFAULT_4XX: { status: 400, message: 'Bad Request', errorType: 'BadRequestException' },
  DEFAULT_5XX: { status: 502, message: 'Internal server error', errorType: 'InternalServerErrorException' },
  /** Not a gateway response type: a method ARN over 1,600 bytes (method-arn.ts), which only DEFAULT_4XX customizes. */
  METHOD_ARN_TOO_LONG: { status: 414, message: 'Request-URI Too Long', errorType: 'BadRequestException' },
  /** Not a gateway response type: a Lambda integration throttled, which only DEFAULT_5XX customizes. */
  LAMBDA_THROTTLED: { status: 500, message: 'Internal server error', errorType: 'InternalServerErrorException' },
};

/** What an authorizer answered, as cached: the policy is evaluated against each request's method ARN. */
interface AuthorizerAnswer {
  readonly policy: readonly PolicyStatement[];
  readonly principalId: string;
  readonly context: Readonly<Record<string, string | number | boolean>>;
  readonly expiresAt: number;
}

type Authorization =
  | { readonly outcome: 'allow'; readonly context: Readonly<Record<string, unknown>> }
  | { readonly outcome: 'response'; readonly type: string; readonly message?: string | null };

/** Everything a mapping expression can read: the request, the method and the authorizer's answer. */
interface MappingSources {
  readonly request: GatewayRequest;
  readonly method: LocalRestMethod | undefined;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly authorizer: Readonly<Record<string, unknown>>;
  readonly stage: string;
}

export class LocalRestApiGateway {
  /** How many times a Lambda authorizer was invoked (not answered from the gateway cache). */
  authorizerInvocations = 0;
  private readonly server = http.createServer({ maxHeaderSize: 64 * 1024 }, (request, response) => {
    this.handle(request, response).catch((error: unknown) => {
      process.stderr.write(`local REST gateway: ${(error as Error).stack}\n`);
      if (!response.headersSent) writeJson(response, 500, { message: 'Internal server error' });
    });
  });
  private readonly cache = new Map<string, AuthorizerAnswer>();
  private readonly region: string;
  /** The stage's base URL, `http://127.0.0.1:<port>/<stage>`, as the RestApiUrl output (without its trailing slash). */
  url = '';

  constructor(private readonly options: RestGatewayOptions) {
    this.region = options.region ?? 'us-east-1';
  }

  async start(): Promise<string> {
    await listen(this.server, this.options.port ?? 0);
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/${this.options.api.stageName}`;
    return this.url;
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  /** Forgets cached authorizer answers (as flushing the stage's authorizer cache would). */
  clearCache(): void {
    this.cache.clear();
  }

  private async handle(incoming: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const stage = this.options.api.stageName;
    const read = await readRequest(incoming);
    if ('status' in read) {
      const type = read.status === 413 ? 'REQUEST_TOO_LARGE' : 'DEFAULT_4XX';
      return writeJson(response, read.status, { message: read.message }, { connection: 'close', 'x-amzn-errortype': errorTypeOf(type) });
    }
    const prefix = `/${stage}`;
    if (read.path !== prefix && !read.path.startsWith(`${prefix}/`)) return writeJson(response, 403, { message: 'Forbidden' });
    const request: GatewayRequest = { ...read, path: read.path.slice(prefix.length) || '/' };
    const sources = (method: LocalRestMethod | undefined, pathParameters: Record<string, string>, authorizer = {}) => ({
      request,
      method,
      pathParameters,
      authorizer,
      stage,
    });

    const match = selectRestMethod(this.options.api.methods, this.options.api.resources ?? [], request.method, routingPath(request.path));
    if (match === undefined) return this.gatewayResponse(response, 'MISSING_AUTHENTICATION_TOKEN', sources(undefined, {}));
    const { route: method, pathParameters } = match;
    // The resource policy's explicit denies come before the authorizer.
    const arn = arnOf(this.region, stage, request.method, request.path);
    if (resourcePolicyDenies(this.options.api.resourcePolicy, arn, this.options.wildcardReading))
      return this.gatewayResponse(
        response,
        'ACCESS_DENIED',
        sources(method, pathParameters),
        `User: anonymous is not authorized to perform: execute-api:Invoke on resource: ${arn} with an explicit deny`,
      );

    let authorizerContext: Readonly<Record<string, unknown>> = {};
    if (method.authorizer !== undefined) {
      const result = await this.authorize(method.authorizer, method, request, pathParameters);
      if (result.outcome === 'response')
        return this.gatewayResponse(response, result.type, sources(method, pathParameters), result.message);
      authorizerContext = result.context;
    }
    const mappingSources = sources(method, pathParameters, authorizerContext);

    // ApiKeyRequired, key source HEADER: an `x-api-key` the API knows, else the INVALID_API_KEY gateway
    // response (403), with the body `{"message":"Forbidden"}` a missing or unknown key is answered.
    if (method.apiKeyRequired === true && !(this.options.api.apiKeys ?? []).includes(headerOf(request, 'x-api-key') ?? ''))
      return this.gatewayResponse(response, 'INVALID_API_KEY', mappingSources, 'Forbidden');

    if (method.validateRequestParameters) {
      const missing = Object.entries(method.requestParameters)
        .filter(([expression, required]) => required && (evaluateRest(expression, mappingSources) ?? '') === '')
        .map(([expression]) => expression.split('.').slice(3).join('.'));
      if (missing.length > 0)
        return this.gatewayResponse(
          response,
          'BAD_REQUEST_PARAMETERS',
          mappingSources,
          `Missing required request parameters: [${missing.join(', ')}]`,
        );
    }

    const integration = method.integration;
    if (integration.type === 'AWS_PROXY') return this.invokeLambda(response, integration, method, mappingSources);
    return this.callHttp(response, integration, mappingSources);
  }

  /**
   * Runs the method's authorizer, or answers from the cache. REST caches the authorizer's policy
   * and context keyed by the identity-source values, and evaluates the cached policy against each
   * request's method ARN; a missing or empty identity source is 401 without invoking the function
   * (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html).
   */
  private async authorize(
    authorizer: LocalRestAuthorizer,
    method: LocalRestMethod,
    request: GatewayRequest,
    pathParameters: Record<string, string>,
  ): Promise<Authorization> {
    const stage = this.options.api.stageName;
    const sources = { request, method, pathParameters, authorizer: {}, stage };
    const methodArn = arnOf(this.region, stage, request.method, request.path);
    if (isMethodArnTooLong(methodArn)) return { outcome: 'response', type: 'METHOD_ARN_TOO_LONG' };
    const values = authorizer.identitySources.map((source) => evaluateRest(source, sources));
    if (values.some((value) => value === undefined || value === '')) return { outcome: 'response', type: 'UNAUTHORIZED' };
    const key = cacheKey(authorizer.logicalId, values as string[]);
    let answer = authorizer.resultTtlSeconds > 0 ? this.cache.get(key) : undefined;
    if (answer !== undefined && answer.expiresAt <= Date.now()) answer = undefined;

    if (answer === undefined) {
      this.authorizerInvocations += 1;
      const event = restAuthorizerEvent(request, methodArn, this.eventContext(method, pathParameters));
      // A throttle or no answer within the limit is a failure like any other: 500, never 401 or 403.
      const result = await this.runner(authorizer.functionId).invoke(event, this.options.authorizerTimeoutMs ?? INTEGRATION_TIMEOUT_MS);
      if (!result.ok) {
        // "Unauthorized" is the documented way for the function to have API Gateway answer 401.
        if (result.errorMessage === 'Unauthorized') return { outcome: 'response', type: 'UNAUTHORIZED' };
        return { outcome: 'response', type: 'AUTHORIZER_CONFIGURATION_ERROR' };
      }
      const read = readAnswer(result.result);
      if (read === undefined) return { outcome: 'response', type: 'AUTHORIZER_CONFIGURATION_ERROR' };
      answer = { ...read, expiresAt: Date.now() + authorizer.resultTtlSeconds * 1000 };
      if (authorizer.resultTtlSeconds > 0) this.cache.set(key, answer);
    }
    const decision = policyDecision(answer.policy, methodArn, this.options.wildcardReading);
    if (decision === 'explicit-deny')
      return {
        outcome: 'response',
        type: 'ACCESS_DENIED',
        message: 'User is not authorized to access this resource with an explicit deny',
      };
    if (decision === 'implicit-deny') return { outcome: 'response', type: 'ACCESS_DENIED' };
    // "The returned values are all stringified" (api-gateway-lambda-authorizer-output.html).
    const context = Object.fromEntries(Object.entries(answer.context).map(([key, value]) => [key, String(value)]));
    return { outcome: 'allow', context: { ...context, principalId: answer.principalId } };
  }

  private eventContext(method: LocalRestMethod, pathParameters: Record<string, string>): RestEventContext {
    return {
      accountId: ACCOUNT_ID,
      apiId: API_ID,
      stage: this.options.api.stageName,
      resourcePath: method.path,
      resourceId: method.logicalId,
      pathParameters,
    };
  }

  private async invokeLambda(
    response: http.ServerResponse,
    integration: LocalRestIntegration,
    method: LocalRestMethod,
    sources: MappingSources,
  ): Promise<void> {
    const { request } = sources;
    const authorizer = method.authorizer === undefined ? undefined : { ...sources.authorizer, integrationLatency: 0 };
    const event = restProxyEvent(request, this.eventContext(method, sources.pathParameters), authorizer, bodyOf(request));
    const result = await this.runner(integration.functionId as string).invoke(event, this.integrationLimitMs(integration));
    if (!result.ok && result.errorType === INVOCATION_ERRORS.callerTimeout)
      return this.gatewayResponse(response, 'INTEGRATION_TIMEOUT', sources);
    // Lambda throttled the invocation: 500 "Internal server error"
    // (https://repost.aws/knowledge-center/api-gateway-internal-server-error, "Throttling occurs").
    if (!result.ok && result.errorType === INVOCATION_ERRORS.throttled) return this.gatewayResponse(response, 'LAMBDA_THROTTLED', sources);
    // A function error or an answer that is not a proxy response: 502, "Internal server error".
    const answer = result.ok ? result.result : undefined;
    const statusCode = Number((answer as { statusCode?: unknown } | undefined)?.statusCode);
    if (answer === null || typeof answer !== 'object' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599)
      return this.gatewayResponse(response, 'DEFAULT_5XX', sources);
    const { headers, multiValueHeaders, body, isBase64Encoded } = answer as {
      headers?: Record<string, string>;
      multiValueHeaders?: Record<string, string[]>;
      body?: string | null;
      isBase64Encoded?: boolean;
    };
    const merged: Record<string, string | string[]> = { ...headers };
    for (const [name, values] of Object.entries(multiValueHeaders ?? {})) merged[name] = values;
    response.writeHead(statusCode, { ...remapped(merged), 'x-amzn-requestid': request.requestId });
    response.end(body === undefined || body === null ? undefined : Buffer.from(body, isBase64Encoded ? 'base64' : 'utf8'));
  }

  /**
   * HTTP_PROXY: the client's headers pass through, then the integration request parameters are
   * applied over them (names case-insensitive), so a mapped `Authorization` replaces the client's.
   * HTTP (non-proxy): only mapped headers are sent, the body passes through, and the backend's
   * status is mapped by the integration responses' selection patterns.
   */
  private callHttp(response: http.ServerResponse, integration: LocalRestIntegration, sources: MappingSources): Promise<void> {
    const { request } = sources;
    const proxy = integration.type === 'HTTP_PROXY';
    const headers = new Map<string, [string, string]>();
    if (proxy) {
      for (const [lower, { name, values }] of restHeaderValues(request)) {
        if (HOP_BY_HOP.has(lower)) continue;
        headers.set(lower, [name, values.join(',')]);
      }
    }
    let url = integration.url as string;
    const query = new URLSearchParams(proxy ? request.rawQueryString : '');
    for (const [target, expression] of Object.entries(integration.requestParameters)) {
      const [, kind, ...rest] = /^integration\.request\.(header|querystring|path)\.(.+)$/.exec(target) ?? [];
      const name = rest.join('.');
      if (kind === undefined) continue;
      const value = evaluateRest(expression, sources);
      if (kind === 'header') {
        // A source without a value leaves the parameter out: never the client's value in its place.
        if (value === undefined) headers.delete(name.toLowerCase());
        else headers.set(name.toLowerCase(), [name, value]);
      } else if (kind === 'querystring') {
        if (value === undefined) query.delete(name);
        else query.set(name, value);
      } else {
        url = url.split(`{${name}}`).join(encodeURIComponent(value ?? ''));
      }
    }
    const target = new URL(url);
    if (query.size > 0) target.search = query.toString();
    const outgoing: Record<string, string> = Object.fromEntries([...headers.values()]);
    outgoing.host = target.host;
    if (!proxy && request.headers['content-type'] !== undefined) outgoing['Content-Type'] = request.headers['content-type'];
    outgoing['content-length'] = String(request.body.length);
    const httpMethod = integration.httpMethod === undefined || integration.httpMethod === 'ANY' ? request.method : integration.httpMethod;

    return new Promise((resolve) => {
      const upstream = http.request(target, { method: httpMethod, headers: outgoing, timeout: this.integrationLimitMs(integration) });
      upstream.on('response', (answer) => {
        const status = proxy ? (answer.statusCode ?? 502) : integrationStatus(integration, answer.statusCode ?? 502);
        const passed = proxy
          ? Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !HOP_BY_HOP.has(name)))
          : { 'content-type': 'application/json' };
        response.writeHead(status, { ...remapped(passed), 'x-amzn-requestid': request.requestId });
        answer.pipe(response).on('finish', resolve);
      });
      upstream.on('timeout', () => {
        upstream.destroy();
        if (!response.headersSent) this.gatewayResponse(response, 'INTEGRATION_TIMEOUT', sources);
        resolve();
      });
      upstream.on('error', () => {
        if (!response.headersSent) this.gatewayResponse(response, 'INTEGRATION_FAILURE', sources);
        resolve();
      });
      upstream.end(request.body);
    });
  }

  /**
   * Answers with the API's gateway response of `type` (or DEFAULT_4XX / DEFAULT_5XX, or API
   * Gateway's default): its status code, its `gatewayresponse.header.*` values evaluated against
   * the request, and the default body `{"message":$context.error.messageString}`.
   */
  private gatewayResponse(response: http.ServerResponse, type: string, sources: MappingSources, message?: string | null): void {
    const builtIn = DEFAULT_RESPONSES[type] ?? (DEFAULT_RESPONSES.DEFAULT_5XX as (typeof DEFAULT_RESPONSES)[string]);
    const fallback = builtIn.status < 500 ? 'DEFAULT_4XX' : 'DEFAULT_5XX';
    // DEFAULT_4XX / DEFAULT_5XX apply only "if the response type is unspecified"
    // (supported-gateway-response-types.html): a customized type is used alone, never merged with them.
    const configured = this.options.api.gatewayResponses.get(type) ?? this.options.api.gatewayResponses.get(fallback);
    const status = configured?.statusCode ?? builtIn.status;
    const headers: Record<string, string> = {};
    for (const [name, expression] of Object.entries(configured?.headers ?? {})) {
      const value = evaluateRest(expression, sources);
      if (value !== undefined) headers[name] = value;
    }
    writeJson(
      response,
      status,
      { message: message === undefined ? builtIn.message : message },
      { ...headers, 'x-amzn-errortype': builtIn.errorType, 'x-amzn-requestid': sources.request.requestId },
    );
  }

  private integrationLimitMs(integration: LocalRestIntegration): number {
    return Math.min(this.options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS, integration.timeoutMs ?? INTEGRATION_TIMEOUT_MS);
  }

  private runner(functionId: string): LambdaRunner {
    const runner = this.options.runners.get(functionId);
    if (runner === undefined) throw new Error(`no runner for function ${functionId}`);
    return runner;
  }
}

/** Headers that describe one connection, never forwarded by a proxy (RFC 9110 §7.6.1), and the ones the proxy sets itself. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

/**
 * Evaluates a REST mapping expression: `'static'`; `method.request.header|querystring|path.<name>`
 * (header names case-insensitive, the last value of a repeated one);
 * `method.request.multivalueheader|multivaluequerystring.<name>` (values comma-joined);
 * `context.<name>` incl. `context.authorizer.<key>`; `stageVariables.<name>` (no stage variables
 * here: always undefined) (https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-parameter-mapping-sources.html).
 * Undefined when the source has no value.
 */
export function evaluateRest(expression: string, sources: MappingSources): string | undefined {
  const staticValue = /^'(.*)'$/s.exec(expression);
  if (staticValue !== null) return staticValue[1];
  const { request } = sources;
  const [root, second, kind, ...rest] = expression.split('.');
  if (root === 'method' && second === 'request') {
    const name = rest.join('.');
    if (kind === 'header') return headerOf(request, name);
    if (kind === 'multivalueheader') return restHeaderValues(request).get(name.toLowerCase())?.values.join(',');
    const query = new URLSearchParams(request.rawQueryString).getAll(name);
    if (kind === 'querystring') return query.at(-1);
    if (kind === 'multivaluequerystring') return query.length === 0 ? undefined : query.join(',');
    if (kind === 'path') return sources.pathParameters[name];
    return undefined;
  }
  if (root === 'context') {
    const name = expression.slice('context.'.length);
    if (name.startsWith('authorizer.')) {
      const value = sources.authorizer[name.slice('authorizer.'.length)];
      return value === undefined || value === null ? undefined : String(value);
    }
    const variables: Record<string, string | undefined> = {
      httpMethod: request.method,
      resourcePath: sources.method?.path,
      resourceId: sources.method?.logicalId,
      requestId: request.requestId,
      extendedRequestId: request.requestId,
      stage: sources.stage,
      apiId: API_ID,
      accountId: ACCOUNT_ID,
      path: `/${sources.stage}${request.path}`,
      protocol: 'HTTP/1.1',
      'identity.sourceIp': request.sourceIp,
      'identity.userAgent': headerOf(request, 'user-agent'),
      requestTimeEpoch: String(request.time.getTime()),
      domainName: headerOf(request, 'host'),
    };
    return variables[name];
  }
  return undefined;
}

/**
 * A REST authorizer's answer: `principalId` (a string), a policy document, and a context whose
 * values are strings, numbers or booleans ("You can't set a JSON object or array as a valid value
 * of any key in the context map"). Undefined (→ 500) for anything else.
 */
function readAnswer(answer: unknown): Omit<AuthorizerAnswer, 'expiresAt'> | undefined {
  if (answer === null || typeof answer !== 'object') return undefined;
  const { principalId, context } = answer as { principalId?: unknown; context?: unknown };
  if (typeof principalId !== 'string') return undefined;
  const policy = readPolicy(answer);
  if (policy === undefined) return undefined;
  if (context !== undefined && context !== null && (typeof context !== 'object' || Array.isArray(context))) return undefined;
  const flat: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries((context ?? {}) as Record<string, unknown>)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return undefined;
    flat[key] = value;
  }
  return { policy, principalId, context: flat };
}

/**
 * An integration's response headers as a REST API hands them to the client: `WWW-Authenticate`
 * and `Authorization` are renamed `x-amzn-Remapped-<name>` (reported behaviour of REST APIs, not on
 * a documentation page; a backend's challenge reaches the client only through a gateway response
 * or a method response mapping).
 */
function remapped<V>(headers: Readonly<Record<string, V>>): Record<string, V> {
  const out: Record<string, V> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    out[lower === 'www-authenticate' || lower === 'authorization' ? `x-amzn-Remapped-${name}` : name] = value;
  }
  return out;
}

/** Non-proxy HTTP: the integration response whose SelectionPattern matches the backend status, else the default one. */
function integrationStatus(integration: LocalRestIntegration, backendStatus: number): number {
  const responses = integration.integrationResponses;
  const selected =
    responses.find(
      (r) =>
        r.selectionPattern !== undefined && r.selectionPattern !== '' && new RegExp(`^${r.selectionPattern}$`).test(String(backendStatus)),
    ) ?? responses.find((r) => r.selectionPattern === undefined || r.selectionPattern === '');
  return selected === undefined ? backendStatus : Number(selected.statusCode);
}

function errorTypeOf(type: string): string {
  return DEFAULT_RESPONSES[type]?.errorType ?? 'BadRequestException';
}

/** Without binary media types (not emulated) a REST API hands the body to Lambda as UTF-8 text. */
function bodyOf(request: GatewayRequest): { body: string | null; isBase64Encoded: boolean } {
  return { body: request.body.length === 0 ? null : request.body.toString('utf8'), isBase64Encoded: false };
}

function writeJson(response: http.ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID(), ...extra }).end(JSON.stringify(body));
}
