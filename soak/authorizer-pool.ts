import { type InvocationResult, LambdaRunner } from '../local/lambda-runner.js';
import type { LocalFunction } from '../local/template.js';
import type { InvocationRecord } from './records.js';

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
      record.outcome = !result.ok ? 'error' : (result.result as { isAuthorized?: unknown }).isAuthorized === true ? 'allow' : 'deny';
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
