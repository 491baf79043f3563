import { type ChildProcess, fork } from 'node:child_process';
import { resolve } from 'node:path';

/** Starts a bench server script in its own process (so its work does not share the measured event loop); resolves with its first line. */
function startServerProcess(script: string): Promise<{ child: ChildProcess; firstLine: string }> {
  const child = fork(resolve(__dirname, script), {
    execArgv: ['--import', 'tsx', '--no-warnings'],
    stdio: ['ignore', 'pipe', 'ignore', 'ipc'],
  });
  return new Promise((resolve) => {
    child.stdout?.once('data', (data: Buffer) => resolve({ child, firstLine: data.toString().trim().split('\n')[0] as string }));
  });
}

/** bench/jwt-server.ts: answers every introspection with the same JWT. */
export async function startJwtServer(): Promise<{ child: ChildProcess; url: URL }> {
  const { child, firstLine } = await startServerProcess('./jwt-server.ts');
  return { child, url: new URL(`http://127.0.0.1:${firstLine}/introspect`) };
}

/** The project's OAuth server: oidc-provider with the Curity-compatible phantom endpoint in front. */
export async function startOAuthServerProcess(): Promise<{ child: ChildProcess; issuer: string }> {
  const { child, firstLine } = await startServerProcess('./oauth-server-process.ts');
  return { child, issuer: firstLine };
}

/** bench/dynamodb-server.ts: the local DynamoDB endpoint with the shared cache's table `table`. */
export async function startDynamoDbProcess(table: string): Promise<{ child: ChildProcess; endpoint: string }> {
  process.env.BENCH_TABLE = table;
  const { child, firstLine } = await startServerProcess('./dynamodb-server.ts');
  return { child, endpoint: firstLine };
}
