import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyResponse } from '../../lambda/authorizer-response.js';
import { missingScopes, parseRouteScopes, requiredScopes } from '../../lambda/routes/route-scopes.js';
import { policyDecision, readPolicy } from '../../local/iam-policy.js';
import { httpApiEvent, restEvent } from '../support/fixtures.js';
import { rememberSecret } from '../support/log-capture.js';
import { type Peers, startPeers } from '../support/peers.js';

const routes = (declared: Record<string, string[]>) => parseRouteScopes(JSON.stringify(declared));

describe('requiredScopes', () => {
  it('applies ANY /x to a REST GET /x when GET /x is not declared', () => {
    expect(requiredScopes(routes({ 'ANY /x': ['admin'] }), { format: 'policy', routeKey: 'GET /x' })).toEqual(['admin']);
  });

  it('applies a REST method declared with no scopes instead of the ANY method on its path', () => {
    const declared = routes({ 'GET /x': [], 'ANY /x': ['admin'] });
    expect(requiredScopes(declared, { format: 'policy', routeKey: 'GET /x' })).toEqual([]);
    expect(requiredScopes(declared, { format: 'policy', routeKey: 'POST /x' })).toEqual(['admin']);
  });

  it('applies ANY only on its own path', () => {
    const declared = routes({ 'ANY /x': ['admin'] });
    expect(requiredScopes(declared, { format: 'policy', routeKey: 'GET /x/y' })).toEqual([]);
    expect(requiredScopes(declared, { format: 'policy', routeKey: 'GET /' })).toEqual([]);
  });

  it('never applies ANY /x to an HTTP API payload 2.0 route key GET /x, which is the matched route itself', () => {
    expect(requiredScopes(routes({ 'ANY /x': ['admin'] }), { format: 'simple', routeKey: 'GET /x' })).toEqual([]);
    expect(requiredScopes(routes({ 'ANY /x': ['admin'] }), { format: 'simple', routeKey: 'ANY /x' })).toEqual(['admin']);
  });

  it('requires nothing of an undeclared route', () => {
    expect(requiredScopes(routes({ 'GET /x': ['read'] }), { format: 'policy', routeKey: 'POST /y' })).toEqual([]);
    expect(requiredScopes(routes({ 'GET /x': ['read'] }), { format: 'simple', routeKey: '$default' })).toEqual([]);
  });
});

describe('missingScopes', () => {
  it('compares whole scope tokens: read:all does not grant read, nor read grant read:all', () => {
    expect(missingScopes(['read'], ['read:all'])).toEqual(['read']);
    expect(missingScopes(['read:all'], ['read'])).toEqual(['read:all']);
    expect(missingScopes(['read'], ['reader', 'xread'])).toEqual(['read']);
  });

  it('lists every required scope the token lacks, and nothing when it holds them all', () => {
    expect(missingScopes(['a', 'b', 'c'], ['b'])).toEqual(['a', 'c']);
    expect(missingScopes(['a', 'b'], ['b', 'a', 'z'])).toEqual([]);
    expect(missingScopes([], [])).toEqual([]);
  });
});

describe('parseRouteScopes', () => {
  it('reads nothing from an unset or blank variable', () => {
    expect(parseRouteScopes(undefined).size).toBe(0);
    expect(parseRouteScopes('  ').size).toBe(0);
  });

  it('keeps a route declared with no scopes, and each scope once', () => {
    expect([...parseRouteScopes('{"GET /x":[],"ANY /x":["admin","admin","read"]}')]).toEqual([
      ['GET /x', []],
      ['ANY /x', ['admin', 'read']],
    ]);
  });

  it.each([
    ['{', 'ROUTE_SCOPES must be JSON'],
    ['null', 'ROUTE_SCOPES must be a JSON object of route key to scope array'],
    ['"GET /x"', 'ROUTE_SCOPES must be a JSON object of route key to scope array'],
    ['["GET /x"]', 'ROUTE_SCOPES must be a JSON object of route key to scope array'],
    ['{"GET x":[]}', 'ROUTE_SCOPES key must be "$default" or "METHOD /path"; received "GET x"'],
    ['{"GET /x":"read"}', 'ROUTE_SCOPES["GET /x"] must be an array of RFC 6749 scope tokens; received "read"'],
    ['{"GET /x":["a b"]}', 'ROUTE_SCOPES["GET /x"] must be an array of RFC 6749 scope tokens; received ["a b"]'],
    ['{"GET /x":["read",7]}', 'ROUTE_SCOPES["GET /x"] must be an array of RFC 6749 scope tokens; received ["read",7]'],
  ])('rejects %s', (json, message) => {
    expect(() => parseRouteScopes(json)).toThrow(message);
    expect(() => parseRouteScopes(json)).toThrow(expect.objectContaining({ code: 'ERR_CONFIGURATION_INVALID', message }));
  });
});

describe('route scopes in the authorizer', () => {
  let peers: Peers;
  beforeAll(async () => {
    peers = await startPeers();
  });
  afterAll(async () => {
    await peers.close();
  });

  const effect = async (response: Promise<unknown>, request = 'GET/x') => {
    const answer = (await response) as PolicyResponse;
    if (answer.context?.jwt !== undefined) rememberSecret(answer.context.jwt);
    const decision = policyDecision(readPolicy(answer) ?? [], `arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/${request}`);
    return decision === 'allow' ? 'Allow' : 'Deny';
  };

  it('holds a REST GET /x to the scopes of ANY /x when GET /x is not declared', async () => {
    const authorizer = peers.authorizer({ ROUTE_SCOPES: JSON.stringify({ 'ANY /x': ['write'] }) });
    expect(await effect(authorizer(restEvent(`Bearer ${await peers.token('read')}`, 'GET', '/x')))).toBe('Deny');
    expect(await effect(authorizer(restEvent(`Bearer ${await peers.token('read write')}`, 'GET', '/x')))).toBe('Allow');
  });

  it('lets a REST GET /x declared with no scopes through without the scopes of ANY /x', async () => {
    const authorizer = peers.authorizer({ ROUTE_SCOPES: JSON.stringify({ 'GET /x': [], 'ANY /x': ['write'] }) });
    const token = await peers.token('read');
    expect(await effect(authorizer(restEvent(`Bearer ${token}`, 'GET', '/x')))).toBe('Allow');
    expect(await effect(authorizer(restEvent(`Bearer ${token}`, 'DELETE', '/x')), 'DELETE/x')).toBe('Deny');
  });

  it('never holds an HTTP API route GET /x to the scopes of ANY /x', async () => {
    const authorizer = peers.authorizer({ ROUTE_SCOPES: JSON.stringify({ 'ANY /x': ['write'] }) });
    const token = await peers.token('read');
    const allowed = (await authorizer(httpApiEvent(`Bearer ${token}`, 'GET /x'))) as { isAuthorized: boolean; context: { jwt: string } };
    rememberSecret(allowed.context.jwt);
    expect(allowed.isAuthorized).toBe(true);
    expect(await authorizer(httpApiEvent(`Bearer ${token}`, 'ANY /x'))).toEqual({ isAuthorized: false });
  });
});
