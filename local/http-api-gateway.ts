import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, listen } from './http-server.js';
import type { LambdaRunner } from './lambda-runner.js';
import type { LocalAuthorizer, LocalHttpApi, LocalRoute } from './template.js';

/**
 * A local stand-in for an API Gateway HTTP API, driven by a synthesized template. For each
 * request it follows API Gateway's documented HTTP API behaviour (see the README's "Emulation
 * honesty" section for the pages and for what it leaves out):
 * route selection; a missing identity source → 401 without invoking the authorizer; a payload
 * 2.0 REQUEST authorizer event; results cached by identity-source values for the authorizer's
 * TTL; `isAuthorized: false` → 403; an authorizer error or a run past 10 s → 500; request
 * parameter mapping; then the integration (Lambda proxy, payload 2.0, or HTTP proxy).
 */
export interface GatewayOptions {
  readonly api: LocalHttpApi;
  /** One runner per function logical id. */
  readonly runners: ReadonlyMap<string, LambdaRunner>;
  readonly port?: number;
  readonly region?: string;
}

/** API Gateway's limit on a Lambda authorizer invocation. */
const AUTHORIZER_LIMIT_MS = 10_000;

export interface GatewayRequest {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly rawQueryString: string;
  /** Lower-cased names; repeated headers joined with commas, as API Gateway does. */
  readonly headers: Readonly<Record<string, string>>;
  readonly cookies: readonly string[];
  readonly body: Buffer;
  readonly sourceIp: string;
  readonly time: Date;
}

interface CachedDecision {
  readonly expiresAt: number;
  readonly isAuthorized: boolean;
  readonly context: Readonly<Record<string, unknown>>;
}

export class LocalHttpApiGateway {
  /** How many times a Lambda authorizer was invoked (not answered from the gateway cache). */
  authorizerInvocations = 0;
  private readonly server = http.createServer((request, response) => {
    this.handle(request, response).catch((error: unknown) => {
      process.stderr.write(`local gateway: ${(error as Error).stack}\n`);
      if (!response.headersSent) json(response, 500, { message: 'Internal Server Error' });
    });
  });
  private readonly decisions = new Map<string, CachedDecision>();
  private readonly region: string;
  url = '';

  constructor(private readonly options: GatewayOptions) {
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
    const request = await readRequest(incoming);
    const match = this.route(request.method, request.path);
    if (match === undefined) return json(response, 404, { message: 'Not Found' });
    const { route, pathParameters } = match;

    let authorizerContext: Readonly<Record<string, unknown>> = {};
    if (route.authorizer !== undefined) {
      const decision = await this.authorize(route.authorizer, route, request, pathParameters);
      if (decision === 'unauthorized') return json(response, 401, { message: 'Unauthorized' });
      if (decision === 'error') return json(response, 500, { message: 'Internal Server Error' });
      if (!decision.isAuthorized) return json(response, 403, { message: 'Forbidden' });
      authorizerContext = decision.context;
    }

    if (route.integration.type === 'AWS_PROXY') {
      const runner = this.runner(route.integration.functionId as string);
      const event = this.proxyEvent(route, request, pathParameters, authorizerContext);
      const result = await runner.invoke(event);
      if (!result.ok) return json(response, 500, { message: 'Internal Server Error' });
      return writeProxyResult(response, result.result);
    }
    const mapped = applyParameterMapping(route.integration.requestParameters, request, route, pathParameters, authorizerContext);
    return proxyHttp(response, route.integration.url as string, request, mapped);
  }

  private route(method: string, path: string): { route: LocalRoute; pathParameters: Record<string, string> } | undefined {
    const candidates: { route: LocalRoute; pathParameters: Record<string, string>; score: number }[] = [];
    for (const route of this.options.api.routes) {
      if (route.routeKey === '$default') {
        candidates.push({ route, pathParameters: {}, score: 0 });
        continue;
      }
      if (route.method !== method && route.method !== 'ANY') continue;
      const pathParameters = matchPath(route.path, path);
      if (pathParameters === undefined) continue;
      // API Gateway prefers the most specific route: exact method over ANY, literal segments over variables.
      const literal = route.path.split('/').filter((s) => s !== '' && !s.startsWith('{')).length;
      candidates.push({
        route,
        pathParameters,
        score: 1 + literal * 10 + (route.method === method ? 5 : 0) - (route.path.includes('+}') ? 3 : 0),
      });
    }
    return candidates.sort((a, b) => b.score - a.score)[0];
  }

  private async authorize(
    authorizer: LocalAuthorizer,
    route: LocalRoute,
    request: GatewayRequest,
    pathParameters: Record<string, string>,
  ): Promise<CachedDecision | 'unauthorized' | 'error'> {
    const values = authorizer.identitySources.map((source) => evaluate(source, request, route, pathParameters, {}));
    if (values.some((value) => value === undefined || value === '')) return 'unauthorized';
    const key = `${authorizer.logicalId}\n${values.join('\n')}`;
    const cached = this.decisions.get(key);
    if (cached !== undefined && cached.expiresAt > Date.now()) return cached;

    this.authorizerInvocations += 1;
    const event = {
      version: '2.0',
      type: 'REQUEST',
      routeArn: `arn:aws:execute-api:${this.region}:000000000000:local/$default/${request.method}${request.path}`,
      identitySource: values,
      ...requestFields(route, request, pathParameters),
      requestContext: this.requestContext(route, request),
    };
    const runner = this.runner(authorizer.functionId);
    const result = await runner.invoke(event, AUTHORIZER_LIMIT_MS);
    if (!result.ok) return 'error';
    const answer = result.result as { isAuthorized?: unknown; context?: unknown } | null;
    if (!authorizer.simpleResponses || answer === null || typeof answer !== 'object' || typeof answer.isAuthorized !== 'boolean')
      return 'error';
    const decision: CachedDecision = {
      expiresAt: Date.now() + authorizer.resultTtlSeconds * 1000,
      isAuthorized: answer.isAuthorized,
      context: (answer.context ?? {}) as Record<string, unknown>,
    };
    if (authorizer.resultTtlSeconds > 0) this.decisions.set(key, decision);
    return decision;
  }

  private requestContext(route: LocalRoute, request: GatewayRequest) {
    return {
      accountId: '000000000000',
      apiId: 'local',
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
      stage: '$default',
      time: request.time.toISOString(),
      timeEpoch: request.time.getTime(),
    };
  }

  private proxyEvent(
    route: LocalRoute,
    request: GatewayRequest,
    pathParameters: Record<string, string>,
    authorizerContext: Readonly<Record<string, unknown>>,
  ) {
    const text = isText(request.headers['content-type']);
    return {
      version: '2.0',
      ...requestFields(route, request, pathParameters),
      requestContext: {
        ...this.requestContext(route, request),
        ...(route.authorizer === undefined ? {} : { authorizer: { lambda: authorizerContext } }),
      },
      ...(request.body.length > 0 ? { body: text ? request.body.toString('utf8') : request.body.toString('base64') } : {}),
      isBase64Encoded: request.body.length > 0 && !text,
    };
  }

  private runner(functionId: string): LambdaRunner {
    const runner = this.options.runners.get(functionId);
    if (runner === undefined) throw new Error(`no runner for function ${functionId}`);
    return runner;
  }
}

async function readRequest(incoming: http.IncomingMessage): Promise<GatewayRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  const url = new URL(incoming.url ?? '/', 'http://local');
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i < incoming.rawHeaders.length; i += 2) {
    const name = (incoming.rawHeaders[i] as string).toLowerCase();
    const value = incoming.rawHeaders[i + 1] as string;
    if (name === 'cookie') cookies.push(...value.split(/;\s*/));
    else headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  return {
    requestId: randomUUID(),
    method: incoming.method ?? 'GET',
    path: decodeURIComponent(url.pathname),
    rawQueryString: url.search.slice(1),
    headers,
    cookies,
    body: Buffer.concat(chunks),
    sourceIp: incoming.socket.remoteAddress ?? '127.0.0.1',
    time: new Date(),
  };
}

/** `/orders/{id}` against `/orders/42` → `{ id: '42' }`; `{proxy+}` takes the rest. */
function matchPath(template: string, path: string): Record<string, string> | undefined {
  const names: string[] = [];
  const pattern = template
    .split('/')
    .map((segment) => {
      const variable = /^\{([^}+]+)(\+?)\}$/.exec(segment);
      if (variable === null) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(variable[1] as string);
      return variable[2] === '+' ? '(.+)' : '([^/]+)';
    })
    .join('/');
  const match = new RegExp(`^${pattern}$`).exec(path);
  if (match === null) return undefined;
  return Object.fromEntries(names.map((name, i) => [name, match[i + 1] as string]));
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
 * `$request.path`, `$request.path.x`, `$context.routeKey`, `$context.requestId`,
 * `$context.authorizer.x`, in `$x` or `${x}` form, mixed with static text.
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
  if (source === 'context' && kind === 'routeKey') return route.routeKey;
  if (source === 'context' && kind === 'requestId') return request.requestId;
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
): { headers: Record<string, string>; path: string; query: URLSearchParams } {
  const headers: Record<string, string> = { ...request.headers };
  const query = new URLSearchParams(request.rawQueryString);
  let path = request.path;
  for (const [key, expression] of Object.entries(parameters)) {
    const [action, target] = key.split(':') as [string, string];
    const value = evaluate(expression, request, route, pathParameters, authorizerContext) ?? '';
    if (target === 'path') {
      path = value;
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
  return { headers, path, query };
}

function proxyHttp(
  response: http.ServerResponse,
  integrationUrl: string,
  request: GatewayRequest,
  mapped: { headers: Record<string, string>; path: string; query: URLSearchParams },
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
      timeout: 30_000,
    });
    upstream.on('response', (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response).on('finish', resolve);
    });
    upstream.on('error', () => {
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

function json(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'apigw-requestid': randomUUID() }).end(JSON.stringify(body));
}

function isText(contentType: string | undefined): boolean {
  return contentType === undefined || /^(text\/|application\/(json|xml|x-www-form-urlencoded|.*\+json|.*\+xml))/i.test(contentType);
}
