import { describe, expect, it } from 'vitest';
import { api, type Probe, wrongAnswers } from './route-table-plan-harness.js';

/**
 * Mutants of the request model (lambda/routes/route-patterns.ts: which requests a route receives)
 * that survived the runtime's tests (issue 25), killed by the plan's answers: each API's requests,
 * answered for every scope set and reused as API Gateway reuses a cached answer, must be allowed
 * exactly when the token holds the scopes of the route API Gateway sent them to.
 */
const SCOPE_SETS = [[], ['read'], ['admin'], ['read', 'admin']];

describe('the requests a route receives', () => {
  it('counts every path under $default, so an Allow of a variable route never lets a read token into the default route', () => {
    // /orders/7/notes has no route of its own: API Gateway sends it to $default (admin), and GET/orders/* matches it.
    const http = api('Http', ['GET /orders/{id}', '$default']);
    const probes: Probe[] = [
      { api: http, route: 'GET /orders/{id}', method: 'GET', path: '/orders/7' },
      { api: http, route: '$default', method: 'GET', path: '/orders/7/notes' },
      { api: http, route: '$default', method: 'POST', path: '/elsewhere' },
    ];
    const declarations: [string, string[]][] = [
      ['GET /orders/{id}', ['read']],
      ['$default', ['admin']],
    ];
    expect(wrongAnswers(declarations, [http], probes, SCOPE_SETS, 'evaluated-policy')).toEqual([]);
  });

  it('counts several segments under a greedy {proxy+}, so an Allow with an inner variable never reaches the proxy’s deeper paths', () => {
    // /files/a/b/meta is not GET /files/{id}/meta (one segment): the proxy (admin) takes it, and GET/files/*/meta matches it.
    const http = api('Http', ['GET /files/{id}/meta', 'ANY /files/{proxy+}']);
    const probes: Probe[] = [
      { api: http, route: 'GET /files/{id}/meta', method: 'GET', path: '/files/a/meta' },
      { api: http, route: 'ANY /files/{proxy+}', method: 'GET', path: '/files/a/b/meta' },
      { api: http, route: 'ANY /files/{proxy+}', method: 'DELETE', path: '/files/a' },
    ];
    const declarations: [string, string[]][] = [
      ['GET /files/{id}/meta', ['read']],
      ['ANY /files/{proxy+}', ['admin']],
    ];
    expect(wrongAnswers(declarations, [http], probes, SCOPE_SETS, 'evaluated-policy')).toEqual([]);
  });

  it('finds that an Allow with an inner variable reaches a root proxy’s request with more segments', () => {
    // The walk over both patterns must tell apart the states it has seen: GET/orders/*/items matches
    // /orders/a/b/items, which only the root proxy (admin) receives.
    const http = api('Http', ['GET /orders/{id}/items', 'ANY /{proxy+}']);
    const probes: Probe[] = [
      { api: http, route: 'GET /orders/{id}/items', method: 'GET', path: '/orders/a/items' },
      { api: http, route: 'ANY /{proxy+}', method: 'GET', path: '/orders/a/b/items' },
      { api: http, route: 'ANY /{proxy+}', method: 'PUT', path: '/x' },
    ];
    const declarations: [string, string[]][] = [
      ['GET /orders/{id}/items', ['read']],
      ['ANY /{proxy+}', ['admin']],
    ];
    expect(wrongAnswers(declarations, [http], probes, SCOPE_SETS, 'evaluated-policy')).toEqual([]);
  });
});
