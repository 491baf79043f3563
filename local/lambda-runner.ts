import { type ChildProcess, fork } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { LocalFunction } from './template.js';

export type InvocationResult =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly errorType: string; readonly errorMessage: string };

/**
 * Runs one function's bundle in a child process (see lambda-host.ts) and invokes it one event at
 * a time. An invocation past the timeout fails and the instance is replaced, as Lambda does.
 */
export class LambdaRunner {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 0;
  /** How many invocations this runner has started. */
  invocations = 0;

  constructor(
    private readonly fn: LocalFunction,
    private readonly extraEnv: Readonly<Record<string, string>>,
    private readonly onLogLine: (line: string) => void,
  ) {}

  /** Invokes the function; it fails past its own timeout, or past `limitMs` when that is shorter (API Gateway's 10 s for authorizers). */
  invoke(event: unknown, limitMs = Number.POSITIVE_INFINITY): Promise<InvocationResult> {
    const timeoutMs = Math.min(limitMs, this.fn.timeoutSeconds * 1000);
    const run = this.queue.then(() => this.invokeNow(event, timeoutMs));
    this.queue = run.catch(() => {});
    return run;
  }

  private start(): Promise<void> {
    const child = fork(resolve(__dirname, './lambda-host.ts'), [this.fn.assetDir, this.fn.handler], {
      execArgv: ['--import', 'tsx', '--no-warnings'],
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_LAMBDA_FUNCTION_NAME: this.fn.logicalId,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
        ...this.fn.environment,
        ...this.extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', this.onLogLine);
    }
    this.child = child;
    this.ready = new Promise((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`${this.fn.logicalId} exited with code ${code} while starting`)));
    });
    child.once('exit', () => {
      if (this.child === child) {
        this.child = undefined;
        this.ready = undefined;
      }
    });
    return this.ready;
  }

  private async invokeNow(event: unknown, timeoutMs: number): Promise<InvocationResult> {
    if (this.child === undefined) await this.start();
    else await this.ready;
    const child = this.child as ChildProcess;
    const id = ++this.nextId;
    this.invocations += 1;
    return new Promise<InvocationResult>((resolve) => {
      const timer = setTimeout(() => {
        cleanup();
        child.kill();
        resolve({ ok: false, errorType: 'Timeout', errorMessage: `${this.fn.logicalId} timed out after ${timeoutMs} ms` });
      }, timeoutMs);
      const onMessage = (message: { id?: number } & InvocationResult) => {
        if (message.id !== id) return;
        cleanup();
        resolve(
          message.ok
            ? { ok: true, result: message.result }
            : { ok: false, errorType: message.errorType, errorMessage: message.errorMessage },
        );
      };
      const onExit = () => {
        cleanup();
        resolve({ ok: false, errorType: 'Crash', errorMessage: `${this.fn.logicalId} exited during an invocation` });
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ id, event });
    });
  }

  stop(): void {
    this.child?.kill();
    this.child = undefined;
  }
}
