import type { DemoClient } from '../local/oauth-server.js';
import { startOAuthServer } from '../local/oauth-server.js';

/** The child of identity-server.ts: the local OAuth server with the soak's clients; prints its issuer. */
async function main(): Promise<void> {
  const demoClients = JSON.parse(process.argv[2] ?? '[]') as DemoClient[];
  const server = await startOAuthServer({ port: 0, demoClients });
  process.stdout.write(`${server.issuer}\n`);
  process.on('disconnect', () => process.exit(0));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
