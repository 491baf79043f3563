import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalHttpApiGateway } from '../../local/http-api-gateway.js';
import { closeServer, listen, readBody } from '../../local/http-server.js';
import type { LocalRoute } from '../../local/template.js';

/**
 * Route selection over real HTTP, against the examples of "Routing API requests" in
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html.
 * Each route proxies to the backend at `/selected/<routeKey>`, so the answer names the route chosen.
 */
let backend: http.Server;
let backendUrl: string;
const gateways: LocalHttpApiGateway[] = [];

beforeAll(async () => {
  backend = http.createServer(async (req, res) => {
    await readBody(req);
    // The first segment after /selected/ names the route ($default's request path follows it).
    res
      .writeHead(200, { 'content-type': 'text/plain' })
      .end(decodeURIComponent((req.url ?? '').replace('/selected/', '').split(/[/?]/)[0] ?? ''));
  });
  await listen(backend, 0);
  backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const gateway of gateways) await gateway.close();
  await closeServer(backend);
});

async function apiWith(...routeKeys: string[]): Promise<string> {
  const routes: LocalRoute[] = routeKeys.map((routeKey) => {
    const [method, path] = routeKey === '$default' ? ['ANY', '$default'] : (routeKey.split(' ') as [string, string]);
    return {
      routeKey,
      method,
      path,
      authorizer: undefined,
      integration: { type: 'HTTP_PROXY', url: `${backendUrl}/selected/${encodeURIComponent(routeKey)}`, requestParameters: {} },
    };
  });
  const gateway = new LocalHttpApiGateway({ api: { logicalId: 'Api', routes, functions: new Map() }, runners: new Map() });
  gateways.push(gateway);
  return gateway.start();
}

async function selected(url: string, method: string, path: string): Promise<string> {
  const response = await fetch(`${url}${path}`, { method });
  return response.status === 200 ? response.text() : `${response.status}`;
}

describe('route selection, the developer guide example (GET /pets/dog/1, GET /pets/dog/{id}, GET /pets/{proxy+}, ANY /{proxy+}, $default)', () => {
  let url: string;
  beforeAll(async () => {
    // Declared in an order unlike the guide's, so that no test passes by declaration order.
    url = await apiWith('$default', 'ANY /{proxy+}', 'GET /pets/{proxy+}', 'GET /pets/dog/{id}', 'GET /pets/dog/1');
  });

  it('sends GET /pets/dog/1 to the static route GET /pets/dog/1', async () => {
    expect(await selected(url, 'GET', '/pets/dog/1')).toBe('GET /pets/dog/1');
  });

  it('sends GET /pets/dog/2 to GET /pets/dog/{id}, which it fully matches', async () => {
    expect(await selected(url, 'GET', '/pets/dog/2')).toBe('GET /pets/dog/{id}');
  });

  it('sends GET /pets/cat/1 to GET /pets/{proxy+}, the greedy route with its method', async () => {
    expect(await selected(url, 'GET', '/pets/cat/1')).toBe('GET /pets/{proxy+}');
  });

  it('sends POST /test/5 to ANY /{proxy+}, because greedy routes come before $default', async () => {
    expect(await selected(url, 'POST', '/test/5')).toBe('ANY /{proxy+}');
  });

  it('sends a request no other route matches (the root) to $default', async () => {
    expect(await selected(url, 'GET', '/')).toBe('$default');
  });
});

describe('route selection beyond the example', () => {
  it('prefers a full match with variables to a greedy route: GET /x/y/z goes to GET /{a}/{b}/{c}, not GET /x/{proxy+}', async () => {
    const url = await apiWith('GET /x/{proxy+}', 'GET /{a}/{b}/{c}');
    expect(await selected(url, 'GET', '/x/y/z')).toBe('GET /{a}/{b}/{c}');
  });

  it('prefers a full match to a greedy route with literals: GET /a/b goes to GET /{x}/{y}, not ANY /a/{proxy+}', async () => {
    const url = await apiWith('ANY /a/{proxy+}', 'GET /{x}/{y}');
    expect(await selected(url, 'GET', '/a/b')).toBe('GET /{x}/{y}');
  });

  it('prefers the longest greedy route, whatever its method: GET /pets/cat goes to ANY /pets/{proxy+}, not GET /{proxy+}', async () => {
    const url = await apiWith('GET /{proxy+}', 'ANY /pets/{proxy+}');
    expect(await selected(url, 'GET', '/pets/cat')).toBe('ANY /pets/{proxy+}');
  });

  it('prefers the request method to ANY for the same path, and uses ANY for the other methods', async () => {
    const url = await apiWith('ANY /orders', 'GET /orders');
    expect(await selected(url, 'GET', '/orders')).toBe('GET /orders');
    expect(await selected(url, 'DELETE', '/orders')).toBe('ANY /orders');
  });

  it('prefers a literal segment to a variable, leftmost first: GET /orders/new goes to GET /orders/new, not GET /orders/{id}', async () => {
    const url = await apiWith('GET /orders/{id}', 'GET /orders/new', 'GET /{kind}/new');
    expect(await selected(url, 'GET', '/orders/new')).toBe('GET /orders/new');
    expect(await selected(url, 'GET', '/items/new')).toBe('GET /{kind}/new');
  });

  it('does not let a greedy variable match an empty rest: GET /pets goes to $default, not GET /pets/{proxy+}', async () => {
    const url = await apiWith('GET /pets/{proxy+}', '$default');
    expect(await selected(url, 'GET', '/pets')).toBe('$default');
    expect(await selected(url, 'GET', '/pets/')).toBe('$default');
  });

  it('answers 404 when no route matches and there is no $default', async () => {
    const url = await apiWith('GET /pets/{proxy+}', 'POST /orders');
    expect(await selected(url, 'GET', '/orders')).toBe('404');
  });
});
