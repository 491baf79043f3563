import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyParameterMapping, type GatewayRequest, LocalHttpApiGateway } from '../../local/http-api-gateway.js';
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
