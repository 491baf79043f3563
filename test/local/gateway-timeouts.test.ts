import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalHttpApiGateway } from '../../local/http-api-gateway.js';
import { LambdaConcurrency } from '../../local/lambda-concurrency.js';
import { LambdaRunner } from '../../local/lambda-runner.js';
import { LocalRestApiGateway } from '../../local/rest-api-gateway.js';
import type { LocalRestMethod } from '../../local/rest-template.js';
import type { LocalFunction, LocalRoute } from '../../local/template.js';

/**
 * Both gateways end a slow Lambda in the documented 5xx at their limit, never a hang, and a
 * throttled one in a 500 (limits shortened for the test with the gateways' test-only options):
 * HTTP API "Timeout for Lambda authorizer response: 10000 ms" → 500 and an integration past its
 * timeout → 503 (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html);
 * REST → AUTHORIZER_CONFIGURATION_ERROR 500 `{"message":null}` and INTEGRATION_TIMEOUT 504
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html).
 */
const FUNCTIONS = `
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
exports.slowAuthorizer = async () => { await sleep(5000); return { isAuthorized: true, context: {} }; };
exports.slowRestAuthorizer = async () => { await sleep(5000); return { principalId: 'x', policyDocument: { Version: '2012-10-17', Statement: [] } }; };
exports.slowEcho = async () => { await sleep(5000); return { statusCode: 200, body: 'late' }; };
exports.echo = async () => ({ statusCode: 200, body: 'ok' });
`;
const LIMIT_MS = 500;

let dir: string;
const runners = new Map<string, LambdaRunner>();
const closers: (() => Promise<void>)[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gateway-timeouts-'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
  writeFileSync(join(dir, 'index.js'), FUNCTIONS);
  for (const name of ['slowAuthorizer', 'slowRestAuthorizer', 'slowEcho', 'echo']) {
    const fn: LocalFunction = { logicalId: name, assetDir: dir, handler: `index.${name}`, environment: {}, timeoutSeconds: 10 };
    runners.set(name, new LambdaRunner(fn, {}, () => {}, { concurrency: new LambdaConcurrency(10) }));
  }
});
afterAll(async () => {
  for (const close of closers) await close();
  for (const runner of runners.values()) runner.stop();
  rmSync(dir, { recursive: true, force: true });
});

function route(functionId: string, authorizerId?: string): LocalRoute {
  return {
    routeKey: 'GET /x',
    method: 'GET',
    path: '/x',
    authorizer:
      authorizerId === undefined
        ? undefined
        : {
            logicalId: 'Auth',
            functionId: authorizerId,
            identitySources: ['$request.header.x-key'],
            resultTtlSeconds: 0,
            simpleResponses: true,
            payloadFormatVersion: '2.0',
          },
    integration: { type: 'AWS_PROXY', functionId, payloadFormatVersion: '2.0', requestParameters: {} },
  };
}

async function httpApi(routes: LocalRoute[], extra: { runners?: Map<string, LambdaRunner> } = {}): Promise<string> {
  const gateway = new LocalHttpApiGateway({
    api: { logicalId: 'Api', routes, functions: new Map() },
    runners: extra.runners ?? runners,
    authorizerTimeoutMs: LIMIT_MS,
    integrationTimeoutMs: LIMIT_MS,
  });
  closers.push(() => gateway.close());
  return gateway.start();
}

function restMethod(functionId: string, authorizerId?: string): LocalRestMethod {
  return {
    logicalId: 'M',
    method: 'GET',
    path: '/x',
    routeKey: 'GET /x',
    authorizer:
      authorizerId === undefined
        ? undefined
        : { logicalId: 'Auth', functionId: authorizerId, identitySources: ['method.request.header.X-Key'], resultTtlSeconds: 0 },
    requestParameters: {},
    validateRequestParameters: false,
    integration: { type: 'AWS_PROXY', functionId, requestParameters: {}, integrationResponses: [] },
  };
}

async function restApi(methods: LocalRestMethod[], extra: { runners?: Map<string, LambdaRunner> } = {}): Promise<string> {
  const gateway = new LocalRestApiGateway({
    api: { logicalId: 'Api', stageName: 'prod', methods, gatewayResponses: new Map(), functions: new Map() },
    runners: extra.runners ?? runners,
    authorizerTimeoutMs: LIMIT_MS,
    integrationTimeoutMs: LIMIT_MS,
  });
  closers.push(() => gateway.close());
  return gateway.start();
}

/**
 * The gateway's answer. The slow functions answer allow / 200 after 5 s, so a 5xx here is the
 * gateway's timeout at work, not the function's answer; the fetch gives up at 4 s (a hang fails).
 */
async function call(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { headers: { 'x-key': 'k' }, signal: AbortSignal.timeout(4000) });
  return { status: response.status, body: await response.text() };
}

/** Runners whose account has no concurrency left: every invocation is throttled (counted in `spent`). */
function exhaustedRunners(spent: LambdaConcurrency): Map<string, LambdaRunner> {
  spent.tryAcquire();
  return new Map(
    [...runners.keys()].map((name) => [
      name,
      new LambdaRunner({ logicalId: name, assetDir: dir, handler: `index.${name}`, environment: {}, timeoutSeconds: 10 }, {}, () => {}, {
        concurrency: spent,
      }),
    ]),
  );
}

describe('HTTP API', () => {
  it('answers 500 when the Lambda authorizer has not answered by the authorizer timeout', async () => {
    const url = await httpApi([route('echo', 'slowAuthorizer')]);
    const answer = await call(`${url}/x`);
    expect(answer).toMatchObject({ status: 500, body: '{"message":"Internal Server Error"}' });
  }, 20_000);

  it('answers 503 when the Lambda integration has not answered by the integration timeout', async () => {
    const url = await httpApi([route('slowEcho')]);
    const answer = await call(`${url}/x`);
    expect(answer).toMatchObject({ status: 503, body: '{"message":"Service Unavailable"}' });
  }, 20_000);

  it('answers 500 at once when Lambda throttles the authorizer', async () => {
    const spent = new LambdaConcurrency(1);
    const url = await httpApi([route('echo', 'slowAuthorizer')], { runners: exhaustedRunners(spent) });
    const answer = await call(`${url}/x`);
    expect(answer).toMatchObject({ status: 500, body: '{"message":"Internal Server Error"}' });
    // Throttled, not queued until the authorizer timeout: the account refused the one invocation.
    expect(spent.throttled).toBe(1);
  }, 20_000);
});

describe('REST API', () => {
  it('answers AUTHORIZER_CONFIGURATION_ERROR 500 when the authorizer has not answered by its timeout', async () => {
    const url = await restApi([restMethod('echo', 'slowRestAuthorizer')]);
    const answer = await call(`${url}/x`);
    expect(answer).toMatchObject({ status: 500, body: '{"message":null}' });
  }, 20_000);

  it('answers INTEGRATION_TIMEOUT 504 when the Lambda integration has not answered by the integration timeout', async () => {
    const url = await restApi([restMethod('slowEcho')]);
    const answer = await call(`${url}/x`);
    expect(answer).toMatchObject({ status: 504, body: '{"message":"Endpoint request timed out"}' });
  }, 20_000);

  it('answers 500 "Internal server error" when Lambda throttles the integration', async () => {
    const spent = new LambdaConcurrency(1);
    const url = await restApi([restMethod('echo')], { runners: exhaustedRunners(spent) });
    const answer = await call(`${url}/x`);
    expect(answer).toMatchObject({ status: 500, body: '{"message":"Internal server error"}' });
    expect(spent.throttled).toBe(1);
  }, 20_000);
});
