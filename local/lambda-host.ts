import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * One Lambda "instance" (execution environment) in a child process: loads a bundled handler from
 * its asset directory with the function's environment (set by the parent when forking), then
 * answers invocations that arrive over IPC, one at a time, as the Lambda runtime would.
 *
 * It runs as plain CommonJS, transpiled once by lambda-host-script.ts: no TypeScript loader in each
 * instance, so that an instance starts in about a tenth of the time and memory (a burst of cold
 * starts is what the concurrency emulation costs a laptop).
 */
interface Invocation {
  readonly id: number;
  readonly event: unknown;
  /** `Date.now()` by which the function times out: `context.getRemainingTimeInMillis()`. */
  readonly deadlineMs: number;
}

const [assetDir, handlerSpec] = process.argv.slice(2) as [string, string];
const [file, exportName] = handlerSpec.split('.') as [string, string];
const handler = (
  createRequire(join(assetDir, 'noop.js'))(`./${file}.js`) as Record<string, (event: unknown, context: unknown) => Promise<unknown>>
)[exportName];
if (typeof handler !== 'function') throw new Error(`${handlerSpec} is not a function in ${assetDir}`);

process.on('message', async ({ id, event, deadlineMs }: Invocation) => {
  const context = {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    awsRequestId: `local-${id}`,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
  };
  try {
    const result = await handler(event, context);
    process.send?.({ id, ok: true, result });
  } catch (error) {
    process.send?.({ id, ok: false, errorType: (error as Error).name, errorMessage: (error as Error).message });
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
