import { expect } from 'vitest';
import type { AuthorizerRequest } from '../../lambda/authorizer-event.js';
import { tableAnswer } from '../../lambda/routes/policy-answer.js';
import { findRoute, parseRouteTable } from '../../lambda/routes/route-table.js';
import { type GroupSharing, type PlannedApi, planRouteTable } from '../../lib/route-table-plan.js';
import { policyDecision, readPolicy, WILDCARD_READINGS } from '../../local/iam-policy.js';

/**
 * The plan followed as the function follows it (the table parsed, each request's route found, the
 * token answered), and each answer evaluated, as API Gateway evaluates a cached answer, on the
 * requests it may be reused for: every request of a route of the same group of the same API (of
 * the same route, for `route`). It must allow exactly the requests whose route's scopes the token holds;
 * under `same-scopes` sharing, also if API Gateway reused the first request's decision instead.
 */
export const STAGE = 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/';

export const api = (name: string, guarded: string[], others: string[] = [], lookup: 'http' | 'rest' = 'http'): PlannedApi => ({
  name,
  guardedRouteKeys: guarded,
  allRouteKeys: new Set([...guarded, ...others]),
  lookup,
});

/** A request API Gateway sent to `route` of `api`: its method and path (and, for REST, the resource the event names). */
export interface Probe {
  readonly api: PlannedApi;
  readonly route: string;
  readonly method: string;
  readonly path: string;
  readonly resource?: string;
}

/** The event's view of the probe: payload 2.0 names the matched route, REST the method and resource. */
function request(probe: Probe): Pick<AuthorizerRequest, 'format' | 'routeKey'> {
  return probe.api.lookup === 'http'
    ? { format: 'simple', routeKey: probe.route }
    : { format: 'policy', routeKey: `${probe.method} ${probe.resource ?? probe.path}` };
}

/** Every wrong decision of a cached answer, for each scope set, each first request and each request the answer is reused on. */
export function wrongAnswers(
  declarations: [string, string[]][],
  apis: PlannedApi[],
  probes: Probe[],
  scopeSets: string[][],
  sharing: GroupSharing = 'same-scopes',
): string[] {
  const plan = planRouteTable(new Map(declarations), apis, sharing);
  expect(plan.errors).toEqual([]);
  const table = parseRouteTable(plan.json);
  const needs = new Map(declarations);
  const groupOf = (route: string) => plan.groups.get(route);
  const wrong: string[] = [];
  for (const granted of scopeSets) {
    const may = (route: string) => (needs.get(route) ?? []).every((scope) => granted.includes(scope));
    for (const first of probes) {
      const entry = findRoute(table, request(first));
      if (entry === undefined) {
        wrong.push(`${first.api.name} ${first.method} ${first.path}: not in the table`);
        continue;
      }
      const arn = `${STAGE}${first.method}${first.path}`;
      const answer = tableAnswer(table, entry, {
        arn,
        allowed: entry.scopes.every((scope) => granted.includes(scope)),
        principalId: 'p',
        granted,
        context: {},
      });
      const statements = readPolicy(answer) ?? [];
      const reusedOn = probes.filter(
        (then) =>
          then.api === first.api &&
          groupOf(then.route) === groupOf(first.route) &&
          (groupOf(first.route) !== 'route' || then.route === first.route),
      );
      // Under same-scopes sharing the plan must also be exact if API Gateway reuses the first request's decision.
      const decided = policyDecision(statements, arn) === 'allow';
      for (const then of reusedOn) {
        if (sharing === 'same-scopes' && decided !== may(then.route)) {
          wrong.push(
            `[${granted.join(' ')}] ${first.api.name}: first ${first.method} ${first.path} ${decided ? 'allowed' : 'denied'}, reused for ${then.method} ${then.path} (${then.route})`,
          );
        }
        for (const reading of WILDCARD_READINGS) {
          const allowed = policyDecision(statements, `${STAGE}${then.method}${then.path}`, reading) === 'allow';
          if (allowed !== may(then.route)) {
            wrong.push(
              `[${granted.join(' ')}] ${first.api.name}: first ${first.method} ${first.path}, then ${then.method} ${then.path} (${then.route}) ${allowed ? 'allowed' : 'denied'} under ${reading}`,
            );
          }
        }
      }
    }
  }
  return wrong;
}
