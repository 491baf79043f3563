import { describe, expect, it } from 'vitest';
import { tableAnswer } from '../../lambda/routes/policy-answer.js';
import { findRoute, parseRouteTable } from '../../lambda/routes/route-table.js';
import { planRouteTable } from '../../lib/route-table-plan.js';
import { policyDecision, readPolicy } from '../../local/iam-policy.js';
import { api, type Probe, STAGE, wrongAnswers } from './route-table-plan-harness.js';

/** Mutants of the plan that survived (issue 25), killed by behaviour: see route-table-plan-harness.ts. */
const SCOPE_SETS = [[], ['read'], ['admin'], ['read', 'admin']];

describe('the plan’s conflict test: a token may use one route and not another', () => {
  it('denies a route needing [read, admin] to a read token answered on a route needing [read] whose Allow reaches it', () => {
    // Partly overlapping scope sets: a token holding [read] holds some, not all, of [read, admin].
    const http = api('Http', ['ANY /{proxy+}', 'GET /admin', 'GET /admin/{id}']);
    const probes: Probe[] = [
      { api: http, route: 'ANY /{proxy+}', method: 'GET', path: '/anything' },
      { api: http, route: 'ANY /{proxy+}', method: 'POST', path: '/admin/7/notes' },
      { api: http, route: 'GET /admin', method: 'GET', path: '/admin' },
      // Whether API Gateway sends /admin/ to GET /admin is not documented: its Deny covers the spelling (fail closed).
      { api: http, route: 'GET /admin', method: 'GET', path: '/admin/' },
      { api: http, route: 'GET /admin/{id}', method: 'GET', path: '/admin/7' },
    ];
    const declarations: [string, string[]][] = [
      ['ANY /{proxy+}', ['read']],
      ['GET /admin', ['read', 'admin']],
      ['GET /admin/{id}', ['admin', 'read']],
    ];
    expect(wrongAnswers(declarations, [http], probes, SCOPE_SETS)).toEqual([]);
  });

  it('denies it on REST too, where the ANY method’s requests name their own method', () => {
    const rest = api('Rest', ['ANY /{proxy+}', 'GET /reports'], [], 'rest');
    const probes: Probe[] = [
      { api: rest, route: 'ANY /{proxy+}', method: 'GET', path: '/x', resource: '/{proxy+}' },
      { api: rest, route: 'ANY /{proxy+}', method: 'DELETE', path: '/reports/1', resource: '/{proxy+}' },
      { api: rest, route: 'GET /reports', method: 'GET', path: '/reports' },
    ];
    const declarations: [string, string[]][] = [
      ['ANY /{proxy+}', ['read']],
      ['GET /reports', ['read', 'admin']],
    ];
    expect(wrongAnswers(declarations, [rest], probes, SCOPE_SETS)).toEqual([]);
  });
});

describe('ANY routes, expanded to the methods they receive', () => {
  it('never lets a read token reach a REST ANY /x needing admin through another API’s GET /x needing read', () => {
    // REST names the ANY method's GET requests `GET /x`: the function would read the other API's route.
    const rest = api('Rest', ['ANY /x'], [], 'rest');
    const http = api('Http', ['GET /x']);
    const plan = planRouteTable(
      new Map([
        ['ANY /x', ['admin']],
        ['GET /x', ['read']],
      ]),
      [rest, http],
    );
    const table = parseRouteTable(plan.json);
    const entry = findRoute(table, { format: 'policy', routeKey: 'GET /x' });
    const arn = `${STAGE}GET/x`;
    const answer =
      entry &&
      tableAnswer(table, entry, {
        arn,
        allowed: entry.scopes.every((scope) => scope === 'read'),
        principalId: 'p',
        granted: ['read'],
        context: {},
      });
    const reached = answer !== undefined && policyDecision(readPolicy(answer) ?? [], arn) === 'allow';
    // Followed, the table would let the read token in: the plan must refuse it (the construct fails at synth).
    expect({ refused: plan.errors.length > 0, reached }).not.toEqual({ refused: false, reached: true });
    expect(plan.errors).toEqual([
      'Rest guards ANY /x, whose GET requests REST names GET /x, a route Http guards too: the function could not tell them apart. Use one PhantomTokenAuthorizer per API.',
    ]);
  });

  it('allows a token every method an ANY route receives in each API, though only one API has a route of its own for GET', () => {
    // ANY /x in two APIs: Own has a public GET /x (which takes its GET requests), Plain has not (its ANY /x takes them).
    const own = api('Own', ['ANY /x', 'GET /y'], ['GET /x']);
    const plain = api('Plain', ['ANY /x', 'GET /y']);
    const probes: Probe[] = [
      { api: own, route: 'ANY /x', method: 'POST', path: '/x' },
      { api: own, route: 'GET /y', method: 'GET', path: '/y' },
      { api: plain, route: 'ANY /x', method: 'GET', path: '/x' },
      { api: plain, route: 'ANY /x', method: 'PUT', path: '/x' },
      { api: plain, route: 'GET /y', method: 'GET', path: '/y' },
    ];
    const declarations: [string, string[]][] = [
      ['ANY /x', ['admin']],
      ['GET /y', ['read']],
    ];
    expect(wrongAnswers(declarations, [own, plain], probes, SCOPE_SETS)).toEqual([]);
  });

  // Found by these tests: a group's answer lists the Allows of every API's routes in it (the table
  // knows routes by key), so Own's GET /x (no scopes) was allowed in the answers Plain's authorizer
  // caches, and reached Plain's ANY /x (admin). The plan now checks every route of the group against
  // each API's routes, and a Deny against every API's routes of the group.
  it('never lets another API’s route of the same group allow a request of an API’s own route (cross-API reach)', () => {
    const own = api('Own', ['GET /x']);
    const plain = api('Plain', ['ANY /x', 'GET /y']);
    const probes: Probe[] = [
      { api: own, route: 'GET /x', method: 'GET', path: '/x' },
      { api: plain, route: 'ANY /x', method: 'GET', path: '/x' },
      { api: plain, route: 'GET /y', method: 'GET', path: '/y' },
    ];
    const declarations: [string, string[]][] = [
      ['ANY /x', ['admin']],
      ['GET /y', ['read']],
    ];
    expect(wrongAnswers(declarations, [own, plain], probes, SCOPE_SETS)).toEqual([]);
  });
});
