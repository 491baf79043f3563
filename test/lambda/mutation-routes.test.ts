import { describe, expect, it } from 'vitest';
import type { PolicyResponse } from '../../lambda/authorizer-response.js';
import { MAX_POLICY_BYTES } from '../../lambda/environment.js';
import { ConfigurationInvalidError } from '../../lambda/errors.js';
import { arnPrefix, groupPolicy, requestArn, scopesAnswer, tableAnswer } from '../../lambda/routes/policy-answer.js';
import { parseRouteScopes } from '../../lambda/routes/route-scopes.js';
import { parseRouteTable, type RouteTable, readRouteTableFile, type TableRoute } from '../../lambda/routes/route-table.js';
import { policyDecision, readPolicy, WILDCARD_READINGS } from '../../local/iam-policy.js';

/**
 * Mutants of lambda/routes/ that survived `npx stryker run --mutate "lambda/routes/**‍/*.ts"`
 * (issue 25), killed by what a request gets: an Allow, a Deny, or a 500 (a thrown error). The
 * answers are evaluated as API Gateway evaluates a cached policy (local/iam-policy.ts), under both
 * readings of IAM wildcards.
 */
const STAGE = 'arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/';

const route = (routeKey: string, scopes: string[], change: Partial<TableRoute> = {}): TableRoute => {
  const [method, path] = routeKey.split(' ') as [string, string];
  const glob = `${method}${path.replace(/\{[^}]*\}/g, '*')}`;
  return { routeKey, scopes, group: 0, allow: [glob], deny: [glob], reachedBy: [], ...change };
};
const table = (...routes: TableRoute[]): RouteTable => parseRouteTable(JSON.stringify({ version: 1, routes }));
const input = (arn: string, allowed: boolean, granted: string[]) => ({ arn, allowed, principalId: 'alice', granted, context: {} });

/** The decision a cached answer gives a request, the same under both wildcard readings (else a failure names both). */
function decision(answer: PolicyResponse, request: string): 'allow' | 'deny' {
  const decisions = WILDCARD_READINGS.map((reading) => policyDecision(readPolicy(answer) ?? [], `${STAGE}${request}`, reading));
  expect(new Set(decisions).size, `${request}: ${decisions.join(' / ')}`).toBe(1);
  return decisions[0] === 'allow' ? 'allow' : 'deny';
}

describe('a shared group’s answer', () => {
  it('allows a token its own route when another route of the group, which it may not use, is reached by no Allow', () => {
    // GET /orders/{id} (admin) is reached by nothing: a read token's answer must not deny its globs,
    // which also match GET /orders/mine, the read token's own route.
    const routes = table(route('GET /orders/mine', ['read']), route('GET /orders/{id}', ['admin']));
    const entry = routes.routes.get('GET /orders/mine') as TableRoute;
    const answer = tableAnswer(routes, entry, input(`${STAGE}GET/orders/mine`, true, ['read']));
    expect(decision(answer, 'GET/orders/mine')).toBe('allow');
  });

  it('denies a route the token may not use when one of the routes reaching it is a route the token may use', () => {
    const routes = table(
      route('ANY /{proxy+}', ['read'], { allow: ['GET/*'], deny: ['GET/*'] }),
      route('GET /admin', ['admin'], { reachedBy: ['ANY /{proxy+}', 'GET /audit'] }),
      route('GET /audit', ['audit']),
    );
    const entry = routes.routes.get('ANY /{proxy+}') as TableRoute;
    const answer = tableAnswer(routes, entry, input(`${STAGE}GET/anything`, true, ['read']));
    expect(decision(answer, 'GET/anything')).toBe('allow');
    expect(decision(answer, 'GET/admin')).toBe('deny');
  });

  it('is a Deny of the stage when the request’s own ARN, which the token may not use, matches an Allow and no Deny of the group', () => {
    const routes = table(route('GET /colon/{id}', ['read']), route('GET /health', ['read']), route('GET /admin', ['admin']));
    const entry = routes.routes.get('GET /admin') as TableRoute;
    const answer = tableAnswer(routes, entry, input(`${STAGE}GET/colon/../admin`, false, ['read']));
    expect(decision(answer, 'GET/colon/../admin')).toBe('deny');
    expect(decision(answer, 'GET/colon/7')).toBe('deny');
  });
});

describe('an answer without a route table (ROUTE_SCOPES)', () => {
  it('is a Deny of the stage when the request, which the token may not use, matches none of the answer’s Denies', () => {
    // A request API Gateway routed to /admin whose ARN spells its path otherwise: the Deny of GET/admin misses it.
    const routes = parseRouteScopes('{"GET /admin":["admin"],"GET /colon/{id}":["read"]}');
    const answer = scopesAnswer(routes, input(`${STAGE}GET/colon/../admin`, false, ['read']));
    expect(decision(answer, 'GET/colon/../admin')).toBe('deny');
    expect(decision(answer, 'GET/colon/7')).toBe('deny');
  });
});

describe('the memo of answers per scope set', () => {
  it('serves a scope set from one entry whatever the order and repetition of its scopes', () => {
    const routes = table(route('GET /a', ['a']), route('GET /b', ['b']));
    const first = groupPolicy(routes, 0, ['b', 'a']);
    expect(groupPolicy(routes, 0, ['a', 'b', 'a'])).toBe(first);
  });

  it('keeps the 256 most recent scope sets of a table and computes an older one again', () => {
    const routes = table(route('GET /a', ['a']));
    const first = groupPolicy(routes, 0, ['kept']);
    for (let i = 0; i < 255; i += 1) groupPolicy(routes, 0, [`s${i}`]);
    expect(groupPolicy(routes, 0, ['kept'])).toBe(first);
    groupPolicy(routes, 0, ['s255']);
    const again = groupPolicy(routes, 0, ['kept']);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });
});

describe('the policy size check', () => {
  /**
   * A group whose read answer allows `GET /r` and denies `GET /w`, the allow glob padded to
   * `allowChars`. The function bounds the document by 200 bytes of frame, the globs' characters,
   * and each resource's prefix with its quotes and comma.
   */
  function answerOfSize(allowChars: number) {
    const pad = `GET/r${'x'.repeat(allowChars - 5)}`;
    const routes = table(route('GET /r', ['read'], { allow: [pad], deny: [pad] }), route('GET /w', ['write'], { reachedBy: ['GET /r'] }));
    return () => tableAnswer(routes, routes.routes.get('GET /r') as TableRoute, input(`${STAGE}GET/r`, true, ['read']));
  }
  const exact = MAX_POLICY_BYTES - 200 - 'GET/w'.length - 2 * (STAGE.length + 3);

  it('answers a request whose policy document is bounded by exactly MAX_POLICY_BYTES', () => {
    expect(decision(answerOfSize(exact)(), 'GET/w')).toBe('deny');
  });

  it('fails the request (a 500, nothing cached) when the bound exceeds MAX_POLICY_BYTES by one byte', () => {
    expect(answerOfSize(exact + 1)).toThrow(ConfigurationInvalidError);
    expect(answerOfSize(exact + 1)).toThrow(`the authorizer's policy would be ${MAX_POLICY_BYTES + 1} bytes, over ${MAX_POLICY_BYTES}`);
  });
});

describe('request ARNs', () => {
  it('refuses an ARN without a stage, naming the expected shape', () => {
    expect(() => arnPrefix('arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test')).toThrow(
      'authorizer event ARN must be arn:…:api-id/stage/METHOD/path; received "arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test"',
    );
  });

  it('refuses an event that carries neither routeArn nor methodArn', () => {
    expect(() => requestArn({ routeArn: 7 }, undefined)).toThrow('authorizer event must carry routeArn (payload 2.0) or methodArn');
  });
});

describe('the route table file', () => {
  const entry = { routeKey: 'GET /x', scopes: ['read'], group: 0, allow: ['GET/x'], deny: ['GET/x'], reachedBy: [] };
  const file = (...routes: object[]) => JSON.stringify({ version: 1, routes });

  it('refuses a route cached per route that lists routes reaching it, which no per-route answer can deny', () => {
    const perRoute = { ...entry, group: 'route' };
    expect(() => parseRouteTable(file({ ...perRoute, reachedBy: ['GET /y'] }, { ...perRoute, routeKey: 'GET /y' }))).toThrow(
      "the route table's GET /x is reached by GET /y, which is not a route of its group",
    );
  });

  it('refuses scopes, globs or route keys that are not strings', () => {
    expect(() => parseRouteTable(file({ ...entry, scopes: [42] }))).toThrow('must have scopes, an array of RFC 6749 scope tokens');
    expect(() => parseRouteTable(file({ ...entry, reachedBy: 'GET /y' }))).toThrow(
      `the route table's entry "GET /x" must have reachedBy, an array of route keys`,
    );
  });

  it('keeps the reader’s or parser’s error as the cause of a table or ROUTE_SCOPES it cannot read', () => {
    for (const parse of [() => parseRouteTable('{'), () => parseRouteScopes('{'), () => readRouteTableFile('/nonexistent/table.json')]) {
      let thrown: unknown;
      try {
        parse();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigurationInvalidError);
      expect((thrown as Error).cause).toBeInstanceOf(Error);
    }
  });
});
