import { describe, expect, it } from 'vitest';
import { type PlannedApi, planRoutePolicy } from '../../lib/route-policy-plan.js';

const api = (name: string, protectedRouteKeys: string[], others: string[] = [], lookup: 'http' | 'rest' = 'http'): PlannedApi => ({
  name,
  protectedRouteKeys,
  allRouteKeys: new Set([...protectedRouteKeys, ...others]),
  lookup,
});
const declared = (entries: [string, string[]][]) => ({ declarations: new Map(entries) });

describe('the route policy plan', () => {
  it('is exact for routes whose globs cannot reach each other, with nothing per route', () => {
    const plan = planRoutePolicy(
      declared([
        ['GET /orders', ['read']],
        ['POST /orders', ['write']],
        ['GET /orders/{id}', ['read']],
        ['GET /orders/{id}/items', ['read', 'items']],
      ]),
      [api('Api', ['GET /orders', 'POST /orders', 'GET /orders/{id}', 'GET /orders/{id}/items'])],
    );
    expect(plan.perRouteApis.size).toBe(0);
    expect(JSON.parse(plan.json)).toEqual({ perRoute: [], anyExcept: {} });
  });

  it('finds the glob of a scoped parameter route reaching an open static route beside it', () => {
    const plan = planRoutePolicy(declared([['GET /items/{id}', ['read']]]), [api('Api', ['GET /items/{id}', 'GET /items/special'])]);
    expect(plan.perRouteApis.get('Api')).toEqual([{ denied: 'GET /items/{id}', glob: 'GET/items/*', reached: 'GET /items/special' }]);
    expect(JSON.parse(plan.json).perRoute).toEqual(['*']);
  });

  it('lets a static route that needs more sit under a parameter route: API Gateway sends its requests to it', () => {
    const plan = planRoutePolicy(
      declared([
        ['GET /items/{id}', ['read']],
        ['GET /items/special', ['read', 'admin']],
      ]),
      [api('Api', ['GET /items/{id}', 'GET /items/special'])],
    );
    expect(plan.perRouteApis.size).toBe(0);
  });

  it('finds a catch-all reached by every scoped glob, and a scoped $default reaching everything', () => {
    const proxy = planRoutePolicy(declared([['GET /a/{id}', ['read']]]), [api('Api', ['GET /a/{id}', 'GET /{proxy+}'])]);
    expect(proxy.perRouteApis.get('Api')).toEqual([{ denied: 'GET /a/{id}', glob: 'GET/a/*', reached: 'GET /{proxy+}' }]);
    const fallback = planRoutePolicy(declared([['$default', ['admin']]]), [api('Api', ['$default', 'GET /a'])]);
    expect(fallback.perRouteApis.get('Api')).toEqual([{ denied: '$default', glob: '*', reached: 'GET /a' }]);
  });

  it('leaves out of an ANY route globs the methods every API that has it routes elsewhere, its OPTIONS twin among them', () => {
    const plan = planRoutePolicy(
      declared([
        ['ANY /orders', ['write']],
        ['GET /orders', []],
      ]),
      [api('Api', ['ANY /orders', 'GET /orders'], ['OPTIONS /orders'])],
    );
    expect(plan.perRouteApis.size).toBe(0);
    expect(JSON.parse(plan.json).anyExcept).toEqual({ 'ANY /orders': ['GET', 'OPTIONS'] });
  });

  it('keeps a REST method without a declaration of its own in the ANY globs: the function holds it to what ANY declares', () => {
    const plan = planRoutePolicy(declared([['ANY /orders', ['write']]]), [api('Api', ['ANY /orders', 'GET /orders'], [], 'rest')]);
    expect(plan.perRouteApis.size).toBe(0);
    expect(JSON.parse(plan.json).anyExcept).toEqual({});
  });

  it('sends an API that shares a route key with a per-route API per route too, and names both reasons', () => {
    const plan = planRoutePolicy(declared([['GET /items/{id}', ['read']]]), [
      api('Overlapping', ['GET /items/{id}', 'GET /items/special']),
      api('Clean', ['GET /items/{id}', 'GET /health']),
      api('Apart', ['GET /status']),
    ]);
    expect([...plan.perRouteApis.keys()]).toEqual(['Overlapping', 'Clean']);
    expect(plan.perRouteApis.get('Clean')).toEqual([]);
    expect(JSON.parse(plan.json).perRoute).toEqual(['GET /health', 'GET /items/special', 'GET /items/{id}']);
  });

  it('caches every API per route, writing *, rather than list more per-route keys than the environment holds', () => {
    const many = Array.from({ length: 40 }, (_, i) => `GET /items-${i}/{id}`);
    const plan = planRoutePolicy(declared([['GET /items-0/{id}', ['read']]]), [
      api('Overlapping', [...many, 'GET /items-0/special']),
      api('Clean', ['GET /health']),
    ]);
    expect([...plan.perRouteApis.keys()]).toEqual(['Overlapping', 'Clean']);
    expect(JSON.parse(plan.json).perRoute).toEqual(['*']);
  });
});
