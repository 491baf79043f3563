import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyParameterMapping, evaluate, type GatewayRequest, LocalHttpApiGateway } from '../../local/http-api-gateway.js';
import { closeServer, listen, readBody } from '../../local/http-server.js';
import type { LocalRoute } from '../../local/template.js';

const route: LocalRoute = {
  routeKey: 'GET /orders/{id}',
  method: 'GET',
  path: '/orders/{id}',
  authorizer: undefined,
  integration: { type: 'HTTP_PROXY', url: 'http://127.0.0.1:1/', requestParameters: {} },
};
const request: GatewayRequest = {
  requestId: 'req-1',
  method: 'GET',
  path: '/orders/42',
  rawQueryString: 'a=1',
  headers: { host: 'api', 'x-phantom-jwt': 'forged', 'x-trace': 't1' },
  cookies: [],
  body: Buffer.alloc(0),
  sourceIp: '127.0.0.1',
  time: new Date(0),
};

describe('HTTP API parameter mapping', () => {
  it('overwrites a header from the authorizer context, whatever the client sent', () => {
    const { headers } = applyParameterMapping(
      { 'overwrite:header.x-phantom-jwt': '$context.authorizer.jwt' },
      request,
      route,
      { id: '42' },
      { jwt: 'real.jwt.value' },
    );
    expect(headers['x-phantom-jwt']).toBe('real.jwt.value');
  });

  it('appends, removes, maps query strings, path parameters and braced expressions', () => {
    const mapped = applyParameterMapping(
      {
        'append:header.x-trace': '$context.requestId',
        'remove:header.host': "''",
        'overwrite:querystring.order': '$request.path.id',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: API Gateway's own ${…} mapping syntax
        'overwrite:header.x-route': 'route ${context.routeKey}',
      },
      request,
      route,
      { id: '42' },
      {},
    );
    expect(mapped.headers['x-trace']).toBe('t1,req-1');
    expect(mapped.headers.host).toBeUndefined();
    expect(mapped.headers['x-route']).toBe('route GET /orders/{id}');
    expect(mapped.query.toString()).toBe('a=1&order=42');
  });
});

describe('$context variables beyond routeKey and requestId', () => {
  it('evaluates the request’s $context variables as identity sources and mapping values', () => {
    const mapped = applyParameterMapping(
      {
        'overwrite:header.x-method': '$context.httpMethod',
        'overwrite:header.x-ip': '$context.identity.sourceIp',
        'overwrite:header.x-where': '$context.stage $context.path',
      },
      request,
      route,
      { id: '42' },
      {},
    );
    expect([mapped.headers['x-method'], mapped.headers['x-ip'], mapped.headers['x-where']]).toEqual([
      'GET',
      '127.0.0.1',
      '$default /orders/42',
    ]);
    expect(evaluate('$context.httpMethod', request, route, {}, {})).toBe('GET');
    expect(evaluate('$context.noSuchVariable', request, route, {}, {})).toBeUndefined();
  });
});

describe('an HTTP proxy route', () => {
  let backend: http.Server;
  let gateway: LocalHttpApiGateway;
  const seen: http.IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    backend = http.createServer(async (req, res) => {
      await readBody(req);
      seen.push(req.headers);
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`backend saw ${req.url}`);
    });
    await listen(backend, 0);
    const url = `http://127.0.0.1:${(backend.address() as AddressInfo).port}/orders`;
    gateway = new LocalHttpApiGateway({
      api: {
        logicalId: 'Api',
        functions: new Map(),
        routes: [
          { ...route, integration: { type: 'HTTP_PROXY', url, requestParameters: { 'overwrite:header.x-order': '$request.path.id' } } },
        ],
      },
      runners: new Map(),
    });
    await gateway.start();
  });
  afterAll(async () => {
    await gateway.close();
    await closeServer(backend);
  });

  it('applies the mapping and proxies to the integration URL with the query string', async () => {
    const response = await fetch(`${gateway.url}/orders/7?x=1`, { headers: { 'x-order': 'client-value' } });
    expect(await response.text()).toBe('backend saw /orders?x=1');
    expect(seen.at(-1)?.['x-order']).toBe('7');
  });

  it('answers 404 for a path no route matches', async () => {
    expect((await fetch(`${gateway.url}/nothing`)).status).toBe(404);
  });
});

describe('HTTP proxy integration URLs and forwarding headers', () => {
  let backend: http.Server;
  let base: string;
  const seen: { url: string; headers: http.IncomingHttpHeaders }[] = [];
  const gateways: LocalHttpApiGateway[] = [];

  beforeAll(async () => {
    backend = http.createServer(async (req, res) => {
      await readBody(req);
      seen.push({ url: req.url ?? '', headers: req.headers });
      res.writeHead(200).end();
    });
    await listen(backend, 0);
    base = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const gateway of gateways) await gateway.close();
    await closeServer(backend);
  });

  async function through(routeKey: string, url: string, path: string, requestParameters: Record<string, string> = {}, headers = {}) {
    const [method, routePath] = routeKey === '$default' ? ['ANY', '$default'] : (routeKey.split(' ') as [string, string]);
    const gateway = new LocalHttpApiGateway({
      api: {
        logicalId: 'Api',
        functions: new Map(),
        routes: [{ routeKey, method, path: routePath, authorizer: undefined, integration: { type: 'HTTP_PROXY', url, requestParameters } }],
      },
      runners: new Map(),
    });
    gateways.push(gateway);
    await gateway.start();
    expect((await fetch(`${gateway.url}${path}`, { headers })).status).toBe(200);
    return seen.at(-1) as { url: string; headers: http.IncomingHttpHeaders };
  }

  it('sends the $default route the whole request path, after the integration URI’s own path', async () => {
    expect((await through('$default', `${base}/base`, '/a/b?x=1')).url).toBe('/base/a/b?x=1');
  });

  it('replaces {proxy} in the integration URI with what a {proxy+} route matched', async () => {
    expect((await through('ANY /pets/{proxy+}', `${base}/petstore/{proxy}`, '/pets/dogs/7')).url).toBe('/petstore/dogs/7');
    expect((await through('GET /pets/{petID}', `${base}/pets/extendedpath/{petID}`, '/pets/6')).url).toBe('/pets/extendedpath/6');
  });

  it('honours overwrite:path', async () => {
    expect((await through('$default', `${base}/base`, '/a/b', { 'overwrite:path': '/fixed' })).url).toBe('/fixed');
    expect(
      (await through('GET /orders/{id}', `${base}/orders`, '/orders/9', { 'overwrite:path': '/v2/orders/$request.path.id' })).url,
    ).toBe('/v2/orders/9');
  });

  it('translates the client’s X-Forwarded-* headers into a Forwarded header and appends this hop (api-gateway-known-issues.html)', async () => {
    const { headers } = await through(
      '$default',
      base,
      '/x',
      {},
      {
        forwarded: 'for=6.6.6.6',
        'x-forwarded-for': '203.0.113.9, 198.51.100.2',
        'x-forwarded-proto': 'https',
      },
    );
    expect(headers.forwarded).toMatch(
      /^for=203\.0\.113\.9, for=198\.51\.100\.2;proto=https, by=[^;]+;for="?(::ffff:)?127\.0\.0\.1"?;host="127\.0\.0\.1:\d+";proto=http$/,
    );
    expect(headers['x-forwarded-for']).toBeUndefined();
    expect(headers['x-forwarded-proto']).toBeUndefined();
  });
});
