import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeServer, listen } from '../../local/http-server.js';
import { LambdaRunner } from '../../local/lambda-runner.js';
import { LocalRestApiGateway } from '../../local/rest-api-gateway.js';
import { readResourcePolicy } from '../../local/rest-resource-policy.js';
import type { LocalGatewayResponse, LocalRestAuthorizer, LocalRestIntegration, LocalRestMethod } from '../../local/rest-template.js';
import type { LocalFunction } from '../../local/template.js';
import awsRestAuthorizer from '../fixtures/aws-events/rest-api-request-authorizer.json';

/**
 * The local REST API gateway with real functions in their own processes and a real HTTP backend:
 * the REQUEST authorizer (identity sources, the event, caching by identity-source values, the
 * policy against the method ARN, failures), gateway responses, request validation, integration
 * request parameter mapping, and the three integration types.
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-parameter-mapping-sources.html)
 */
const FUNCTIONS = `
const keyOf = (event) => Object.entries(event.headers || {}).find(([name]) => name.toLowerCase() === 'x-key')?.[1];
const policy = (effect, resource, extra = {}) => ({
  principalId: 'user-7',
  policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] },
  ...extra,
});
exports.authorizer = async (event) => {
  const key = keyOf(event);
  if (key === 'throw-unauthorized') throw new Error('Unauthorized');
  if (key === 'crash') throw new Error('boom');
  if (key === 'no-principal') return { policyDocument: policy('Allow', '*').policyDocument };
  if (key === 'nested-context') return policy('Allow', '*', { context: { nested: { a: 1 } } });
  if (key === 'deny') return policy('Deny', event.methodArn);
  if (key === 'no-match') return policy('Allow', 'arn:aws:execute-api:*:*:other/prod/*');
  if (key === 'get-orders-only') return policy('Allow', 'arn:aws:execute-api:*:*:local/prod/GET/orders/*');
  return policy('Allow', 'arn:aws:execute-api:*:*:local/prod/*', {
    context: { authorization: 'Bearer the.jwt.value', jwt: 'the.jwt.value', n: 7, ok: true, seenEvent: JSON.stringify(event) },
  });
};
exports.echo = async (event) => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, multiValueHeaders: { 'x-multi': ['a', 'b'] }, body: JSON.stringify(event) });
exports.malformed = async () => ({ hello: 'world' });
exports.challenge = async () => ({ statusCode: 401, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' }, body: '' });
`;

interface Loose {
  readonly [key: string]: Loose;
}

let dir: string;
const runners = new Map<string, LambdaRunner>();
const gateways: LocalRestApiGateway[] = [];
let backend: http.Server;
let backendUrl: string;
/** What the HTTP backend last received. */
let received: { method: string; url: string; rawHeaders: string[]; body: string } | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rest-gateway-'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
  writeFileSync(join(dir, 'index.js'), FUNCTIONS);
  for (const name of ['authorizer', 'echo', 'malformed', 'challenge']) {
    const fn: LocalFunction = { logicalId: name, assetDir: dir, handler: `index.${name}`, environment: {}, timeoutSeconds: 10 };
    runners.set(name, new LambdaRunner(fn, {}, () => {}));
  }
  backend = http.createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += String(chunk);
    received = { method: request.method ?? '', url: request.url ?? '', rawHeaders: request.rawHeaders, body };
    response
      .writeHead(request.url?.includes('fail') ? 503 : 201, { 'content-type': 'text/plain', 'x-backend': 'yes' })
      .end('from the backend');
  });
  await listen(backend, 0);
  backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const gateway of gateways) await gateway.close();
  for (const runner of runners.values()) runner.stop();
  await closeServer(backend);
  rmSync(dir, { recursive: true, force: true });
});

function authorizer(overrides: Partial<LocalRestAuthorizer> = {}): LocalRestAuthorizer {
  return {
    logicalId: 'Auth',
    functionId: 'authorizer',
    identitySources: ['method.request.header.X-Key'],
    resultTtlSeconds: 300,
    ...overrides,
  };
}

const lambda = (functionId = 'echo'): LocalRestIntegration => ({
  type: 'AWS_PROXY',
  functionId,
  requestParameters: {},
  integrationResponses: [],
});

function method(overrides: Partial<LocalRestMethod> = {}): LocalRestMethod {
  const httpMethod = overrides.method ?? 'GET';
  const path = overrides.path ?? '/orders/{id}';
  return {
    logicalId: 'OrdersMethod',
    method: httpMethod,
    path,
    routeKey: `${httpMethod} ${path}`,
    authorizer: authorizer(),
    requestParameters: {},
    validateRequestParameters: false,
    integration: lambda(),
    ...overrides,
  };
}

async function gatewayWith(methods: LocalRestMethod[], responses: LocalGatewayResponse[] = []): Promise<LocalRestApiGateway> {
  const gateway = new LocalRestApiGateway({
    api: {
      logicalId: 'Api',
      stageName: 'prod',
      methods,
      gatewayResponses: new Map(responses.map((r) => [r.type, r])),
      functions: new Map(),
    },
    runners,
  });
  gateways.push(gateway);
  await gateway.start();
  return gateway;
}

async function call(
  gateway: LocalRestApiGateway,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  const response = await fetch(`${gateway.url}${path}`, { method: init.method ?? 'GET', headers: init.headers, body: init.body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text.startsWith('{') ? JSON.parse(text) : text) as Loose };
}

/** A request with header names exactly as given (fetch would lower-case them). */
function rawGet(url: string, headers: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: ['Host', new URL(url).host, ...headers], timeout: 10_000 }, async (response) => {
      let body = '';
      for await (const chunk of response) body += String(chunk);
      resolve({ status: response.statusCode ?? 0, body });
    });
    request.on('timeout', () => request.destroy(new Error('no answer within 10 s')));
    request.on('error', reject);
  });
}

describe('the local REST API gateway: the REQUEST authorizer', () => {
  it('sends an event with the keys of AWS published REST sample, the client header casing and every value of a repeated header', async () => {
    const gateway = await gatewayWith([method()]);
    const response = await rawGet(`${gateway.url}/orders/42?QueryString1=a&QueryString1=queryValue1`, [
      'X-Key',
      'let-me-in',
      'HeaderAuth1',
      'one',
      'HeaderAuth1',
      'headerValue1',
    ]);
    expect(response.status).toBe(200);
    const proxyEvent = JSON.parse(response.body) as Loose;
    const event = JSON.parse(proxyEvent.requestContext?.authorizer?.seenEvent as unknown as string) as Loose;
    expect(Object.keys(event).sort()).toEqual(Object.keys(awsRestAuthorizer).sort());
    expect(Object.keys(event.requestContext ?? {})).toEqual(expect.arrayContaining(Object.keys(awsRestAuthorizer.requestContext)));
    expect(event).toMatchObject({
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:us-east-1:000000000000:local/prod/GET/orders/42',
      resource: '/orders/{id}',
      path: '/orders/42',
      httpMethod: 'GET',
      headers: { 'X-Key': 'let-me-in', HeaderAuth1: 'headerValue1' },
      multiValueHeaders: { HeaderAuth1: ['one', 'headerValue1'] },
      queryStringParameters: { QueryString1: 'queryValue1' },
      multiValueQueryStringParameters: { QueryString1: ['a', 'queryValue1'] },
      pathParameters: { id: '42' },
      requestContext: { resourcePath: '/orders/{id}', httpMethod: 'GET', stage: 'prod', apiId: 'local', path: '/prod/orders/42' },
    });
  });

  it('answers 401 with the template UNAUTHORIZED response, without invoking the authorizer, when an identity source is missing or empty', async () => {
    const unauthorized = { type: 'UNAUTHORIZED', statusCode: 401, headers: { 'WWW-Authenticate': '\'Bearer realm="api"\'' } };
    const gateway = await gatewayWith([method()], [unauthorized]);
    const before = gateway.authorizerInvocations;
    for (const headers of [{}, { 'x-key': '' }] as Record<string, string>[]) {
      const response = await call(gateway, '/orders/1', { headers });
      expect(response).toMatchObject({ status: 401, body: { message: 'Unauthorized' } });
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    }
    expect(gateway.authorizerInvocations).toBe(before);
  });

  it('matches a header identity source whatever the letter case the client uses', async () => {
    const gateway = await gatewayWith([method()]);
    expect((await rawGet(`${gateway.url}/orders/1`, ['x-KEY', 'let-me-in'])).status).toBe(200);
  });

  it('caches the answer by identity-source values and evaluates the cached policy against each method ARN', async () => {
    const gateway = await gatewayWith([method(), method({ logicalId: 'OrdersPost', method: 'POST' })]);
    expect((await call(gateway, '/orders/1', { headers: { 'x-key': 'get-orders-only' } })).status).toBe(200);
    const after = gateway.authorizerInvocations;
    expect((await call(gateway, '/orders/2', { headers: { 'x-key': 'get-orders-only' } })).status).toBe(200);
    const denied = await call(gateway, '/orders/2', { method: 'POST', headers: { 'x-key': 'get-orders-only' } });
    expect(denied).toMatchObject({ status: 403, body: { message: 'User is not authorized to access this resource' } });
    expect(gateway.authorizerInvocations).toBe(after);
    expect((await call(gateway, '/orders/2', { headers: { 'x-key': 'let-me-in' } })).status).toBe(200);
    expect(gateway.authorizerInvocations).toBe(after + 1);
  });

  it('invokes the authorizer on every request when the TTL is 0', async () => {
    const gateway = await gatewayWith([method({ authorizer: authorizer({ resultTtlSeconds: 0 }) })]);
    for (let i = 0; i < 2; i += 1) expect((await call(gateway, '/orders/1', { headers: { 'x-key': 'let-me-in' } })).status).toBe(200);
    expect(gateway.authorizerInvocations).toBe(2);
  });

  it('answers ACCESS_DENIED 403 to an explicit Deny, and says so, with the template headers', async () => {
    const accessDenied = {
      type: 'ACCESS_DENIED',
      statusCode: 403,
      headers: { 'WWW-Authenticate': '\'Bearer error="insufficient_scope"\'' },
    };
    const gateway = await gatewayWith([method()], [accessDenied]);
    const response = await call(gateway, '/orders/1', { headers: { 'x-key': 'deny' } });
    expect(response).toMatchObject({
      status: 403,
      body: { message: 'User is not authorized to access this resource with an explicit deny' },
    });
    expect(response.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope"');
    expect(response.headers.get('x-amzn-errortype')).toBe('AccessDeniedException');
  });

  it('answers 403 when no statement of the policy matches the method ARN', async () => {
    const gateway = await gatewayWith([method()]);
    expect(await call(gateway, '/orders/1', { headers: { 'x-key': 'no-match' } })).toMatchObject({
      status: 403,
      body: { message: 'User is not authorized to access this resource' },
    });
  });

  it('answers 401 when the function fails with "Unauthorized"', async () => {
    const gateway = await gatewayWith([method()]);
    expect(await call(gateway, '/orders/1', { headers: { 'x-key': 'throw-unauthorized' } })).toMatchObject({
      status: 401,
      body: { message: 'Unauthorized' },
    });
  });

  it.each([
    ['fails with any other error', 'crash'],
    ['answers without a principalId', 'no-principal'],
    ['answers a context value that is an object', 'nested-context'],
  ])('answers AUTHORIZER_CONFIGURATION_ERROR 500 when the function %s', async (_, key) => {
    const gateway = await gatewayWith([method()]);
    const response = await call(gateway, '/orders/1', { headers: { 'x-key': key } });
    expect(response).toMatchObject({ status: 500, body: { message: null } });
    expect(response.headers.get('x-amzn-errortype')).toBe('AuthorizerConfigurationException');
  });

  it('hands the Lambda integration the principal and the context, flat in requestContext.authorizer, every value stringified', async () => {
    const gateway = await gatewayWith([method()]);
    const { body } = await call(gateway, '/orders/9', { headers: { 'x-key': 'let-me-in' } });
    // "The returned values are all stringified" (api-gateway-lambda-authorizer-output.html): 7 → '7', true → 'true'.
    expect(body.requestContext?.authorizer).toMatchObject({ principalId: 'user-7', jwt: 'the.jwt.value', n: '7', ok: 'true' });
  });
});

describe('the local REST API gateway: resources, gateway responses and validation', () => {
  it('answers MISSING_AUTHENTICATION_TOKEN 403 for a path or method without a method, and 403 Forbidden outside the stage', async () => {
    const gateway = await gatewayWith([method()]);
    for (const [path, verb] of [
      ['/nope', 'GET'],
      ['/orders/1', 'DELETE'],
    ] as const) {
      const response = await call(gateway, path, { method: verb });
      expect(response).toMatchObject({ status: 403, body: { message: 'Missing Authentication Token' } });
    }
    const outside = await fetch(gateway.url.replace('/prod', '/dev/orders/1'));
    expect({ status: outside.status, body: await outside.json() }).toEqual({ status: 403, body: { message: 'Forbidden' } });
  });

  it('applies DEFAULT_4XX headers and status to a 4XX type the template does not set, evaluating mapping expressions', async () => {
    const defaults = {
      type: 'DEFAULT_4XX',
      statusCode: undefined,
      headers: { 'Access-Control-Allow-Origin': "'*'", 'X-Echo': 'method.request.header.x-trace' },
    };
    const gateway = await gatewayWith([method()], [defaults]);
    const response = await call(gateway, '/nope', { headers: { 'X-Trace': 't-1' } });
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('x-echo')).toBe('t-1');
  });

  it('answers 414 without invoking the authorizer when the method ARN would pass 1,600 bytes', async () => {
    const gateway = await gatewayWith([method()]);
    const before = gateway.authorizerInvocations;
    const response = await call(gateway, `/orders/${'a'.repeat(1600)}`, { headers: { 'x-key': 'let-me-in' } });
    expect(response).toMatchObject({ status: 414, body: { message: 'Request-URI Too Long' } });
    expect(gateway.authorizerInvocations).toBe(before);
  });

  it('denies what the resource policy explicitly denies before the authorizer runs', async () => {
    const resourcePolicy = readResourcePolicy(
      'Api',
      { Statement: [{ Effect: 'Deny', Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/prod/GET/orders/13' }] },
      'arn:aws:execute-api:us-east-1:000000000000:local',
    );
    const gateway = new LocalRestApiGateway({
      api: { logicalId: 'Api', stageName: 'prod', methods: [method()], resourcePolicy, gatewayResponses: new Map(), functions: new Map() },
      runners,
    });
    gateways.push(gateway);
    await gateway.start();
    const before = gateway.authorizerInvocations;
    const denied = await call(gateway, '/orders/13', { headers: { 'x-key': 'let-me-in' } });
    expect(denied).toMatchObject({
      status: 403,
      body: {
        message:
          'User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:000000000000:local/prod/GET/orders/13 with an explicit deny',
      },
    });
    expect(gateway.authorizerInvocations).toBe(before);
    expect((await call(gateway, '/orders/12', { headers: { 'x-key': 'let-me-in' } })).status).toBe(200);
  });

  it("renames a Lambda integration's WWW-Authenticate to x-amzn-Remapped-WWW-Authenticate", async () => {
    const gateway = await gatewayWith([method({ authorizer: undefined, integration: lambda('challenge') })]);
    const response = await call(gateway, '/orders/1');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect(response.headers.get('x-amzn-remapped-www-authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('enforces ApiKeyRequired: 403 Forbidden without an x-api-key the API knows, the integration with one', async () => {
    const gateway = new LocalRestApiGateway({
      api: {
        logicalId: 'Api',
        stageName: 'prod',
        methods: [method({ authorizer: undefined, apiKeyRequired: true })],
        apiKeys: ['key-1'],
        gatewayResponses: new Map(),
        functions: new Map(),
      },
      runners,
    });
    gateways.push(gateway);
    await gateway.start();
    expect(await call(gateway, '/orders/1')).toMatchObject({ status: 403, body: { message: 'Forbidden' } });
    expect(await call(gateway, '/orders/1', { headers: { 'x-api-key': 'key-2' } })).toMatchObject({ status: 403 });
    expect((await call(gateway, '/orders/1', { headers: { 'x-api-key': 'key-1' } })).status).toBe(200);
  });

  it('uses DEFAULT_4XX only for a type the template does not customize: a customized UNAUTHORIZED carries its own headers alone', async () => {
    const defaults = { type: 'DEFAULT_4XX', statusCode: undefined, headers: { 'Access-Control-Allow-Origin': "'*'" } };
    const unauthorized = { type: 'UNAUTHORIZED', statusCode: 401, headers: { 'WWW-Authenticate': '\'Bearer realm="api"\'' } };
    const gateway = await gatewayWith([method()], [defaults, unauthorized]);
    const denied = await call(gateway, '/orders/1');
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    const missing = await call(gateway, '/nope');
    expect([missing.status, missing.headers.get('access-control-allow-origin')]).toEqual([403, '*']);
  });

  it('answers BAD_REQUEST_PARAMETERS 400 naming a required request parameter a validator finds missing', async () => {
    const gateway = await gatewayWith([
      method({
        authorizer: undefined,
        requestParameters: { 'method.request.header.X-Required': true, 'method.request.querystring.optional': false },
        validateRequestParameters: true,
      }),
    ]);
    expect(await call(gateway, '/orders/1')).toMatchObject({
      status: 400,
      body: { message: 'Missing required request parameters: [X-Required]' },
    });
    expect((await call(gateway, '/orders/1', { headers: { 'x-required': 'yes' } })).status).toBe(200);
  });

  it('answers 502 when a Lambda proxy integration answers something that is not a proxy response', async () => {
    const gateway = await gatewayWith([method({ authorizer: undefined, integration: lambda('malformed') })]);
    expect(await call(gateway, '/orders/1')).toMatchObject({ status: 502, body: { message: 'Internal server error' } });
  });
});

describe('the local REST API gateway: HTTP integrations and parameter mapping', () => {
  const mapped = (type: 'HTTP' | 'HTTP_PROXY', path = '/items/{item}'): LocalRestIntegration => ({
    type,
    url: `${backendUrl}${path}`,
    httpMethod: 'ANY',
    requestParameters: {
      'integration.request.header.Authorization': 'context.authorizer.authorization',
      'integration.request.header.X-Static': "'static value'",
      'integration.request.header.X-From-Client': 'method.request.header.x-source',
      'integration.request.header.X-Missing': 'context.authorizer.absent',
      'integration.request.querystring.resource': 'context.resourcePath',
      'integration.request.path.item': 'method.request.path.id',
    },
    integrationResponses: [{ statusCode: '200' }, { statusCode: '502', selectionPattern: '5\\d{2}' }],
  });
  const headersOf = () => {
    const raw = received?.rawHeaders ?? [];
    const pairs: [string, string][] = [];
    for (let i = 0; i < raw.length; i += 2) pairs.push([raw[i] as string, raw[i + 1] as string]);
    return pairs;
  };
  const valuesOf = (name: string) => headersOf().filter(([key]) => key.toLowerCase() === name.toLowerCase());

  it('HTTP_PROXY: maps Authorization from the authorizer context over whatever the client sent, in any letter case', async () => {
    const gateway = await gatewayWith([method({ integration: mapped('HTTP_PROXY') })]);
    const response = await rawGet(`${gateway.url}/orders/42`, [
      'X-Key',
      'let-me-in',
      'AUTHORIZATION',
      'Bearer forged',
      'X-Source',
      'from the client',
      'X-Missing',
      'client value',
      'X-Other',
      'passed through',
    ]);
    expect(response).toEqual({ status: 201, body: 'from the backend' });
    expect(valuesOf('authorization')).toEqual([['Authorization', 'Bearer the.jwt.value']]);
    expect(valuesOf('x-static')).toEqual([['X-Static', 'static value']]);
    expect(valuesOf('x-from-client')).toEqual([['X-From-Client', 'from the client']]);
    expect(valuesOf('x-missing')).toEqual([]);
    expect(valuesOf('x-other')).toEqual([['X-Other', 'passed through']]);
    expect(received).toMatchObject({ method: 'GET', url: '/items/42?resource=%2Forders%2F%7Bid%7D' });
  });

  it('HTTP_PROXY: whatever spellings and values of Authorization a client sends, the backend receives exactly the mapped one', async () => {
    const gateway = await gatewayWith([method({ integration: mapped('HTTP_PROXY') })]);
    const spelling = fc
      .array(fc.boolean(), { minLength: 13, maxLength: 13 })
      .map((upper) => [...'authorization'].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''));
    const value = fc.stringMatching(/^[ -~]{0,40}$/).map((v) => v.trim());
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(spelling, value), { minLength: 1, maxLength: 3 }), async (sent) => {
        received = undefined;
        const response = await rawGet(`${gateway.url}/orders/1`, ['X-Key', 'let-me-in', ...sent.flat()]);
        expect(response.status).toBe(201);
        expect(valuesOf('authorization')).toEqual([['Authorization', 'Bearer the.jwt.value']]);
      }),
      { numRuns: 40 },
    );
  });

  it('HTTP (non-proxy): sends only mapped headers, passes the body through, and maps the backend status by selection pattern', async () => {
    const gateway = await gatewayWith([method({ method: 'POST', integration: mapped('HTTP') })]);
    const response = await call(gateway, '/orders/7', {
      method: 'POST',
      headers: { 'x-key': 'let-me-in', 'x-other': 'not passed', 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(response.status).toBe(200);
    expect(valuesOf('x-other')).toEqual([]);
    expect(valuesOf('authorization')).toEqual([['Authorization', 'Bearer the.jwt.value']]);
    expect(received).toMatchObject({ method: 'POST', body: '{"a":1}' });
    const failing = await gatewayWith([method({ integration: mapped('HTTP', '/fail/{item}') })]);
    expect((await call(failing, '/orders/7', { headers: { 'x-key': 'let-me-in' } })).status).toBe(502);
  });

  it('answers INTEGRATION_FAILURE 504 when the HTTP backend cannot be reached', async () => {
    const closed = http.createServer();
    await listen(closed, 0);
    const port = (closed.address() as AddressInfo).port;
    await closeServer(closed);
    const integration: LocalRestIntegration = {
      type: 'HTTP_PROXY',
      url: `http://127.0.0.1:${port}/`,
      requestParameters: {},
      integrationResponses: [],
    };
    const gateway = await gatewayWith([method({ authorizer: undefined, integration })]);
    expect(await call(gateway, '/orders/1')).toMatchObject({ status: 504, body: { message: 'Internal server error' } });
  });
});
