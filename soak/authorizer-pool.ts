import { policyAllows, readPolicy } from '../local/iam-policy.js';
import { type InvocationResult, LambdaRunner } from '../local/lambda-runner.js';
import type { LocalFunction } from '../local/template.js';
import { type InvocationRecord, ROUTE_SCOPES, type RouteKey } from './records.js';

/**
 * The authorizer function as Lambda scales it: several instances (each its own process, each with
 * its own in-function cache), an invocation going to the least busy one, the lowest-numbered
 * first, as Lambda prefers a warm idle instance. It stands in for the gateway's runner of the
 * function (a LambdaRunner to the gateway), and records every invocation for the oracle: which
 * request triggered it (the `x-soak-id` header the load driver sets), when, and what it answered.
 */
export class AuthorizerPool extends LambdaRunner {
  private readonly members: { readonly runner: LambdaRunner; inFlight: number }[];
  readonly records: InvocationRecord[] = [];

  constructor(fn: LocalFunction, env: Readonly<Record<string, string>>, size: number, onLogLine: (instance: number, line: string) => void) {
    super(fn, env, () => {});
    this.members = Array.from({ length: size }, (_, instance) => ({
      runner: new LambdaRunner(fn, env, (line) => onLogLine(instance, line)),
      inFlight: 0,
    }));
  }

  override async invoke(event: unknown, limitMs = Number.POSITIVE_INFINITY): Promise<InvocationResult> {
    const headers = (event as { headers?: Record<string, string> }).headers ?? {};
    const member = this.members.reduce((best, candidate) => (candidate.inFlight < best.inFlight ? candidate : best));
    const record: InvocationRecord = {
      requestId: Number(headers['x-soak-id'] ?? -1),
      instance: this.members.indexOf(member),
      startMs: Date.now(),
      endMs: Number.POSITIVE_INFINITY,
      outcome: 'pending',
    };
    this.records.push(record);
    member.inFlight += 1;
    this.invocations += 1;
    try {
      const result = await member.runner.invoke(event, limitMs);
      if (!result.ok) {
        record.outcome = 'error';
      } else {
        record.allowedRoutes = allowedRoutes(event, result.result);
        const own = (event as { routeKey?: string }).routeKey;
        record.outcome = record.allowedRoutes.some((route) => route === own) ? 'allow' : 'deny';
      }
      return result;
    } finally {
      record.endMs = Date.now();
      member.inFlight -= 1;
    }
  }

  /**
   * Starts every instance (module load, the cold start's secret read) with an event the authorizer
   * refuses as malformed; not recorded. Resolves when all have answered.
   */
  async warm(): Promise<void> {
    await Promise.all(this.members.map((member) => member.runner.invoke({ warm: true }, 60_000)));
  }

  override stop(): void {
    for (const member of this.members) member.runner.stop();
  }
}

/**
 * The soak's routes an authorizer answer allows, as API Gateway evaluates it: a simple response
 * (`isAuthorized`) for the event's own route; an IAM policy against each route's request ARN (the
 * event's `routeArn` with the route's method and path in place of its own).
 */
function allowedRoutes(event: unknown, answer: unknown): RouteKey[] {
  const { routeKey, routeArn } = event as { routeKey?: string; routeArn?: string };
  const routes = Object.keys(ROUTE_SCOPES) as RouteKey[];
  const statements = readPolicy(answer);
  if (statements === undefined) {
    const authorized = (answer as { isAuthorized?: unknown } | null)?.isAuthorized === true;
    return routes.filter((route) => authorized && route === routeKey);
  }
  const [resource = '', stage = ''] = String(routeArn).split('/');
  return routes.filter((route) => {
    const [method, path] = route.split(' ');
    return policyAllows(statements, `${resource}/${stage}/${method}${path}`);
  });
}
