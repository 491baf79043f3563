import { type ChildProcess, fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { lambdaHostScript } from './lambda-host-script.js';
import type { LocalFunction } from './template.js';

export type InvocationResult =
  | { readonly ok: true; readonly result: unknown; readonly instance?: number }
  | { readonly ok: false; readonly errorType: string; readonly errorMessage: string; readonly instance?: number };

/**
 * The `errorType` of the failures the emulator itself produces (the function's own errors carry
 * the name of what it threw).
 */
export const INVOCATION_ERRORS = {
  /** The function ran past its own timeout; its instance was stopped (Lambda's errorType for it). */
  functionTimeout: 'Sandbox.Timedout',
  /** The instance's process ended during the invocation or while starting. */
  crash: 'Runtime.ExitError',
  /** No concurrency left: Lambda refused the invocation. */
  throttled: 'TooManyRequestsException',
  /** The caller (API Gateway) stopped waiting: its own limit passed; the function may still be running. */
  callerTimeout: 'CallerTimeout',
} as const;

/**
 * One execution environment of a function: a child process (lambda-host.ts) that loads the bundle
 * once and runs one invocation at a time. An invocation past the function's timeout stops the
 * process, as Lambda discards an environment whose invocation timed out.
 */
export class LambdaInstance {
  private readonly child: ChildProcess;
  private nextId = 0;
  private exited = false;
  /** Killed (timed out or stopped), its exit not seen yet: it takes no more invocations. */
  private killed = false;
  /** Resolves once the handler is loaded (the cold start); rejects if the process ends first. */
  readonly ready: Promise<void>;
  busy = false;
  /** When it last finished an invocation (or started), `Date.now()`. */
  lastUsedMs = Date.now();

  constructor(
    private readonly fn: LocalFunction,
    env: Readonly<Record<string, string>>,
    onLogLine: (line: string) => void,
    /** Its number within the function, from 0, for logs and the soak's records. */
    readonly index: number,
    private readonly onExit: (instance: LambdaInstance) => void,
  ) {
    const child = fork(lambdaHostScript(), [fn.assetDir, fn.handler], {
      execArgv: ['--no-warnings'],
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
        ...fn.environment,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', onLogLine);
    }
    this.child = child;
    this.ready = new Promise((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`${fn.logicalId} instance ${index} exited with code ${code} while starting`)));
    });
    // A failed start is reported to whoever waits for the instance; nothing else must see it unhandled.
    this.ready.catch(() => {});
    // A send to a process that has just ended fails through the send callback below; this keeps it from being thrown.
    child.on('error', () => {});
    child.once('exit', () => {
      this.exited = true;
      this.onExit(this);
    });
  }

  get alive(): boolean {
    return !this.exited && !this.killed;
  }

  /** Runs one invocation within the function's timeout (counted from now, after the cold start). */
  run(event: unknown): Promise<InvocationResult> {
    const timeoutMs = this.fn.timeoutSeconds * 1000;
    const id = ++this.nextId;
    const child = this.child;
    const instance = this.index;
    return new Promise<InvocationResult>((resolve) => {
      if (!this.alive) {
        resolve({
          ok: false,
          errorType: INVOCATION_ERRORS.crash,
          errorMessage: `${this.fn.logicalId} instance ${instance} has exited`,
          instance,
        });
        return;
      }
      const timer = setTimeout(() => {
        cleanup();
        this.kill();
        resolve({
          ok: false,
          errorType: INVOCATION_ERRORS.functionTimeout,
          errorMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
          instance,
        });
      }, timeoutMs);
      const onMessage = (message: { id?: number } & InvocationResult) => {
        if (message.id !== id) return;
        cleanup();
        resolve(
          message.ok
            ? { ok: true, result: message.result, instance }
            : { ok: false, errorType: message.errorType, errorMessage: message.errorMessage, instance },
        );
      };
      const onExit = () => {
        cleanup();
        resolve({
          ok: false,
          errorType: INVOCATION_ERRORS.crash,
          errorMessage: `${this.fn.logicalId} exited during an invocation`,
          instance,
        });
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ id, event, deadlineMs: Date.now() + timeoutMs }, (error) => {
        if (error === null) return;
        cleanup();
        this.kill();
        resolve({ ok: false, errorType: INVOCATION_ERRORS.crash, errorMessage: `${this.fn.logicalId}: ${error.message}`, instance });
      });
    });
  }

  stop(): void {
    this.kill();
  }

  private kill(): void {
    this.killed = true;
    if (!this.exited) this.child.kill();
  }
}
