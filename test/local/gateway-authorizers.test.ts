import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatRequestTime, LocalHttpApiGateway } from '../../local/http-api-gateway.js';
import { LambdaRunner } from '../../local/lambda-runner.js';
import type { LocalAuthorizer, LocalFunction, LocalRoute } from '../../local/template.js';
import awsAuthorizerV1 from '../fixtures/aws-events/http-api-authorizer-v1.json';
import awsAuthorizerV2 from '../fixtures/aws-events/http-api-authorizer-v2.json';

/**
 * Authorizers and Lambda integrations through the local gateway, with real functions in their own
 * processes: payload 1.0 events and IAM policy answers, caching and identity sources
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html), and the
 * integration events of both versions
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
 */
const FUNCTIONS = `
const allow = (event) => event.identitySource === 'let-me-in' || (event.headers && event.headers['x-key'] === 'let-me-in');
exports.policyAuthorizer = async (event) => ({
  principalId: 'user-7',
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: allow(event) ? 'Allow' : 'Deny', Resource: ['arn:aws:execute-api:*:*:local/$default/GET/orders/*'] }],
  },
  context: { seenVersion: event.version, seenArn: event.methodArn || event.routeArn, seenIdentity: JSON.stringify(event.identitySource), seenResource: event.resource || '' },
});
exports.simpleAuthorizer = async (event) => ({ isAuthorized: allow(event), context: { time: event.requestContext.time } });
exports.echo = async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  multiValueHeaders: { 'x-multi': ['a', 'b'] },
  body: JSON.stringify(event),
});
exports.bare = async () => ({ hello: 'world' });
exports.recordingAuthorizer = async (event) => ({
  principalId: 'recorder',
  policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: '*' }] },
  context: { event: JSON.stringify(event) },
});
`;

/** An event or answer read back from JSON, indexed freely in assertions. */
interface Loose {
  readonly [key: string]: Loose;
}

let dir: string;
const runners = new Map<string, LambdaRunner>();
const gateways: LocalHttpApiGateway[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gateway-authorizers-'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
  writeFileSync(join(dir, 'index.js'), FUNCTIONS);
  for (const name of ['policyAuthorizer', 'simpleAuthorizer', 'echo', 'bare', 'recordingAuthorizer']) {
    const fn: LocalFunction = { logicalId: name, assetDir: dir, handler: `index.${name}`, environment: {}, timeoutSeconds: 10 };
    runners.set(name, new LambdaRunner(fn, {}, () => {}));
  }
});
afterAll(async () => {
  for (const gateway of gateways) await gateway.close();
  for (const runner of runners.values()) runner.stop();
  rmSync(dir, { recursive: true, force: true });
});

function authorizer(overrides: Partial<LocalAuthorizer>): LocalAuthorizer {
  return {
    logicalId: 'Auth',
    functionId: 'simpleAuthorizer',
    identitySources: ['$request.header.x-key'],
    resultTtlSeconds: 300,
    simpleResponses: true,
    payloadFormatVersion: '2.0',
    ...overrides,
  };
}

async function gatewayWith(routeAuthorizer: LocalAuthorizer | undefined, payloadFormatVersion = '2.0', functionId = 'echo') {
  const route: LocalRoute = {
    routeKey: 'GET /orders/{id}',
    method: 'GET',
    path: '/orders/{id}',
    authorizer: routeAuthorizer,
    integration: { type: 'AWS_PROXY', functionId, payloadFormatVersion, requestParameters: {} },
  };
  const gateway = new LocalHttpApiGateway({ api: { logicalId: 'Api', routes: [route], functions: new Map() }, runners });
  gateways.push(gateway);
  await gateway.start();
  return gateway;
}

async function call(gateway: LocalHttpApiGateway, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${gateway.url}${path}`, { headers });
  return { status: response.status, body: (await response.json()) as Loose };
}

function rawGet(url: string, headers: string[]): Promise<{ status: number; rawHeaders: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers, timeout: 10_000 }, async (response) => {
      let body = '';
      for await (const chunk of response) body += String(chunk);
      resolve({ status: response.statusCode ?? 0, rawHeaders: response.rawHeaders, body });
    });
    request.on('timeout', () => request.destroy(new Error('no answer within 10 s')));
    request.on('error', reject);
  });
}

describe('method ARN length', () => {
  it('answers 414 without invoking the authorizer when the request ARN would pass 1,600 bytes', async () => {
    const gateway = await gatewayWith(authorizer({}));
    const before = gateway.authorizerInvocations;
    const response = await fetch(`${gateway.url}/orders/${'a'.repeat(1600)}`, { headers: { 'x-key': 'let-me-in' } });
    expect([response.status, await response.json()]).toEqual([414, { message: 'Request-URI Too Long' }]);
    expect(gateway.authorizerInvocations).toBe(before);
    expect((await call(gateway, `/orders/${'a'.repeat(1400)}`, { 'x-key': 'let-me-in' })).status).toBe(200);
  });
});

describe('caching authorizer results', () => {
  it('keeps identity-source values apart that a newline join would merge (?a=x%0Ay&b=z and ?a=x&b=y%0Az)', async () => {
    const gateway = await gatewayWith(authorizer({ identitySources: ['$request.querystring.a', '$request.querystring.b'] }));
    await call(gateway, '/orders/1?a=x%0Ay&b=z');
    const before = gateway.authorizerInvocations;
    await call(gateway, '/orders/1?a=x&b=y%0Az');
    expect(gateway.authorizerInvocations).toBe(before + 1);
    // The same values again are a cache hit.
    await call(gateway, '/orders/1?a=x&b=y%0Az');
    expect(gateway.authorizerInvocations).toBe(before + 1);
  });

  it('never caches for an authorizer without identity sources, whatever its TTL', async () => {
    const gateway = await gatewayWith(authorizer({ identitySources: [], resultTtlSeconds: 300 }));
    expect((await call(gateway, '/orders/1', { 'x-key': 'let-me-in' })).status).toBe(200);
    const before = gateway.authorizerInvocations;
    // Another caller, with no key: with a shared cached "allow" it would get in.
    expect((await call(gateway, '/orders/1')).status).toBe(403);
    expect(gateway.authorizerInvocations).toBe(before + 1);
  });

  it('caches by identity-source values when there is one', async () => {
    const gateway = await gatewayWith(authorizer({}));
    expect((await call(gateway, '/orders/1', { 'x-key': 'let-me-in' })).status).toBe(200);
    const before = gateway.authorizerInvocations;
    expect((await call(gateway, '/orders/2', { 'x-key': 'let-me-in' })).status).toBe(200);
    expect(gateway.authorizerInvocations).toBe(before);
    expect((await call(gateway, '/orders/2', { 'x-key': 'other' })).status).toBe(403);
    expect(gateway.authorizerInvocations).toBe(before + 1);
  });
});

describe('payload format 1.0', () => {
  it('sends a 1.0 authorizer the 1.0 event and honours the IAM policy it answers', async () => {
    const gateway = await gatewayWith(
      authorizer({
        functionId: 'policyAuthorizer',
        simpleResponses: false,
        payloadFormatVersion: '1.0',
        identitySources: ['$request.header.x-key'],
      }),
    );
    const allowed = await call(gateway, '/orders/42', { 'x-key': 'let-me-in' });
    expect(allowed.status).toBe(200);
    const seen = allowed.body.requestContext.authorizer.lambda;
    expect(seen).toEqual({
      seenVersion: '1.0',
      seenArn: 'arn:aws:execute-api:us-east-1:000000000000:local/$default/GET/orders/42',
      seenIdentity: '"let-me-in"',
      seenResource: '/orders/{id}',
    });
    expect((await call(gateway, '/orders/42', { 'x-key': 'nope' })).status).toBe(403);
  });

  it('evaluates a cached policy against each request ARN', async () => {
    const gateway = await gatewayWith(
      authorizer({ functionId: 'policyAuthorizer', simpleResponses: false, payloadFormatVersion: '2.0', resultTtlSeconds: 300 }),
    );
    expect((await call(gateway, '/orders/1', { 'x-key': 'let-me-in' })).status).toBe(200);
    const before = gateway.authorizerInvocations;
    expect((await call(gateway, '/orders/2', { 'x-key': 'let-me-in' })).status).toBe(200);
    expect(gateway.authorizerInvocations).toBe(before);
  });

  it('answers 500 when a policy authorizer answers without a policy document', async () => {
    const gateway = await gatewayWith(authorizer({ functionId: 'simpleAuthorizer', simpleResponses: false, payloadFormatVersion: '1.0' }));
    expect(await call(gateway, '/orders/1', { 'x-key': 'let-me-in' })).toMatchObject({
      status: 500,
      body: { message: 'Internal Server Error' },
    });
  });

  it('sends a 1.0 integration the 1.0 event, with the authorizer context and principal in requestContext.authorizer', async () => {
    const gateway = await gatewayWith(
      authorizer({ functionId: 'policyAuthorizer', simpleResponses: false, payloadFormatVersion: '1.0' }),
      '1.0',
    );
    // Repeated request headers, sent as such (fetch would join them before sending).
    const response = await rawGet(`${gateway.url}/orders/42?a=1&a=2&b=3`, [
      'host',
      '127.0.0.1',
      'x-key',
      'let-me-in',
      'x-two',
      'p',
      'x-two',
      'q',
      'cookie',
      'c=1',
    ]);
    expect(response.status).toBe(200);
    const multi = response.rawHeaders.flatMap((value, i) => (i % 2 === 1 && response.rawHeaders[i - 1] === 'x-multi' ? [value] : []));
    expect(multi).toEqual(['a', 'b']);
    const event = JSON.parse(response.body) as Loose;
    expect(event).toMatchObject({
      version: '1.0',
      resource: '/orders/{id}',
      path: '/orders/42',
      httpMethod: 'GET',
      queryStringParameters: { a: '2', b: '3' },
      multiValueQueryStringParameters: { a: ['1', '2'], b: ['3'] },
      pathParameters: { id: '42' },
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        httpMethod: 'GET',
        path: '/orders/42',
        resourcePath: '/orders/{id}',
        resourceId: null,
        stage: '$default',
        authorizer: { principalId: 'user-7', seenVersion: '1.0' },
      },
    });
    expect(event.headers['x-two']).toBe('q');
    expect(event.multiValueHeaders['x-two']).toEqual(['p', 'q']);
    expect(event.headers.cookie).toBe('c=1');
    expect(event.requestContext.requestTime).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(event).not.toHaveProperty('rawPath');
  });

  it('answers 500 when a 1.0 integration returns no statusCode (the 2.0 shortcut does not apply)', async () => {
    const gateway = await gatewayWith(undefined, '1.0', 'bare');
    expect(await call(gateway, '/orders/1')).toMatchObject({ status: 500, body: { message: 'Internal Server Error' } });
  });

  it('keeps the 2.0 shortcut for 2.0 integrations', async () => {
    const gateway = await gatewayWith(undefined, '2.0', 'bare');
    expect(await call(gateway, '/orders/1')).toMatchObject({ status: 200, body: { hello: 'world' } });
  });
});

describe("authorizer events against AWS's published samples", () => {
  /** Sorted keys, leaving out what the emulator does not reproduce (mutual TLS, API keys, stage variables' contents). */
  const keys = (value: object, leaveOut: readonly string[] = []) =>
    Object.keys(value)
      .filter((key) => !leaveOut.includes(key))
      .sort();

  it.each([
    ['1.0', awsAuthorizerV1, [], [], ['apiKey', 'clientCert']],
    ['2.0', awsAuthorizerV2, ['stageVariables'], ['authentication'], []],
  ] as const)('sends a %s authorizer every field of the AWS sample', async (version, sample, leftOut, contextLeftOut, identityLeftOut) => {
    const gateway = await gatewayWith(
      authorizer({ functionId: 'recordingAuthorizer', simpleResponses: false, payloadFormatVersion: version, resultTtlSeconds: 0 }),
    );
    const response = await fetch(`${gateway.url}/orders/7?q=1`, { headers: { 'x-key': 'k', cookie: 'c=1' } });
    expect(response.status).toBe(200);
    const echoed = (await response.json()) as { requestContext: { authorizer: { lambda: { event: string } } } };
    const event = JSON.parse(echoed.requestContext.authorizer.lambda.event) as Record<string, Record<string, object>>;
    expect(keys(event).filter((key) => key in sample)).toEqual(keys(sample, leftOut));
    const context = event.requestContext as Record<string, object>;
    expect(keys(context).filter((key) => key in sample.requestContext)).toEqual(keys(sample.requestContext, contextLeftOut));
    const sampleIdentity = (sample.requestContext as { identity?: object }).identity;
    if (sampleIdentity !== undefined)
      expect(keys(context.identity as object).filter((key) => key in sampleIdentity)).toEqual(keys(sampleIdentity, identityLeftOut));
  });
});

describe('requestContext.time', () => {
  it('is written as API Gateway writes it', () => {
    expect(formatRequestTime(new Date(Date.UTC(2020, 2, 12, 19, 3, 58, 390)))).toBe('12/Mar/2020:19:03:58 +0000');
    expect(formatRequestTime(new Date(Date.UTC(2026, 0, 5, 4, 5, 6)))).toBe('05/Jan/2026:04:05:06 +0000');
  });

  it('reaches the authorizer and the integration in that format, with timeEpoch in milliseconds', async () => {
    const gateway = await gatewayWith(authorizer({ resultTtlSeconds: 0 }));
    const started = Date.now();
    const { body } = await call(gateway, '/orders/1', { 'x-key': 'let-me-in' });
    const format = /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/;
    expect(body.requestContext.time).toMatch(format);
    expect(body.requestContext.authorizer.lambda.time).toMatch(format);
    expect(body.requestContext.timeEpoch).toBeGreaterThanOrEqual(started - 1000);
  });
});
