import { totalmem } from 'node:os';

/**
 * An account's Lambda concurrency, as the local functions share it: how many invocations may be in
 * flight at once across every function (a request waiting for an instance to start counts, as it
 * does on Lambda). An invocation past the limit is throttled at once, never queued
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html: "If you exceed your
 * concurrency limit, Lambda throttles requests").
 */
export class LambdaConcurrency {
  private inFlightNow = 0;
  /** The most invocations in flight at once so far. */
  peak = 0;
  /** Invocations refused for the limit so far. */
  throttled = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`the Lambda concurrency limit must be a whole number ≥ 1; received ${limit}`);
  }

  get inFlight(): number {
    return this.inFlightNow;
  }

  /** Takes a slot for one invocation; false (throttled) when all are taken. */
  tryAcquire(): boolean {
    if (this.inFlightNow >= this.limit) {
      this.throttled += 1;
      return false;
    }
    this.inFlightNow += 1;
    if (this.inFlightNow > this.peak) this.peak = this.inFlightNow;
    return true;
  }

  release(): void {
    this.inFlightNow = Math.max(0, this.inFlightNow - 1);
  }
}

/** An account's default concurrency limit in a Region (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). */
export const ACCOUNT_DEFAULT_CONCURRENCY = 1000;
/** What one local instance takes, a Node.js process with the authorizer loaded (~45 MiB measured), with room to grow. */
const MEMORY_PER_INSTANCE = 64 * 2 ** 20;

/**
 * The local default: the account's 1,000, or as many instances of 64 MiB as half this machine's
 * memory holds, whichever is less (192 on 24 GiB, 128 on 16 GiB, 64 on 8 GiB), so that a burst
 * throttles, as a smaller account would, before it swaps.
 */
export function defaultConcurrencyLimit(memoryBytes = totalmem()): number {
  return Math.max(1, Math.min(ACCOUNT_DEFAULT_CONCURRENCY, Math.floor(memoryBytes / 2 / MEMORY_PER_INSTANCE)));
}

/**
 * `LAMBDA_CONCURRENCY` (1–1000), else the default above. Throws naming the variable, its range
 * and the value received.
 */
export function concurrencyLimitFrom(value: string | undefined): number {
  if (value === undefined || value === '') return defaultConcurrencyLimit();
  const limit = Number(value);
  if (!/^\d+$/.test(value) || limit < 1 || limit > ACCOUNT_DEFAULT_CONCURRENCY)
    throw new Error(
      `LAMBDA_CONCURRENCY must be a whole number from 1 to ${ACCOUNT_DEFAULT_CONCURRENCY}; received ${JSON.stringify(value)}`,
    );
  return limit;
}

let processDefault: LambdaConcurrency | undefined;

/** The concurrency every runner of this process shares unless given its own (the local "account"). */
export function sharedConcurrency(): LambdaConcurrency {
  processDefault ??= new LambdaConcurrency(concurrencyLimitFrom(process.env.LAMBDA_CONCURRENCY));
  return processDefault;
}
