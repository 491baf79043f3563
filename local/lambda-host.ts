import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * One Lambda "instance" in a child process: loads a bundled handler from its asset directory
 * with the function's environment (set by the parent when forking), then answers invocations
 * that arrive over IPC, one at a time, as the Lambda runtime would.
 */
interface Invocation {
  readonly id: number;
  readonly event: unknown;
}

const [assetDir, handlerSpec] = process.argv.slice(2) as [string, string];
const [file, exportName] = handlerSpec.split('.') as [string, string];
const handler = (
  createRequire(join(assetDir, 'noop.js'))(`./${file}.js`) as Record<string, (event: unknown, context: unknown) => Promise<unknown>>
)[exportName];
if (typeof handler !== 'function') throw new Error(`${handlerSpec} is not a function in ${assetDir}`);

const context = { functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, awsRequestId: '', getRemainingTimeInMillis: () => 0 };

process.on('message', async ({ id, event }: Invocation) => {
  try {
    const result = await handler(event, { ...context, awsRequestId: `local-${id}` });
    process.send?.({ id, ok: true, result });
  } catch (error) {
    process.send?.({ id, ok: false, errorType: (error as Error).name, errorMessage: (error as Error).message });
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
