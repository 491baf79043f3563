import { policyAllows, readPolicy } from '../local/iam-policy.js';
import type { LambdaConcurrency } from '../local/lambda-concurrency.js';
import { type InvocationResult, LambdaRunner } from '../local/lambda-runner.js';
import type { LocalFunction } from '../local/template.js';
import { type InvocationRecord, ROUTE_SCOPES, type RouteKey } from './records.js';

/**
 * The authorizer function as the local gateway runs it (local/lambda-runner.ts): instances added on
 * demand up to the run's concurrency, each a process with its own cache, an invocation going to
 * the lowest-numbered idle one. It records every invocation for the oracle: which request
 * triggered it (the `x-soak-id` header the load driver sets), when, on which instance, and what it
 * answered.
 */
export class AuthorizerPool extends LambdaRunner {
  readonly records: InvocationRecord[] = [];

  constructor(
    fn: LocalFunction,
    env: Readonly<Record<string, string>>,
    private readonly warmInstances: number,
    onLogLine: (instance: number, line: string) => void,
    concurrency: LambdaConcurrency,
  ) {
    super(fn, env, (line, instance) => onLogLine(instance, line), { concurrency });
  }

  override async invoke(event: unknown, limitMs = Number.POSITIVE_INFINITY): Promise<InvocationResult> {
    const headers = (event as { headers?: Record<string, string> }).headers ?? {};
    const record: InvocationRecord = {
      requestId: Number(headers['x-soak-id'] ?? -1),
      instance: -1,
      startMs: Date.now(),
      endMs: Number.POSITIVE_INFINITY,
      outcome: 'pending',
    };
    this.records.push(record);
    try {
      const result = await super.invoke(event, limitMs);
      record.instance = result.instance ?? -1;
      if (!result.ok) {
        record.outcome = 'error';
      } else {
        record.allowedRoutes = allowedRoutes(event, result.result);
        const own = ownRoute(event);
        record.outcome = record.allowedRoutes.some((route) => route === own) ? 'allow' : 'deny';
      }
      return result;
    } finally {
      record.endMs = Date.now();
    }
  }

  /**
   * Starts the warm instances (module load, the cold start's secret read), each answering an event
   * the authorizer refuses as malformed; not recorded. Resolves when all have answered.
   */
  async warm(): Promise<void> {
    await Promise.all(Array.from({ length: this.warmInstances }, () => super.invoke({ warm: true }, 60_000)));
  }
}

/** The route of an authorizer event: an HTTP API's `routeKey`, or REST's method and resource path. */
function ownRoute(event: unknown): string | undefined {
  const { routeKey, httpMethod, resource } = event as { routeKey?: string; httpMethod?: string; resource?: string };
  return routeKey ?? (httpMethod === undefined || resource === undefined ? undefined : `${httpMethod} ${resource}`);
}

/**
 * The soak's routes an authorizer answer allows, as API Gateway evaluates it: a simple response
 * (`isAuthorized`) for the event's own route; an IAM policy against each route's request ARN (the
 * event's `routeArn`, or REST's `methodArn`, with the route's method and path in place of its own).
 */
function allowedRoutes(event: unknown, answer: unknown): RouteKey[] {
  const { routeArn, methodArn } = event as { routeArn?: string; methodArn?: string };
  const routeKey = ownRoute(event);
  const routes = Object.keys(ROUTE_SCOPES) as RouteKey[];
  const statements = readPolicy(answer);
  if (statements === undefined) {
    const authorized = (answer as { isAuthorized?: unknown } | null)?.isAuthorized === true;
    return routes.filter((route) => authorized && route === routeKey);
  }
  const [resource = '', stage = ''] = String(routeArn ?? methodArn).split('/');
  return routes.filter((route) => {
    const [method, path] = route.split(' ');
    return policyAllows(statements, `${resource}/${stage}/${method}${path}`);
  });
}
