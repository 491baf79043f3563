import { describe, expect, it } from 'vitest';
import { tableAnswer } from '../../lambda/routes/policy-answer.js';
import { parseRouteTable, type TableRoute } from '../../lambda/routes/route-table.js';
import { type PlannedApi, planRouteTable, RouteTablePlanner } from '../../lib/route-table-plan.js';
import { api, type Probe, wrongAnswers } from './route-table-plan-harness.js';

/**
 * Mutants of lib/route-table-plan.ts that survived `npx stryker run --mutate lib/route-table-plan.ts`
 * (issue 25), killed by behaviour: a request a token's cached answer allows or denies wrongly
 * (route-table-plan-harness.ts), a request the function cannot answer within its policy limit, a
 * table the function refuses at cold start, an authorizer more per token, or what the construct
 * tells the developer.
 */
const SCOPE_SETS = [[], ['read'], ['admin'], ['read', 'admin'], ['read', 'audit'], ['read', 'admin', 'audit']];

describe('which routes share a cached answer', () => {
  it('never reuses a decision between routes whose scope sets differ, though they have as many scopes and share one', () => {
    const http = api('Http', ['GET /a', 'GET /b']);
    const probes: Probe[] = [
      { api: http, route: 'GET /a', method: 'GET', path: '/a' },
      { api: http, route: 'GET /b', method: 'GET', path: '/b' },
    ];
    const declarations: [string, string[]][] = [
      ['GET /a', ['read', 'admin']],
      ['GET /b', ['read', 'audit']],
    ];
    expect(wrongAnswers(declarations, [http], probes, SCOPE_SETS)).toEqual([]);
  });

  it('keeps a route in the group of a route reaching it when every token that may use that route may use this one too', () => {
    // A token that may use the proxy (read, admin) may use GET /admin (read): no Deny needed, one authorizer.
    const plan = planRouteTable(
      new Map([
        ['ANY /{proxy+}', ['read', 'admin']],
        ['GET /admin', ['read']],
      ]),
      [api('Http', ['ANY /{proxy+}', 'GET /admin'])],
      'evaluated-policy',
    );
    expect(plan.apiGroups.get('Http')).toEqual([0]);
  });

  it('places routes by their keys, not by the order the routes were added', () => {
    const declarations = new Map([
      ['GET /a', ['read']],
      ['GET /b', ['admin']],
      ['GET /c', ['read']],
    ]);
    const groups = (keys: string[]) => Object.fromEntries(planRouteTable(declarations, [api('Http', keys)]).groups);
    expect(groups(['GET /b', 'GET /a', 'GET /c'])).toEqual(groups(['GET /a', 'GET /b', 'GET /c']));
    expect(groups(['GET /c', 'GET /b', 'GET /a'])).toEqual({ 'GET /a': 0, 'GET /b': 1, 'GET /c': 0 });
  });
});

/** The wrong answers that let a request in: where AWS's behaviour is not known, the plan may deny a request it could allow (fail closed), never the reverse. */
const wronglyAllowed = (wrong: string[]) => wrong.filter((line) => /\) allowed under |: first .* allowed, reused /.test(line));

describe('routes with many path variables', () => {
  it('never lets a route with five variables before its end be reached through a shared answer, since no Deny covers both wildcard readings', () => {
    const route = 'GET /{a}/{b}/{c}/{d}/{e}/x';
    const http = api('Http', ['ANY /{proxy+}', route]);
    const probes: Probe[] = [
      { api: http, route: 'ANY /{proxy+}', method: 'GET', path: '/anything' },
      { api: http, route, method: 'GET', path: '/1/2/3/4/5/x' },
      // A colon in a path variable: under the segments reading, a Deny without colon variants misses it.
      { api: http, route, method: 'GET', path: '/1:2/2/3/4/5/x' },
    ];
    const declarations: [string, string[]][] = [
      ['ANY /{proxy+}', ['read']],
      [route, ['admin']],
    ];
    // Its own Allow cannot name every spelling either: an admin token may be denied a colon (fail closed).
    expect(wronglyAllowed(wrongAnswers(declarations, [http], probes, SCOPE_SETS, 'evaluated-policy'))).toEqual([]);
  });

  it('denies a route with four variables before a trailing one under both wildcard readings, in the group of the route reaching it', () => {
    const route = 'GET /a/{b}/{c}/{d}/{e}/{f}';
    const http = api('Http', ['GET /a/{id}', route]);
    const probes: Probe[] = [
      { api: http, route: 'GET /a/{id}', method: 'GET', path: '/a/1' },
      { api: http, route, method: 'GET', path: '/a/1/2/3/4/5' },
      { api: http, route, method: 'GET', path: '/a/1:2/2/3:4/4/5' },
    ];
    const declarations: [string, string[]][] = [
      ['GET /a/{id}', ['read']],
      [route, ['admin']],
    ];
    expect(wrongAnswers(declarations, [http], probes, SCOPE_SETS, 'evaluated-policy')).toEqual([]);
    // Its Deny (with colon variants) matches no request of GET /a/{id}: one authorizer for both.
    expect(planRouteTable(new Map(declarations), [http], 'evaluated-policy').apiGroups.get('Http')).toEqual([0]);
  });
});

describe('a route joining a group whose answers already deny another route', () => {
  // GET /a/{id}'s Allow (GET/a/*) reaches GET /a/{id}/b, so a read token's answer denies GET/a/*/b,
  // which also matches GET /a/1/2/b: a request of GET /a/{x}/{y}/b, which the read token may use.
  const declarations: [string, string[]][] = [
    ['GET /a/{id}', ['read']],
    ['GET /a/{id}/b', ['admin']],
    ['GET /a/{x}/{y}/b', ['read']],
  ];
  const keys = declarations.map(([key]) => key);

  it('never joins a group whose Deny of a route it does not need would match its own requests', () => {
    const http = api('Http', keys);
    const probes: Probe[] = [
      { api: http, route: 'GET /a/{id}', method: 'GET', path: '/a/1' },
      { api: http, route: 'GET /a/{id}/b', method: 'GET', path: '/a/1/b' },
      { api: http, route: 'GET /a/{x}/{y}/b', method: 'GET', path: '/a/1/2/b' },
    ];
    expect(wrongAnswers(declarations, [http], probes, SCOPE_SETS, 'evaluated-policy')).toEqual([]);
  });

  it('tells the developer which route’s Allow made the Deny necessary', () => {
    const planner = new RouteTablePlanner(() => new Map(declarations), 'evaluated-policy');
    planner.addApi(() => api('Http', keys));
    expect(planner.noteFor('Http')).toContain(
      'Because GET /a/{id}/b is reached by the Allow of GET /a/{id}, and its Deny would also match requests of GET /a/{x}/{y}/b.',
    );
  });
});

describe('trailing-slash spellings', () => {
  it('allows a route’s /x/ only where no route of the API that guards it could receive it, whatever other APIs guard', () => {
    // On Http, GET /x/ may reach $default (admin); Other, which does not guard GET /x, must not make the spelling look safe.
    const http = api('Http', ['GET /x', '$default']);
    const other = api('Other', ['GET /y']);
    const probes: Probe[] = [
      { api: http, route: 'GET /x', method: 'GET', path: '/x' },
      { api: http, route: '$default', method: 'GET', path: '/x/' },
      { api: http, route: '$default', method: 'GET', path: '/z' },
      { api: other, route: 'GET /y', method: 'GET', path: '/y' },
    ];
    const declarations: [string, string[]][] = [
      ['GET /x', ['read']],
      ['$default', ['admin']],
      ['GET /y', ['read']],
    ];
    // The Deny of GET /x keeps /x/ (fail closed): an admin token may be denied it; a read token must never be let in.
    expect(wronglyAllowed(wrongAnswers(declarations, [http, other], probes, SCOPE_SETS, 'evaluated-policy'))).toEqual([]);
  });
});

describe('the policy budget', () => {
  const keys = Array.from({ length: 400 }, (_, i) => `GET /r${i}`);
  const declarations = new Map(keys.map((key, i): [string, string[]] => [key, [`s${i}`]]));
  const stage = (name: string) => `arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/${name}/`;

  /** Whether the function answers, on `prefix`'s stage, a token holding every scope, for a route of each group. */
  function everyGroupAnswered(apis: PlannedApi[], prefix: string) {
    const table = parseRouteTable(planRouteTable(declarations, apis, 'evaluated-policy').json);
    const granted = [...declarations.values()].flat();
    expect(table.groups.size).toBeGreaterThan(1);
    for (const [group, routes] of table.groups) {
      const first = routes[0] as TableRoute;
      const input = { arn: `${prefix}GET/${first.routeKey.slice(5)}`, allowed: true, principalId: 'p', granted, context: {} };
      expect(() => tableAnswer(table, first, input), `group ${group}`).not.toThrow();
    }
  }

  it('answers a token holding every scope within MAX_POLICY_BYTES on the API with the longest ARN prefix of those guarding the routes', () => {
    const long = stage('a-rather-long-stage-name-for-this-api-and-more');
    const short = stage('p');
    everyGroupAnswered(
      [
        { ...api('Short', keys), prefixBytes: short.length },
        { ...api('Long', keys), prefixBytes: long.length },
      ],
      long,
    );
  });

  it('answers such a token within MAX_POLICY_BYTES also where a group holds the most resources: short globs, a short prefix', () => {
    const short = stage('p');
    everyGroupAnswered([{ ...api('Short', keys), prefixBytes: short.length }], short);
  });
});

describe('routes cached per route', () => {
  it('writes a table the function reads when routes cached per route reach each other, and answers them exactly', () => {
    // Same-scopes sharing, seven scope sets in the seven shared groups: the last two routes are cached per route.
    const first = Array.from({ length: 7 }, (_, i) => `GET /a${i}`);
    const http = api('Http', [...first, 'GET /z/{id}', 'GET /z/{id}/x']);
    const declarations: [string, string[]][] = [
      ...first.map((key, i): [string, string[]] => [key, [`s${i}`]]),
      ['GET /z/{id}', ['read']],
      ['GET /z/{id}/x', ['admin']],
    ];
    const probes: Probe[] = [
      { api: http, route: 'GET /z/{id}', method: 'GET', path: '/z/1' },
      { api: http, route: 'GET /z/{id}/x', method: 'GET', path: '/z/1/x' },
    ];
    expect(planRouteTable(new Map(declarations), [http]).groups.get('GET /z/{id}/x')).toBe('route');
    expect(wrongAnswers(declarations, [http], probes, SCOPE_SETS)).toEqual([]);
  });
});

describe('what the plan tells the developer', () => {
  it('names the three route keys nearest a declaration that matches no guarded route, nearest first', () => {
    const guarded = [
      'POST /users',
      'GET /orders/{id}',
      'GET /orders/{orderid}',
      'DELETE /orders/{orderId}',
      'GET /order/{orderId}',
      'GET /orders',
      'GET /orders/{orderId}/x',
    ];
    const plan = planRouteTable(new Map([['GET /orders/{orderId}', ['read', 'admin']]]), [api('Http', guarded)]);
    expect(plan.errors).toEqual([
      'the scopes [read, admin] are declared for route GET /orders/{orderId}, which no route behind this authorizer has; nearest route keys: ' +
        'GET /order/{orderId}, GET /orders/{orderid}, GET /orders/{orderId}/x. Declare them with the route key as API Gateway writes it ' +
        '(REST: METHOD and the resource path, with the path variables as the resource names them).',
    ]);
  });

  it('says so when no route uses the authorizer yet', () => {
    expect(planRouteTable(new Map([['GET /x', ['read']]]), []).errors).toEqual([
      'the scopes [read] are declared for route GET /x, which no route behind this authorizer has; no route uses this authorizer yet. ' +
        'Declare them with the route key as API Gateway writes it (REST: METHOD and the resource path, with the path variables as the resource names them).',
    ]);
  });

  it('accepts a REST ANY /x beside another API’s GET /x when the REST API has a GET /x of its own', () => {
    const rest = api('Rest', ['ANY /x'], ['GET /x'], 'rest');
    expect(planRouteTable(new Map(), [rest, api('Http', ['GET /x'])]).errors).toEqual([]);
  });
});
