import { App, Stack, Token } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { POLICY_BUDGET_BYTES } from '../../lambda/environment.js';
import {
  apiPrefixBytes,
  arnPrefixBytes,
  groupSuffix,
  type PlannedApi,
  PREFIX_BOUND_BYTES,
  RouteTablePlanner,
} from '../../lib/route-table-plan.js';
import { api } from './route-table-plan-harness.js';

/**
 * The plan as the construct uses it (issue 25: the plan's mutants without coverage in the fast
 * tests): the ARN prefix bound that decides how many routes a group's answers can list, the
 * authorizers' names, and the planner the wirings share (memoized, frozen at synthesis, its notes).
 */
const API_ID = 'a1b2c3d4e5';

describe('the ARN prefix bound', () => {
  it('is exactly the prefix of the request ARNs when partition, region, account and stage names are known', () => {
    const cases: [string, string][] = [
      ['aws', 'eu-west-1'],
      ['aws-cn', 'cn-northwest-1'],
      ['aws-us-gov', 'us-gov-west-1'],
    ];
    for (const [partition, region] of cases) {
      const arn = `arn:${partition}:execute-api:${region}:123456789012:${API_ID}/production/GET/orders`;
      const prefix = arn.slice(0, arn.indexOf('/', arn.indexOf('/') + 1) + 1);
      expect(arnPrefixBytes(region, '123456789012', ['prod', 'production', 'dev']), region).toBe(prefix.length);
    }
  });

  it('counts what is unknown at its longest: the aws-us-gov partition, a 14-character region, a 12-digit account, a 16-character stage', () => {
    const longest = `arn:aws-us-gov:execute-api:${'r'.repeat(14)}:${'1'.repeat(12)}:${API_ID}/${'s'.repeat(16)}/`;
    expect(arnPrefixBytes(undefined, undefined, [])).toBe(longest.length);
    expect(PREFIX_BOUND_BYTES).toBe(longest.length);
    expect(arnPrefixBytes('us-east-1', undefined, ['prod'])).toBe(`arn:aws:execute-api:us-east-1:${'1'.repeat(12)}:${API_ID}/prod/`.length);
    expect(arnPrefixBytes(undefined, '123456789012', ['a'])).toBe(
      `arn:aws-us-gov:execute-api:${'r'.repeat(14)}:123456789012:${API_ID}/a/`.length,
    );
  });

  it('reads a stack’s region and account, and the stage names, only where they are known at synth', () => {
    const app = new App();
    const known = new Stack(app, 'Known', { env: { region: 'eu-central-1', account: '111122223333' } });
    expect(apiPrefixBytes(known, ['prod', 'v2'])).toBe(arnPrefixBytes('eu-central-1', '111122223333', ['prod', 'v2']));
    // An environment-agnostic stack: region and account are tokens.
    const agnostic = new Stack(app, 'Agnostic');
    expect(apiPrefixBytes(agnostic, ['prod'])).toBe(arnPrefixBytes(undefined, undefined, ['prod']));
    // One stage name not known (a token, or a stage without a name): every stage counts at its longest.
    expect(apiPrefixBytes(known, ['prod', Token.asString({ Ref: 'StageName' })])).toBe(arnPrefixBytes('eu-central-1', '111122223333', []));
    expect(apiPrefixBytes(known, ['prod', undefined])).toBe(arnPrefixBytes('eu-central-1', '111122223333', []));
  });
});

describe('the authorizers of the groups', () => {
  it('name group 0 without a suffix, the other shared groups G1 …, and per-route caching PerRoute', () => {
    expect([0, 1, 6, 'route' as const].map(groupSuffix)).toEqual(['', 'G1', 'G6', 'PerRoute']);
  });
});

describe('the planner the wirings share', () => {
  const declarations = new Map([
    ['GET /orders/{id}', ['read']],
    ['GET /orders/{id}/items', ['admin']],
  ]);

  it('plans again when a route is added, and returns the same plan while nothing changes', () => {
    const keys = ['GET /orders/{id}'];
    const planner = new RouteTablePlanner(() => declarations);
    planner.addApi(() => api('Api', [...keys]));
    const first = planner.plan();
    expect(planner.plan()).toBe(first);
    keys.push('GET /orders/{id}/items');
    expect(planner.plan()).not.toBe(first);
    expect(planner.groupsOf('Api')).toEqual([0, 1]);
    expect(planner.groupsOf('Missing')).toEqual([]);
  });

  it('plans again when a route’s scopes change, or a route without the authorizer is added to an API', () => {
    const scopes = new Map([
      ['GET /orders/{id}', ['read']],
      ['GET /orders/{id}/items', ['read']],
      ['ANY /x', ['admin']],
    ]);
    const others: string[] = [];
    const planner = new RouteTablePlanner(() => scopes);
    planner.addApi(() => api('Api', ['GET /orders/{id}', 'GET /orders/{id}/items', 'ANY /x'], [...others]));
    const sameGroup = () => planner.plan().groups.get('GET /orders/{id}/items') === planner.plan().groups.get('GET /orders/{id}');
    expect(sameGroup()).toBe(true);
    scopes.set('GET /orders/{id}/items', ['admin']);
    expect(sameGroup()).toBe(false);
    // A public GET /x takes the GET requests of ANY /x: its globs leave GET out.
    expect(planner.plan().json).toContain('"GET/x"');
    others.push('GET /x');
    expect(planner.plan().json).not.toContain('"GET/x"');
  });

  it('refuses a change of the routes after the plan was frozen for synthesis, naming what to do instead', () => {
    const keys = ['GET /orders/{id}'];
    const planner = new RouteTablePlanner(() => declarations);
    planner.addApi(() => api('Api', [...keys]));
    planner.freeze();
    expect(planner.plan().groups.get('GET /orders/{id}')).toBe(0);
    keys.push('GET /orders/{id}/items');
    expect(() => planner.plan()).toThrow(
      'the routes behind the PhantomTokenAuthorizer changed after its route table was written (during synthesis, by an aspect?): ' +
        'add routes and scope declarations before synthesis',
    );
  });

  it('shares one group between routes needing different scopes with evaluated-policy sharing, which the planner passes on', () => {
    const planner = new RouteTablePlanner(() => declarations, 'evaluated-policy');
    planner.addApi(() => api('Api', ['GET /orders/{id}', 'GET /orders/{id}/items']));
    expect(planner.groupsOf('Api')).toEqual([0]);
    expect(planner.noteFor('Api')).toBeUndefined();
  });

  it('notes, for an API whose routes take several authorizers, which routes and why', () => {
    const planner = new RouteTablePlanner(() => declarations);
    planner.addApi(() => api('Api', ['GET /orders/{id}', 'GET /orders/{id}/items']));
    expect(planner.noteFor('Api')).toBe(
      'Api: its routes are answered by 2 authorizers (group 0, group 1), so a token costs up to that many authorizer invocations ' +
        '(plus one per route cached per route) within resultsCacheTtl. Because GET /orders/{id}/items needs other scopes than GET /orders/{id}. Decisions stay exact.',
    );
  });

  it('names a Deny that would match another route’s requests, and a route with too many path variables to deny', () => {
    const wide = new Map([
      ['GET /a/{b}', ['read']],
      ['GET /a/{b}/c', ['admin']],
      ['GET /{p}/{q}/{r}/{s}/{t}/{u}', ['admin']],
      ['ANY /x/{proxy+}', ['admin']],
      ['GET /x/{id}/y', ['read']],
    ]);
    const planner = new RouteTablePlanner(() => wide, 'evaluated-policy');
    planner.addApi(() => api('Api', [...wide.keys()]));
    expect(planner.noteFor('Api')).toBe(
      'Api: its routes are answered by 3 authorizers (group 0, group 1, group 2), so a token costs up to that many authorizer invocations ' +
        '(plus one per route cached per route) within resultsCacheTtl. Because ANY /x/{proxy+} is reached by the Allow of GET /x/{id}/y, ' +
        'and its Deny would also match requests of GET /x/{id}/y; GET /{p}/{q}/{r}/{s}/{t}/{u} (reached by GET /a/{b}) has more than 4 ' +
        'path variables before its end. Decisions stay exact.',
    );
  });

  it('counts the conflicts past the first five, and names the budget when no conflict split the routes', () => {
    const noteOf = (routes: number) => {
      const conflicts = new Map(Array.from({ length: routes }, (_, i): [string, string[]] => [`GET /r${i}/{id}`, [`scope${i}`]]));
      const planner = new RouteTablePlanner(() => conflicts);
      planner.addApi(() => api('Api', [...conflicts.keys()]));
      return planner.noteFor('Api') ?? '';
    };
    // Each route after the first needs other scopes than group 0's: one conflict each.
    expect(noteOf(6)).toMatch(/GET \/r5\/\{id\} needs other scopes than GET \/r0\/\{id\}\. Decisions stay exact\.$/);
    expect(noteOf(7)).toMatch(/GET \/r5\/\{id\} needs other scopes than GET \/r0\/\{id\}; and 1 more\. Decisions stay exact\.$/);

    const keys = Array.from({ length: 300 }, (_, i) => `GET /catalog/resource${i}/{id}`);
    const budget = new RouteTablePlanner(() => new Map(keys.map((key, i): [string, string[]] => [key, [`r${i}`]])), 'evaluated-policy');
    budget.addApi((): PlannedApi => api('Big', keys));
    expect(budget.noteFor('Big')).toContain(`The answers of one group would exceed ${POLICY_BUDGET_BYTES} bytes. Decisions stay exact.`);
  });

  it('says “one per route” for routes no shared group can take', () => {
    const keys = Array.from({ length: 600 }, (_, i) => `GET /catalog/resource${i}/{id}`);
    const planner = new RouteTablePlanner(() => new Map(keys.map((key, i): [string, string[]] => [key, [`r${i}`]])), 'evaluated-policy');
    planner.addApi(() => api('Big', keys));
    expect(planner.noteFor('Big')).toMatch(/^Big: its routes are answered by 8 authorizers \(group 0, group 1, .*group 6, one per route\)/);
  });
});
