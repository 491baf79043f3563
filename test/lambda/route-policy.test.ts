import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyResponse } from '../../lambda/authorizer-response.js';
import { globMatches, globMeetsRoute, routeGlobs } from '../../lambda/routes/route-patterns.js';
import { arnPrefix, parseRoutePolicy } from '../../lambda/routes/route-policy.js';
import { planRoutePolicy } from '../../lib/route-policy-plan.js';
import { policyAllows, readPolicy } from '../../local/iam-policy.js';
import { httpApiEvent, restEvent } from '../support/fixtures.js';
import { type Peers, startPeers } from '../support/peers.js';

describe('route globs', () => {
  it('write a path variable as *, ANY as one glob per method its routes do not take, and a literal end with and without /', () => {
    expect(routeGlobs('GET /orders/{id}/items/{proxy+}')).toEqual(['GET/orders/*/items/*']);
    expect(routeGlobs('GET /orders/{id}')).toEqual(['GET/orders/*']);
    expect(routeGlobs('GET /orders/{id}/items')).toEqual(['GET/orders/*/items', 'GET/orders/*/items/']);
    expect(routeGlobs('ANY /orders', ['GET', 'OPTIONS', 'HEAD', 'PATCH', 'PUT'])).toEqual([
      'DELETE/orders',
      'DELETE/orders/',
      'POST/orders',
      'POST/orders/',
    ]);
    expect(routeGlobs('GET /')).toEqual(['GET/']);
    expect(routeGlobs('$default')).toEqual(['*']);
  });

  it('find that * crosses /: GET /orders/{id} reaches GET /orders/{id}/items, not the other way round', () => {
    expect(globMeetsRoute('GET/orders/*', 'GET /orders/{id}/items')).toBe(true);
    expect(globMeetsRoute('GET/orders/*/items', 'GET /orders/{id}')).toBe(false);
    expect(globMeetsRoute('GET/orders/*', 'GET /{proxy+}')).toBe(true);
    expect(globMeetsRoute('GET/orders/*', 'POST /orders/{id}')).toBe(false);
    expect(globMeetsRoute('GET/r1/*', 'GET /r10/{id}')).toBe(false);
    expect(globMeetsRoute('POST/orders', 'ANY /orders')).toBe(true);
    expect(globMeetsRoute('GET/a', '$default')).toBe(true);
  });

  it('match strings as the local gateway evaluates IAM resource wildcards (* any run, ? one character)', () => {
    const alphabet = fc.constantFrom('a', 'b', '/', '*', '?');
    fc.assert(
      fc.property(
        fc.string({ unit: alphabet, maxLength: 8 }),
        fc.string({ unit: fc.constantFrom('a', 'b', '/'), maxLength: 8 }),
        (glob, value) => {
          const statements = [{ effect: 'Allow' as const, actions: ['execute-api:Invoke'], resources: [`p/${glob}`] }];
          expect(globMatches(glob, value)).toBe(policyAllows(statements, `p/${value}`));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('ROUTE_POLICY', () => {
  it('is optional: unset means simple responses, as before', () => {
    expect(parseRoutePolicy(undefined)).toBeUndefined();
    expect(parseRoutePolicy(' ')).toBeUndefined();
  });

  it('fails the configuration on anything but the documented shape, naming the variable', () => {
    expect(() => parseRoutePolicy('{')).toThrow(/^ROUTE_POLICY must be JSON$/);
    expect(() => parseRoutePolicy('[]')).toThrow(/ROUTE_POLICY must be a JSON object with perRoute and anyExcept/);
    expect(() => parseRoutePolicy('{"perRoute":["GET orders"]}')).toThrow(
      /ROUTE_POLICY.perRoute must be an array of route keys; received \["GET orders"\]/,
    );
    expect(() => parseRoutePolicy('{"anyExcept":{"GET /x":["POST"]}}')).toThrow(
      /ROUTE_POLICY.anyExcept must map ANY route keys to HTTP methods; received "GET \/x": \["POST"\]/,
    );
    expect(() => parseRoutePolicy('{"anyExcept":{"ANY /x":["FETCH"]}}')).toThrow(/received "ANY \/x": \["FETCH"\]/);
  });

  it('takes the ARN prefix up to the stage from the request ARN, and refuses an ARN without one', () => {
    expect(arnPrefix('arn:aws:execute-api:eu-west-1:123456789012:abc123/$default/GET/orders/1')).toBe(
      'arn:aws:execute-api:eu-west-1:123456789012:abc123/$default/',
    );
    expect(() => arnPrefix('arn:aws:execute-api:eu-west-1:123456789012:abc123')).toThrow(
      /authorizer event ARN must be arn:…:api-id\/stage\/METHOD\/path/,
    );
  });
});

/**
 * The REST equivalent of the local-gateway test, at the handler: API Gateway caches a REST
 * REQUEST authorizer's policy by its identity source (the Authorization header alone when the plan
 * is exact) and evaluates it against each later request's method ARN. Here the first answer for a
 * token is kept and evaluated, as API Gateway would, for every other request in every order.
 */
describe('REST handler answers, one cached policy per token', () => {
  const declarations = new Map<string, string[]>([
    ['GET /orders', ['read']],
    ['POST /orders', ['write']],
    ['GET /orders/{id}', ['read']],
    ['ANY /orders/{id}/notes', ['write']],
    ['GET /orders/{id}/notes', ['read']],
    ['GET /health', []],
  ]);
  const routeKeys = [...declarations.keys()];
  const plan = planRoutePolicy({ declarations }, [
    { name: 'Api', protectedRouteKeys: routeKeys, allRouteKeys: new Set([...routeKeys, 'OPTIONS /orders/{id}/notes']), lookup: 'rest' },
  ]);
  const env = { ROUTE_SCOPES: JSON.stringify(Object.fromEntries(declarations)), ROUTE_POLICY: plan.json };
  /** method, path, resource, and the declaration that decides (REST: `PUT` on an ANY method needs what ANY declares). */
  const probes = [
    ['GET', '/orders', '/orders', 'GET /orders'],
    ['POST', '/orders', '/orders', 'POST /orders'],
    ['GET', '/orders/7', '/orders/{id}', 'GET /orders/{id}'],
    ['PUT', '/orders/7/notes', '/orders/{id}/notes', 'ANY /orders/{id}/notes'],
    ['DELETE', '/orders/7/notes', '/orders/{id}/notes', 'ANY /orders/{id}/notes'],
    ['GET', '/orders/7/notes', '/orders/{id}/notes', 'GET /orders/{id}/notes'],
    ['GET', '/health', '/health', 'GET /health'],
  ] as const;
  let peers: Peers;
  beforeAll(async () => {
    peers = await startPeers();
  });
  afterAll(async () => {
    await peers?.close();
  });

  it('plans this table exact: the Authorization header alone is the cache key', () => {
    expect(plan.perRouteApis.size).toBe(0);
    expect(JSON.parse(plan.json)).toEqual({ perRoute: [], anyExcept: { 'ANY /orders/{id}/notes': ['GET', 'OPTIONS'] } });
  });

  it('allows exactly what the token scopes cover on every method, whichever request is answered first', async () => {
    const handler = peers.authorizer(env);
    const wrong: string[] = [];
    for (const scope of ['read', 'write', 'read write']) {
      const token = await peers.token(scope);
      for (const first of probes) {
        const [method, path, resource] = first;
        const answer = (await handler(restEvent(`Bearer ${token}`, method, resource, path))) as PolicyResponse;
        const statements = readPolicy(answer);
        if (statements === undefined) throw new Error('not a policy');
        for (const [m, p, , decides] of probes) {
          const allowed = policyAllows(statements, `arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/${m}${p}`);
          const truth = (declarations.get(decides) ?? []).every((needed) => scope.split(' ').includes(needed));
          if (allowed !== truth) wrong.push(`[${scope}] first ${method} ${path}, then ${m} ${p}: ${allowed ? 'allowed' : 'denied'}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('keeps REST 401 for an invalid token (the function fails with Unauthorized) and a Deny with the JWT context otherwise', async () => {
    const handler = peers.authorizer(env);
    await expect(handler(restEvent('Bearer not-a-token-the-server-knows'))).rejects.toThrow(/^Unauthorized$/);
    const token = await peers.token('read');
    const answer = (await handler(restEvent(`Bearer ${token}`, 'POST', '/orders'))) as PolicyResponse;
    expect(answer.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/*' },
      {
        Action: 'execute-api:Invoke',
        Effect: 'Deny',
        Resource: [
          ...['DELETE', 'HEAD', 'PATCH'].flatMap((method) => [
            `arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/${method}/orders/*/notes`,
            `arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/${method}/orders/*/notes/`,
          ]),
          'arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/POST/orders',
          'arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/POST/orders/',
          'arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/POST/orders/*/notes',
          'arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/POST/orders/*/notes/',
          'arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/PUT/orders/*/notes',
          'arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/PUT/orders/*/notes/',
        ],
      },
    ]);
    expect(answer.context?.jwt).toMatch(/^ey/);
  });

  it('answers a route of a per-route API for itself: Allow or Deny of the whole stage', async () => {
    const handler = peers.authorizer({ ...env, ROUTE_POLICY: JSON.stringify({ perRoute: ['*'], anyExcept: {} }) });
    const token = await peers.token('read');
    const allowed = (await handler(restEvent(`Bearer ${token}`, 'GET', '/orders'))) as PolicyResponse;
    const denied = (await handler(restEvent(`Bearer ${token}`, 'POST', '/orders'))) as PolicyResponse;
    const stage = 'arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/*';
    expect(allowed.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: stage }]);
    expect(denied.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: stage }]);
    expect(denied.context).toBeUndefined();
  });

  it('answers payload 2.0 events with a policy too, and an invalid token with a Deny of the stage (403), never an error', async () => {
    const handler = peers.authorizer({
      ROUTE_SCOPES: JSON.stringify({ 'GET /echo': ['read'] }),
      ROUTE_POLICY: '{"perRoute":[],"anyExcept":{}}',
    });
    const invalid = (await handler(httpApiEvent('Bearer unknown-token'))) as PolicyResponse;
    expect(invalid.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/*' },
    ]);
    const token = await peers.token('write');
    const event = {
      ...(httpApiEvent(`Bearer ${token}`) as object),
      routeArn: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/echo',
    };
    const answer = (await handler(event)) as PolicyResponse;
    expect(answer.policyDocument.Statement[1]).toEqual({
      Action: 'execute-api:Invoke',
      Effect: 'Deny',
      Resource: [
        'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/echo',
        'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/echo/',
      ],
    });
    expect(answer.context?.authorization).toBeUndefined();
  });

  it('fails closed with a Deny of the stage when the policy would not deny the request its route denies (an ARN that is not the route)', async () => {
    const handler = peers.authorizer({
      ROUTE_SCOPES: JSON.stringify({ 'GET /echo': ['read'] }),
      ROUTE_POLICY: '{"perRoute":[],"anyExcept":{}}',
    });
    const token = await peers.token('write');
    // AWS's sample event names GET /request in its routeArn and GET /echo as its route here.
    const answer = (await handler(httpApiEvent(`Bearer ${token}`))) as PolicyResponse;
    expect(answer.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/*' },
    ]);
  });
});
