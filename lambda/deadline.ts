import { IntrospectionRequestFailedError } from './errors.js';

/**
 * Time limits, defined once: one wait bounded by a timer (`withTimeout`), and a decision's budget
 * shared by its steps (`Deadline`, `timeLeft`, `settleBy`).
 */

/** Settles as `promise` does, or rejects with `timeoutError()` after `ms`; the timer is cleared either way. */
export function withTimeout<T>(promise: Promise<T>, ms: number, timeoutError: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(timeoutError()), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/**
 * A decision's time budget: `at` is the `performance.now()` time by which it must be made, so each
 * step (credentials, each request, the JWKS) gets what is left of it at most.
 */
export interface Deadline {
  readonly at: number;
  readonly budgetMs: number;
}

/** Milliseconds for one step: `capMs`, or less if less is left. Throws `IntrospectionRequestFailedError` when nothing is. */
export function timeLeft(deadline: Deadline, capMs: number, step: string): number {
  const left = deadline.at - performance.now();
  if (left < 1) throw budgetSpent(deadline, step);
  return left < capMs ? Math.floor(left) : capMs;
}

/** Settles as `promise` does, or rejects with `IntrospectionRequestFailedError` when the deadline comes first. */
export function settleBy<T>(promise: Promise<T>, deadline: Deadline, step: string): Promise<T> {
  return withTimeout(promise, Math.max(0, deadline.at - performance.now()), () => budgetSpent(deadline, step));
}

function budgetSpent(deadline: Deadline, step: string): IntrospectionRequestFailedError {
  return new IntrospectionRequestFailedError(`the decision's ${deadline.budgetMs} ms budget ran out ${step}`);
}
