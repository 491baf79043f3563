import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyResponse } from '../../lambda/authorizer-response.js';
import { loadConfig } from '../../lambda/config.js';
import { groupPolicy, tableAnswer } from '../../lambda/routes/policy-answer.js';
import { findRoute, parseRouteTable } from '../../lambda/routes/route-table.js';
import { type PlannedApi, planRouteTable } from '../../lib/route-table-plan.js';
import { policyDecision, readPolicy, WILDCARD_READINGS } from '../../local/iam-policy.js';
import { httpApiEvent, restEvent } from '../support/fixtures.js';
import { decisionLines, rememberSecret } from '../support/log-capture.js';
import { type Peers, startPeers } from '../support/peers.js';

const STAGE = 'arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/';
let dir: string;
let peers: Peers;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'route-table-test-'));
  peers = await startPeers();
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await peers?.close();
});

/** Plans a table for one API, writes it, and returns the function environment that reads it. */
function tableEnvironment(declarations: [string, string[]][], routeKeys: string[], lookup: 'http' | 'rest', others: string[] = []) {
  const api: PlannedApi = { name: 'Api', guardedRouteKeys: routeKeys, allRouteKeys: new Set([...routeKeys, ...others]), lookup };
  // evaluated-policy sharing: the richest answers (Allows and Denies of routes needing other scopes).
  const plan = planRouteTable(new Map(declarations), [api], 'evaluated-policy');
  const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, plan.json);
  return { env: { ROUTE_SCOPES: '', ROUTE_TABLE_FILE: file }, plan };
}

describe('the route table file', () => {
  it('refuses anything but its documented shape, naming the entry and the rule', () => {
    expect(() => parseRouteTable('{')).toThrow(/^the route table must be JSON$/);
    expect(() => parseRouteTable('{"version":2,"routes":[]}')).toThrow(/must be \{"version":1,"routes":\[…\]\}; received version 2/);
    const entry = { routeKey: 'GET /x', scopes: ['read'], group: 0, allow: ['GET/x'], deny: ['GET/x'], reachedBy: [] };
    const table = (change: object) => JSON.stringify({ version: 1, routes: [{ ...entry, ...change }] });
    expect(() => parseRouteTable(table({ routeKey: 'FETCH /x' }))).toThrow(/entry "FETCH \/x" must have a routeKey/);
    expect(() => parseRouteTable(table({ scopes: ['a b'] }))).toThrow(
      /entry "GET \/x" must have scopes, an array of RFC 6749 scope tokens/,
    );
    expect(() => parseRouteTable(table({ group: -1 }))).toThrow(/must have a group, a whole number or "route"; received -1/);
    expect(() => parseRouteTable(table({ allow: ['PURGE/x'] }))).toThrow(/allow and deny, arrays of METHOD\/path globs of a known method/);
    expect(() => parseRouteTable(table({ reachedBy: ['GET /y'] }))).toThrow(/is reached by GET \/y, which is not a route of its group/);
    expect(() => parseRouteTable(JSON.stringify({ version: 1, routes: [entry, entry] }))).toThrow(/lists GET \/x twice/);
  });

  it('is read once at cold start, never beside ROUTE_SCOPES, and the retired ROUTE_POLICY fails the configuration', () => {
    const { env } = tableEnvironment([['GET /x', ['read']]], ['GET /x'], 'http');
    const base = { INTROSPECTION_ENDPOINT: 'https://login.example.com/introspect', CLIENT_CREDENTIALS_SECRET: 'secret' };
    expect(loadConfig({ ...base, ...env }).routeTable?.routes.get('GET /x')?.scopes).toEqual(['read']);
    expect(() => loadConfig({ ...base, ...env, ROUTE_SCOPES: '{"GET /x":["read"]}' })).toThrow(
      /ROUTE_SCOPES and ROUTE_TABLE_FILE must not both be set/,
    );
    expect(() => loadConfig({ ...base, ROUTE_TABLE_FILE: join(dir, 'missing.json') })).toThrow(
      /ROUTE_TABLE_FILE names ".*missing\.json", which cannot be read/,
    );
    expect(() => loadConfig({ ...base, ROUTE_POLICY: '{"perRoute":[]}' })).toThrow(/ROUTE_POLICY is no longer read/);
  });

  it('finds a REST request of an ANY method under ANY, and a payload 2.0 request only under its own route key', () => {
    const table = parseRouteTable(tableEnvironment([], ['ANY /x', 'GET /y'], 'rest').plan.json);
    expect(findRoute(table, { format: 'policy', routeKey: 'PUT /x' })?.routeKey).toBe('ANY /x');
    expect(findRoute(table, { format: 'policy', routeKey: 'GET /y' })?.routeKey).toBe('GET /y');
    expect(findRoute(table, { format: 'simple', routeKey: 'PUT /x' })).toBeUndefined();
    expect(findRoute(table, { format: 'policy', routeKey: 'GET /z' })).toBeUndefined();
  });
});

describe('answers from the route table', () => {
  /** REST routes with nested variables, ANY, an open route: method, path, resource, the route that decides. */
  const declarations: [string, string[]][] = [
    ['GET /orders', ['read']],
    ['POST /orders', ['write']],
    ['GET /orders/{id}', ['read']],
    ['GET /orders/{id}/items', ['read', 'write']],
    ['ANY /orders/{id}/notes', ['write']],
  ];
  const routeKeys = [...declarations.map(([key]) => key), 'GET /health'];
  const probes = [
    ['GET', '/orders', '/orders', 'GET /orders'],
    ['POST', '/orders', '/orders', 'POST /orders'],
    ['GET', '/orders/7', '/orders/{id}', 'GET /orders/{id}'],
    ['GET', '/orders/a:b', '/orders/{id}', 'GET /orders/{id}'],
    ['GET', '/orders/7/items', '/orders/{id}/items', 'GET /orders/{id}/items'],
    ['GET', '/orders/a:b/items', '/orders/{id}/items', 'GET /orders/{id}/items'],
    ['PUT', '/orders/7/notes', '/orders/{id}/notes', 'ANY /orders/{id}/notes'],
    ['DELETE', '/orders/x:y:z/notes', '/orders/{id}/notes', 'ANY /orders/{id}/notes'],
    ['GET', '/health', '/health', 'GET /health'],
  ] as const;
  const needs = new Map(declarations);

  it('allows exactly what the token scopes cover, under both readings of IAM wildcards, whichever request is answered first', async () => {
    const { env, plan } = tableEnvironment(declarations, routeKeys, 'rest', ['OPTIONS /orders/{id}/notes']);
    expect([...plan.groups.values()].every((group) => group === 0)).toBe(true);
    const handler = peers.authorizer(env);
    const wrong: string[] = [];
    for (const scope of ['read', 'write', 'read write']) {
      const token = await peers.token(scope);
      for (const [method, path, resource] of probes) {
        const answer = (await handler(restEvent(`Bearer ${token}`, method, resource, path))) as PolicyResponse;
        rememberSecret(answer.context?.jwt as string);
        const statements = readPolicy(answer) ?? [];
        for (const reading of WILDCARD_READINGS) {
          for (const [m, p, , decides] of probes) {
            const allowed = policyDecision(statements, `${STAGE}${m}${p}`, reading) === 'allow';
            const truth = (needs.get(decides) ?? []).every((needed) => scope.split(' ').includes(needed));
            if (allowed !== truth)
              wrong.push(`[${scope}, ${reading}] first ${method} ${path}, then ${m} ${p}: ${allowed ? 'allowed' : 'denied'}`);
          }
          expect(policyDecision(statements, `${STAGE}PURGE/orders/7/notes`, reading)).not.toBe('allow');
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('denies a route the table does not know with a Deny of the stage, without asking the identity server', async () => {
    const { env } = tableEnvironment(declarations, routeKeys, 'rest');
    const token = await peers.token('read');
    const answer = (await peers.authorizer(env)(restEvent(`Bearer ${token}`, 'GET', '/unknown'))) as PolicyResponse;
    expect(answer.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: `${STAGE}*` }]);
    expect(answer.context).toBeUndefined();
    expect((await decisionLines()).at(-1)).toMatchObject({ outcome: 'deny', reason: 'unknown_route', routeKey: 'GET /unknown' });
    expect((await decisionLines()).at(-1)).not.toHaveProperty('cache');
  });

  it('denies a method outside the seven on an ANY route, and answers the token policy API Gateway may cache for its other requests', async () => {
    const { env } = tableEnvironment([['ANY /x', ['read']]], ['ANY /x'], 'http');
    const token = await peers.token('read');
    const event = httpApiEvent(`Bearer ${token}`, 'ANY /x') as { requestContext: { http: object }; routeArn: string };
    const purge = {
      ...event,
      routeArn: `${STAGE}PURGE/x`,
      requestContext: { ...event.requestContext, http: { ...event.requestContext.http, method: 'PURGE' } },
    };
    const answer = (await peers.authorizer(env)(purge)) as PolicyResponse;
    rememberSecret(answer.context?.jwt as string);
    expect((await decisionLines()).at(-1)).toMatchObject({ outcome: 'deny', reason: 'unknown_method' });
    expect(policyDecision(readPolicy(answer) ?? [], `${STAGE}PURGE/x`)).toBe('implicit-deny');
    expect(policyDecision(readPolicy(answer) ?? [], `${STAGE}GET/x`)).toBe('allow');
  });

  it('answers a route cached per route with an Allow of the seven methods or a Deny of the stage', async () => {
    // F: the admin route's Deny would also match proxy requests, so it is cached per route or in a group of its own.
    const table = JSON.parse(tableEnvironment([['GET /admin/{id}', ['write']]], ['ANY /{proxy+}', 'GET /admin/{id}'], 'http').plan.json);
    for (const route of table.routes) if (route.routeKey === 'GET /admin/{id}') route.group = 'route';
    const file = join(dir, 'per-route.json');
    writeFileSync(file, JSON.stringify(table));
    const handler = peers.authorizer({ ROUTE_SCOPES: '', ROUTE_TABLE_FILE: file });
    const event = (scope: string) => async () => ({
      ...(httpApiEvent(`Bearer ${await peers.token(scope)}`, 'GET /admin/{id}') as object),
      routeArn: `${STAGE}GET/admin/7`,
    });
    const allowed = (await handler(await event('write')())) as PolicyResponse;
    rememberSecret(allowed.context?.jwt as string);
    expect(allowed.policyDocument.Statement).toEqual([
      {
        Action: 'execute-api:Invoke',
        Effect: 'Allow',
        Resource: ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'].map((m) => `${STAGE}${m}/*`),
      },
    ]);
    const denied = (await handler(await event('read')())) as PolicyResponse;
    expect(denied.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: `${STAGE}*` }]);
  });

  it('answers an invalid token with REST 401 and, for payload 2.0, a Deny of the stage (403)', async () => {
    const { env } = tableEnvironment([['GET /echo', ['read']]], ['GET /echo'], 'http');
    const handler = peers.authorizer(env);
    await expect(handler(restEvent('Bearer not-a-token-the-server-knows', 'GET', '/echo'))).rejects.toThrow(/^Unauthorized$/);
    const invalid = (await handler(httpApiEvent('Bearer unknown-token'))) as PolicyResponse;
    expect(invalid.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/*' },
    ]);
  });

  it('keeps one answer per scope set: scopes that would join alike never share one', () => {
    const table = parseRouteTable(
      tableEnvironment(
        [
          ['GET /a', ['admin', 'read']],
          ['GET /b', ['read']],
        ],
        ['GET /a', 'GET /b'],
        'http',
      ).plan.json,
    );
    expect(groupPolicy(table, 0, ['admin read']).allow).toEqual([]);
    expect(groupPolicy(table, 0, ['admin', 'read']).allow).toEqual(['GET/a', 'GET/a/', 'GET/b', 'GET/b/']);
    expect(groupPolicy(table, 0, ['read', 'read']).allow).toEqual(['GET/b', 'GET/b/']);
  });

  it('fails the request (500) rather than answer a policy over 8 KiB, and answers the same group on a short stage', () => {
    const routes = Array.from({ length: 80 }, (_, i) => ({
      routeKey: `GET /catalog/resource${i}/{id}`,
      scopes: [],
      group: 0,
      allow: [`GET/catalog/resource${i}/*`],
      deny: [`GET/catalog/resource${i}/*`],
      reachedBy: [],
    }));
    const table = parseRouteTable(JSON.stringify({ version: 1, routes }));
    const route = table.routes.get('GET /catalog/resource0/{id}');
    if (route === undefined) throw new Error('no route');
    const input = (stage: string) => ({
      arn: `arn:aws:execute-api:eu-west-1:123456789012:abcdefghij/${stage}/GET/catalog/resource0/7`,
      allowed: true,
      principalId: 'alice',
      granted: [],
      context: { jwt: 'h.p.s' },
    });
    const answered = tableAnswer(table, route, input('prod'));
    expect(JSON.stringify(answered.policyDocument).length).toBeLessThan(8_192);
    expect(() => tableAnswer(table, route, input('a-stage-name-much-longer-than-the-plan-provides-for'))).toThrow(
      /the authorizer's policy would be \d+ bytes, over 8192/,
    );
  });
});
