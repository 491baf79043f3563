import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalHttpApiGateway } from '../../local/http-api-gateway.js';
import { LambdaRunner } from '../../local/lambda-runner.js';
import { LocalRestApiGateway } from '../../local/rest-api-gateway.js';
import { selectRestMethod } from '../../local/rest-resource-selection.js';
import type { LocalRestMethod } from '../../local/rest-template.js';
import { routingPath } from '../../local/routing-path.js';
import type { LocalFunction, LocalRoute } from '../../local/template.js';

/**
 * REST resource selection walks the resource tree: "/{proxy+} refers to any resources under the
 * root resource except for the /parent[/*] resources"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-set-up-simple-proxy.html);
 * and a trailing slash routes as the path without it, on both API types.
 */
const route = (method: string, path: string) => ({ routeKey: `${method} ${path}`, method, path });

describe('selectRestMethod', () => {
  const methods = [route('GET', '/echo'), route('ANY', '/{proxy+}'), route('GET', '/orders/{id}'), route('GET', '/orders/latest')];
  const select = (method: string, path: string) => selectRestMethod(methods, [], method, path);

  it('does not let a root {proxy+} take a method its sibling /parent lacks', () => {
    expect(select('POST', '/echo')).toBeUndefined();
    expect(select('GET', '/echo')?.route.routeKey).toBe('GET /echo');
  });

  it('does not let a root {proxy+} take a path under /parent that has no resource', () => {
    expect(select('GET', '/echo/anything')).toBeUndefined();
  });

  it('gives every other path to the greedy resource, with the rest of the path as its parameter', () => {
    expect(select('DELETE', '/elsewhere/a/b')).toMatchObject({
      route: { routeKey: 'ANY /{proxy+}' },
      pathParameters: { proxy: 'elsewhere/a/b' },
    });
  });

  it('prefers a literal child to a variable one, and takes the variable when no literal matches', () => {
    expect(select('GET', '/orders/latest')?.route.routeKey).toBe('GET /orders/latest');
    expect(select('GET', '/orders/42')).toMatchObject({ route: { routeKey: 'GET /orders/{id}' }, pathParameters: { id: '42' } });
  });

  it('counts a resource without methods of its own: its path is not the proxy’s', () => {
    const withParent = [route('GET', '/parent/child'), route('ANY', '/{proxy+}')];
    expect(selectRestMethod(withParent, ['/parent', '/parent/child'], 'GET', '/parent')).toBeUndefined();
    expect(selectRestMethod(withParent, [], 'GET', '/parent/other')).toBeUndefined();
  });

  it('routes a path with one trailing slash as the path without it', () => {
    expect(routingPath('/echo/')).toBe('/echo');
    expect(routingPath('/')).toBe('/');
    expect(select('GET', routingPath('/echo/'))?.route.routeKey).toBe('GET /echo');
  });
});

const FUNCTIONS = `exports.echo = async (event) => ({ statusCode: 200, body: JSON.stringify({ path: event.path ?? event.rawPath }) });`;
let dir: string;
let runners: Map<string, LambdaRunner>;
const closers: (() => Promise<void>)[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rest-resource-selection-'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
  writeFileSync(join(dir, 'index.js'), FUNCTIONS);
  const fn: LocalFunction = { logicalId: 'echo', assetDir: dir, handler: 'index.echo', environment: {}, timeoutSeconds: 10 };
  runners = new Map([['echo', new LambdaRunner(fn, {}, () => {})]]);
});
afterAll(async () => {
  for (const close of closers) await close();
  for (const runner of runners.values()) runner.stop();
  rmSync(dir, { recursive: true, force: true });
});

function restMethod(httpMethod: string, path: string): LocalRestMethod {
  return {
    logicalId: `${httpMethod}${path}`,
    method: httpMethod,
    path,
    routeKey: `${httpMethod} ${path}`,
    authorizer: undefined,
    requestParameters: {},
    validateRequestParameters: false,
    integration: { type: 'AWS_PROXY', functionId: 'echo', requestParameters: {}, integrationResponses: [] },
  };
}

describe('the local REST gateway', () => {
  it('answers POST /prod/echo with 403 "Missing Authentication Token" when only GET /echo and a public ANY /{proxy+} exist', async () => {
    const gateway = new LocalRestApiGateway({
      api: {
        logicalId: 'Api',
        stageName: 'prod',
        methods: [restMethod('GET', '/echo'), restMethod('ANY', '/{proxy+}')],
        gatewayResponses: new Map(),
        functions: new Map(),
      },
      runners,
    });
    closers.push(() => gateway.close());
    const url = await gateway.start();
    for (const [method, path] of [
      ['POST', '/echo'],
      ['GET', '/echo/anything'],
    ] as const) {
      const response = await fetch(`${url}${path}`, { method });
      expect([method, path, response.status, await response.json()]).toEqual([
        method,
        path,
        403,
        { message: 'Missing Authentication Token' },
      ]);
    }
    const slash = await fetch(`${url}/echo/`);
    expect([slash.status, await slash.json()]).toEqual([200, { path: '/echo/' }]);
  }, 20_000);
});

describe('the local HTTP API gateway', () => {
  it('routes /echo/ to GET /echo, the event keeping the trailing slash', async () => {
    const echo: LocalRoute = {
      routeKey: 'GET /echo',
      method: 'GET',
      path: '/echo',
      authorizer: undefined,
      integration: { type: 'AWS_PROXY', functionId: 'echo', payloadFormatVersion: '2.0', requestParameters: {} },
    };
    const gateway = new LocalHttpApiGateway({ api: { logicalId: 'Api', routes: [echo], functions: new Map() }, runners });
    closers.push(() => gateway.close());
    const url = await gateway.start();
    const response = await fetch(`${url}/echo/`);
    expect([response.status, await response.json()]).toEqual([200, { path: '/echo/' }]);
  }, 20_000);
});
