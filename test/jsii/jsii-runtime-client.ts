import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A reference to an object living in the jsii runtime, as the kernel hands it out. */
export interface ObjRef {
  readonly '$jsii.byref': string;
}

/** A kernel error answer, carrying the runtime's message and the JavaScript stack. */
export class JsiiRuntimeError extends Error {
  override readonly name = 'JsiiRuntimeError';
  constructor(
    message: string,
    readonly runtimeStack: string | undefined,
  ) {
    super(message);
  }
}

/** A struct argument as the Python, Java, .NET and Go runtimes serialize it. */
export const struct = (fqn: string, data: Record<string, unknown>) => ({ '$jsii.struct': { fqn, data } });

/** An enum member as the language runtimes serialize it: `fqn/MEMBER`. */
export const enumMember = (fqn: string, member: string) => ({ '$jsii.enum': `${fqn}/${member}` });

/**
 * A minimal client of the jsii runtime (`@jsii/runtime`'s jsii-runtime.js), speaking its protocol
 * the way the generated Python, Java, .NET and Go libraries do: one JSON object per line, `hello`
 * first, then one request at a time (`load`, `create`, `sinvoke`, `invoke`, `get`, …), each
 * answered by `ok` or `error`, or by a `callback` the client must `complete` before the answer.
 * This client registers no overrides, so a callback is answered with an error.
 */
export class JsiiRuntimeClient {
  /** The runtime's `hello` line, e.g. `@jsii/runtime@1.140.0`. */
  readonly hello: Promise<string>;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private readonly stderr: string[] = [];

  constructor(runtimeScript: string) {
    this.child = spawn(process.execPath, [runtimeScript], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
    // The runtime wraps the JavaScript side's own stdout and stderr as {"stderr": base64} lines on stderr.
    createInterface({ input: this.child.stderr }).on('line', (line) => {
      try {
        const wrapped = JSON.parse(line) as { stdout?: string; stderr?: string };
        this.stderr.push(Buffer.from(wrapped.stderr ?? wrapped.stdout ?? '', 'base64').toString('utf8'));
      } catch {
        this.stderr.push(line);
      }
    });
    this.hello = this.next().then((message) => {
      if (typeof message.hello !== 'string') throw new Error(`the runtime did not say hello first: ${JSON.stringify(message)}`);
      return message.hello;
    });
  }

  /** Loads an assembly from its npm tarball; dependencies must be loaded first. */
  async load(name: string, version: string, tarball: string): Promise<{ assembly: string; types: number }> {
    return (await this.request({ api: 'load', name, version, tarball })) as { assembly: string; types: number };
  }

  /** `new fqn(...args)` */
  async create(fqn: string, args: unknown[] = []): Promise<ObjRef> {
    return (await this.request({ api: 'create', fqn, args, overrides: [], interfaces: [] })) as ObjRef;
  }

  /** A static method call, `fqn.method(...args)`. */
  async sinvoke(fqn: string, method: string, args: unknown[] = []): Promise<unknown> {
    return ((await this.request({ api: 'sinvoke', fqn, method, args })) as { result?: unknown }).result;
  }

  /** A method call on an object. */
  async invoke(objref: ObjRef, method: string, args: unknown[] = []): Promise<unknown> {
    return ((await this.request({ api: 'invoke', objref, method, args })) as { result?: unknown }).result;
  }

  /** A property read on an object. */
  async get(objref: ObjRef, property: string): Promise<unknown> {
    return ((await this.request({ api: 'get', objref, property })) as { value?: unknown }).value;
  }

  /** Asks the runtime to exit and waits for it. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end(`${JSON.stringify({ exit: 0 })}\n`);
    const timer = setTimeout(() => this.child.kill(), 5_000);
    await exited;
    clearTimeout(timer);
  }

  /** What the JavaScript side wrote to its stdout and stderr so far. */
  output(): string {
    return this.stderr.join('');
  }

  private async request(request: Record<string, unknown>): Promise<unknown> {
    await this.hello;
    this.send(request);
    for (;;) {
      const message = await this.next();
      if ('ok' in message) return message.ok;
      if ('error' in message) throw new JsiiRuntimeError(String(message.error), message.stack as string | undefined);
      if ('callback' in message) {
        const { cbid } = message.callback as { cbid: string };
        this.send({ complete: { cbid, err: 'this client registers no overrides', name: '@jsii/kernel.Fault' } });
        continue;
      }
      throw new Error(`unexpected message from the jsii runtime: ${JSON.stringify(message)}`);
    }
  }

  private send(message: Record<string, unknown>): void {
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
  }

  private async next(): Promise<Record<string, unknown>> {
    const { value, done } = await this.lines.next();
    if (done) throw new Error(`the jsii runtime exited (code ${this.child.exitCode}); its output:\n${this.output()}`);
    return JSON.parse(value) as Record<string, unknown>;
  }
}
