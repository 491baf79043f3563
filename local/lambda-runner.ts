import { availableParallelism } from 'node:os';
import { type LambdaConcurrency, sharedConcurrency } from './lambda-concurrency.js';
import { INVOCATION_ERRORS, type InvocationResult, LambdaInstance } from './lambda-instance.js';
import type { LocalFunction } from './template.js';

export { INVOCATION_ERRORS, type InvocationResult } from './lambda-instance.js';

export interface LambdaRunnerOptions {
  /** The concurrency this function shares with the others (the local "account"). @default - sharedConcurrency(): LAMBDA_CONCURRENCY */
  readonly concurrency?: LambdaConcurrency;
  /** How long an instance may stay idle before it is stopped (one is always kept), ms. @default 600000 */
  readonly idleInstanceMs?: number;
  /**
   * How many of its instances may be starting at once. Lambda starts a burst's environments in
   * parallel on its own hardware; here each start is a Node.js process on this machine's cores,
   * and a hundred at once starve every process (the gateway's among them) for seconds.
   * @default - the machine's available parallelism, at least 2
   */
  readonly maxStarting?: number;
}

interface Waiter {
  taken: boolean;
  take(instance: LambdaInstance): void;
  fail(result: InvocationResult): void;
}

const REAP_EVERY_MS = 30_000;

/**
 * A function as Lambda runs it under load: an invocation goes to an idle instance (the
 * lowest-numbered, as a warm one is preferred); when none is idle a new instance starts, up to the
 * concurrency limit shared with the other functions, and past it the invocation is throttled at
 * once (`TooManyRequestsException`); each instance runs one invocation at a time within the
 * function's timeout (https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html).
 *
 * `invoke`'s `limitMs` is how long the caller waits, counted from the call, cold start and wait
 * for an instance included (API Gateway's 10 s for an HTTP API authorizer): past it the caller
 * gets `CallerTimeout` while the instance, as on Lambda, runs on to its own end or timeout.
 *
 * Two departures, for a machine that starts an instance far more slowly than Lambda does: at most
 * `maxStarting` instances start at once, and an invocation waiting for an instance is given to
 * whichever is free first, a new one or a warm one that finished meanwhile. The instances a burst
 * calls for still start, in the background, so that the function ends up with as many warm
 * instances as Lambda would have after that burst.
 */
export class LambdaRunner {
  /** How many invocations this function was asked for (throttled ones not counted). */
  invocations = 0;
  /** The most instances it had at once. */
  peakInstances = 0;
  readonly concurrency: LambdaConcurrency;
  private readonly instances: LambdaInstance[] = [];
  private readonly waiting: Waiter[] = [];
  private starting = 0;
  private nextIndex = 0;
  /** Invocations of this function in flight now (waiting for an instance included), and the most at once. */
  private inFlight = 0;
  private peakDemand = 0;
  private reaper: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly idleInstanceMs: number;
  private readonly maxStarting: number;

  constructor(
    private readonly fn: LocalFunction,
    private readonly extraEnv: Readonly<Record<string, string>>,
    private readonly onLogLine: (line: string, instance: number) => void,
    options: LambdaRunnerOptions = {},
  ) {
    this.concurrency = options.concurrency ?? sharedConcurrency();
    this.idleInstanceMs = options.idleInstanceMs ?? 600_000;
    this.maxStarting = options.maxStarting ?? Math.max(2, availableParallelism());
  }

  /** Instances alive now (starting, busy or idle). */
  get instanceCount(): number {
    return this.instances.length;
  }

  /**
   * Invokes the function. Resolves with its answer or error; `TooManyRequestsException` at once
   * when no concurrency is left; `CallerTimeout` when `limitMs` passes first.
   */
  invoke(event: unknown, limitMs = Number.POSITIVE_INFINITY): Promise<InvocationResult> {
    if (!this.concurrency.tryAcquire())
      return Promise.resolve({ ok: false, errorType: INVOCATION_ERRORS.throttled, errorMessage: 'Rate Exceeded.' });
    this.invocations += 1;
    this.inFlight += 1;
    this.peakDemand = Math.max(this.peakDemand, this.inFlight);
    return new Promise<InvocationResult>((resolve) => {
      let answered = false;
      const answer = (result: InvocationResult) => {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        resolve(result);
      };
      const done = () => {
        this.concurrency.release();
        this.inFlight -= 1;
      };
      const waiter: Waiter = {
        taken: false,
        take: (instance) => {
          instance.busy = true;
          void instance.run(event).then((result) => {
            done();
            this.becameIdle(instance);
            answer(result);
          });
        },
        fail: (result) => {
          done();
          answer(result);
        },
      };
      const timer = Number.isFinite(limitMs)
        ? setTimeout(() => {
            if (!waiter.taken) {
              waiter.taken = true;
              this.waiting.splice(this.waiting.indexOf(waiter), 1);
              done();
            }
            answer({
              ok: false,
              errorType: INVOCATION_ERRORS.callerTimeout,
              errorMessage: `${this.fn.logicalId}: no answer within ${limitMs} ms`,
            });
          }, limitMs)
        : undefined;
      this.dispatch(waiter);
    });
  }

  /** Starts `count` instances at once (as provisioned concurrency would have them warm); resolves when all are ready. */
  async prewarm(count: number): Promise<void> {
    const started = Array.from({ length: Math.max(0, count - this.instances.length) }, () => this.startInstance(false));
    await Promise.all(started.map((instance) => instance.ready.catch(() => {})));
  }

  private dispatch(waiter: Waiter): void {
    if (this.stopped) {
      waiter.taken = true;
      waiter.fail({ ok: false, errorType: INVOCATION_ERRORS.crash, errorMessage: `${this.fn.logicalId} was stopped` });
      return;
    }
    const idle = this.instances.find((instance) => instance.alive && !instance.busy);
    if (idle !== undefined) {
      waiter.taken = true;
      waiter.take(idle);
      return;
    }
    this.waiting.push(waiter);
    this.startForWaiting();
  }

  /**
   * Starts instances, `maxStarting` at a time: one for each invocation waiting that none starting
   * covers, then on, in the background, until there are as many as the most invocations in flight
   * at once — as many as Lambda would have created for that burst and keeps warm (until idle for
   * `idleInstanceMs`), although here the burst itself was served by whichever instance freed first.
   */
  private startForWaiting(): void {
    while (!this.stopped && this.starting < this.maxStarting) {
      const forWaiter = this.starting < this.waiting.length;
      if (!forWaiter && this.instances.length >= this.peakDemand) return;
      this.startInstance(forWaiter);
    }
  }

  private startInstance(forWaiter: boolean): LambdaInstance {
    const index = this.nextIndex++;
    const instance = new LambdaInstance(
      this.fn,
      this.extraEnv,
      (line) => this.onLogLine(line, index),
      index,
      (exited) => this.exited(exited),
    );
    instance.busy = true;
    this.instances.push(instance);
    this.peakInstances = Math.max(this.peakInstances, this.instances.length);
    this.starting += 1;
    this.reaper ??= setInterval(() => this.reap(), REAP_EVERY_MS).unref();
    instance.ready.then(
      () => {
        this.starting -= 1;
        this.becameIdle(instance);
        this.startForWaiting();
      },
      (error: Error) => {
        this.starting -= 1;
        // The start failed (the module threw while loading): the invocation it was for fails with it, as Lambda's init error does.
        const waiter = forWaiter ? this.waiting.shift() : undefined;
        if (waiter !== undefined) {
          waiter.taken = true;
          waiter.fail({ ok: false, errorType: INVOCATION_ERRORS.crash, errorMessage: error.message });
        }
        this.startForWaiting();
      },
    );
    return instance;
  }

  private becameIdle(instance: LambdaInstance): void {
    if (!instance.alive) return;
    instance.busy = false;
    instance.lastUsedMs = Date.now();
    const next = this.waiting.shift();
    if (next === undefined) return;
    next.taken = true;
    next.take(instance);
  }

  private exited(instance: LambdaInstance): void {
    const at = this.instances.indexOf(instance);
    if (at >= 0) this.instances.splice(at, 1);
    // Invocations still waiting need an instance starting for each.
    this.startForWaiting();
  }

  /** Stops instances idle longer than `idleInstanceMs`, keeping one; the demand they were kept for is forgotten. */
  private reap(): void {
    const now = Date.now();
    let alive = this.instances.length;
    for (const instance of [...this.instances]) {
      if (alive <= 1) break;
      if (!instance.busy && now - instance.lastUsedMs > this.idleInstanceMs) {
        instance.stop();
        alive -= 1;
      }
    }
    this.peakDemand = Math.max(this.inFlight, alive);
  }

  /** Stops every instance; the runner starts none after this (an invocation then fails at once). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.reaper);
    this.reaper = undefined;
    for (const waiter of this.waiting.splice(0))
      waiter.fail({ ok: false, errorType: INVOCATION_ERRORS.crash, errorMessage: `${this.fn.logicalId} was stopped` });
    for (const instance of [...this.instances]) instance.stop();
  }
}
