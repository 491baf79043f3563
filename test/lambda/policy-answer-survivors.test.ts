import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyResponse } from '../../lambda/authorizer-response.js';
import { planRouteTable } from '../../lib/route-table-plan.js';
import { policyDecision, readPolicy, WILDCARD_READINGS } from '../../local/iam-policy.js';
import { restEvent } from '../support/fixtures.js';
import { rememberSecret } from '../support/log-capture.js';
import { type Peers, startPeers } from '../support/peers.js';

/**
 * Mutants of the policy answers that survived tests comparing JSON (issue 25): here every answer
 * the function gives a real token is evaluated, as API Gateway evaluates a cached answer, against
 * the ARNs of the requests it may be reused for (local/iam-policy.ts, under both readings of IAM
 * wildcards), and must allow exactly the requests the token's scopes allow.
 */
const STAGE = 'arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/';
const SCOPE_SETS = ['read', 'write', 'read write'];
let dir: string;
let peers: Peers;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'policy-survivors-'));
  peers = await startPeers();
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await peers?.close();
});

/** A REST request: method, path, resource (the route the gateway matched, as the event names it). */
type Probe = readonly [method: string, path: string, resource: string];

/** The answer the function gives a token with `scope` to one REST request. */
async function answerFor(
  handler: ReturnType<Peers['authorizer']>,
  token: string,
  [method, path, resource]: Probe,
): Promise<PolicyResponse> {
  try {
    const answer = (await handler(restEvent(`Bearer ${token}`, method, resource, path))) as PolicyResponse;
    if (typeof answer.context?.jwt === 'string') rememberSecret(answer.context.jwt);
    return answer;
  } catch (error) {
    throw new Error(`${method} ${path} was not answered with a policy: ${(error as Error).message}`);
  }
}

/** Where `answer`, cached, would decide `probe` otherwise than `truth` says, under either wildcard reading. */
function wrongDecisions(answer: PolicyResponse, probes: readonly Probe[], truth: (probe: Probe) => boolean, label: string): string[] {
  const wrong: string[] = [];
  for (const reading of WILDCARD_READINGS) {
    for (const probe of probes) {
      const allowed = policyDecision(readPolicy(answer) ?? [], `${STAGE}${probe[0]}${probe[1]}`, reading) === 'allow';
      if (allowed !== truth(probe)) wrong.push(`${label}, then ${probe[0]} ${probe[1]} [${reading}]: ${allowed ? 'allowed' : 'denied'}`);
    }
  }
  return wrong;
}

const holds = (scope: string, needed: readonly string[]) => needed.every((one) => scope.split(' ').includes(one));

describe('routes cached per route (group "route"), by their own route keys', () => {
  it('allows a per-route route to exactly the tokens whose scopes cover it, on every request of that route', async () => {
    // Two specific route keys cached per route beside a shared group: a literal REST ANY method and a GET with a variable.
    const declarations: [string, string[]][] = [
      ['ANY /reports', ['write']],
      ['GET /admin/{id}', ['read', 'write']],
      ['GET /orders', ['read']],
    ];
    const keys = [...declarations.map(([key]) => key), 'GET /health'];
    const plan = planRouteTable(new Map(declarations), [
      { name: 'Api', guardedRouteKeys: keys, allRouteKeys: new Set(keys), lookup: 'rest' },
    ]);
    expect(plan.errors).toEqual([]);
    const table = JSON.parse(plan.json) as { routes: { routeKey: string; group: number | 'route'; reachedBy: string[] }[] };
    for (const route of table.routes) {
      if (route.routeKey === 'ANY /reports' || route.routeKey === 'GET /admin/{id}') route.group = 'route';
      route.reachedBy = route.reachedBy.filter((key) => key !== 'ANY /reports' && key !== 'GET /admin/{id}');
    }
    const file = join(dir, 'per-route.json');
    writeFileSync(file, JSON.stringify(table));
    const handler = peers.authorizer({ ROUTE_SCOPES: '', ROUTE_TABLE_FILE: file });
    const routes: [string, readonly Probe[]][] = [
      [
        'ANY /reports',
        [
          ['GET', '/reports', '/reports'],
          ['POST', '/reports', '/reports'],
          ['DELETE', '/reports', '/reports'],
        ],
      ],
      [
        'GET /admin/{id}',
        [
          ['GET', '/admin/7', '/admin/{id}'],
          ['GET', '/admin/a:b', '/admin/{id}'],
        ],
      ],
    ];
    const needs = new Map(declarations);
    const wrong: string[] = [];
    for (const scope of SCOPE_SETS) {
      const token = await peers.token(scope);
      for (const [routeKey, probes] of routes) {
        // API Gateway caches a per-route answer for this route's requests only (its identity sources name the route).
        for (const probe of probes) {
          const answer = await answerFor(handler, token, probe);
          wrong.push(
            ...wrongDecisions(answer, probes, () => holds(scope, needs.get(routeKey) ?? []), `[${scope}] ${probe[0]} ${probe[1]}`),
          );
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('an answer that would contradict the decision for the request at hand', () => {
  it('denies the stage when the request ARN of a route the token may not use matches an Allow of its group (a spelling AWS does not document)', async () => {
    // GET /colon/{id} (read) and GET /admin (admin) share a group under evaluated-policy sharing. A
    // request API Gateway routed to /admin whose ARN says /colon/../admin matches the read token's
    // Allow GET/colon/*: the answer must not allow it, cached or not.
    const keys = ['GET /colon/{id}', 'GET /admin'];
    const plan = planRouteTable(
      new Map([
        ['GET /colon/{id}', ['read']],
        ['GET /admin', ['write']],
      ]),
      [{ name: 'Api', guardedRouteKeys: keys, allRouteKeys: new Set(keys), lookup: 'rest' }],
      'evaluated-policy',
    );
    expect(new Set(plan.groups.values())).toEqual(new Set([0]));
    const file = join(dir, 'contradiction.json');
    writeFileSync(file, plan.json);
    const handler = peers.authorizer({ ROUTE_SCOPES: '', ROUTE_TABLE_FILE: file });
    const token = await peers.token('read');
    const odd: Probe = ['GET', '/colon/../admin', '/admin'];
    const answer = await answerFor(handler, token, odd);
    for (const reading of WILDCARD_READINGS) {
      expect(policyDecision(readPolicy(answer) ?? [], `${STAGE}GET/colon/../admin`, reading), reading).not.toBe('allow');
    }
    // The same token is still answered normally on its own route, and allowed there.
    const own = await answerFor(handler, token, ['GET', '/colon/7', '/colon/{id}']);
    expect(policyDecision(readPolicy(own) ?? [], `${STAGE}GET/colon/7`)).toBe('allow');
  });
});

describe('answers without a route table (ROUTE_SCOPES), cached for the token across routes', () => {
  /** Every REST request below, each with the route that decides it as the function reads ROUTE_SCOPES. */
  async function exact(routeScopes: Record<string, string[]>, probes: readonly (readonly [...Probe, decides: string])[]) {
    const handler = peers.authorizer({ ROUTE_SCOPES: JSON.stringify(routeScopes) });
    const wrong: string[] = [];
    for (const scope of SCOPE_SETS) {
      const token = await peers.token(scope);
      const truth = (probe: Probe) => {
        const decides = probes.find(([m, p]) => m === probe[0] && p === probe[1])?.[3] ?? '';
        return holds(scope, routeScopes[decides] ?? []);
      };
      for (const probe of probes) {
        const answer = await answerFor(handler, token, [probe[0], probe[1], probe[2]]);
        const reusedOn = probes.map(([m, p, r]): Probe => [m, p, r]);
        wrong.push(...wrongDecisions(answer, reusedOn, truth, `[${scope}] ${probe[0]} ${probe[1]}`));
      }
    }
    return wrong;
  }

  it('denies a route the token lacks also in its trailing-slash spelling, whichever request was answered first', async () => {
    // Where API Gateway sends /admin/ to the route /admin, its ARN may keep the slash: the cached Deny must cover it.
    const wrong = await exact({ 'GET /admin': ['write'], 'GET /orders/{id}': ['read'], 'GET /health': [] }, [
      ['GET', '/admin', '/admin', 'GET /admin'],
      ['GET', '/admin/', '/admin', 'GET /admin'],
      ['GET', '/orders/7', '/orders/{id}', 'GET /orders/{id}'],
      ['GET', '/orders/7/', '/orders/{id}', 'GET /orders/{id}'],
      ['GET', '/health', '/health', 'GET /health'],
    ]);
    expect(wrong).toEqual([]);
  });

  it('holds every method of an ANY route to its scopes unless that method is declared on its path, whichever request was answered first', async () => {
    // GET /x is declared (no scopes) and takes its own requests; POST /x is a route of the API but not
    // declared, so REST reads it as ANY /x (write): a read token's cached answer must deny it.
    const wrong = await exact({ 'ANY /x': ['write'], 'GET /x': [], 'GET /orders': ['read'] }, [
      ['GET', '/x', '/x', 'GET /x'],
      ['POST', '/x', '/x', 'ANY /x'],
      ['DELETE', '/x', '/x', 'ANY /x'],
      ['GET', '/orders', '/orders', 'GET /orders'],
    ]);
    expect(wrong).toEqual([]);
  });
});
