import type { DemoClient, RevocationPushOptions } from '../local/oauth-server.js';
import { startOAuthServer } from '../local/oauth-server.js';

/**
 * The child of identity-server.ts: the local OAuth server with the soak's clients (argv[2], JSON)
 * and push revocation's settings (argv[3], JSON, optional); prints its issuer. Messages from the
 * parent: `{ id, op: 'setReceiver', endpoint }` sets where SETs are pushed; `{ id, op: 'pushes' }`
 * answers with every SET's delivery so far (no SET, no token: its hash, times, outcome).
 */
interface Request {
  readonly id: number;
  readonly op: 'setReceiver' | 'pushes';
  readonly endpoint?: string;
}

async function main(): Promise<void> {
  const demoClients = JSON.parse(process.argv[2] ?? '[]') as DemoClient[];
  const revocationPush = JSON.parse(process.argv[3] ?? 'null') as RevocationPushOptions | null;
  const server = await startOAuthServer({ port: 0, demoClients, ...(revocationPush === null ? {} : { revocationPush }) });
  process.on('message', (request: Request) => {
    if (request.op === 'setReceiver') {
      server.setSecurityEventReceiver(request.endpoint);
      process.send?.({ id: request.id });
    } else if (request.op === 'pushes') {
      const pushes = server.securityEventPushes.map(({ done: _done, ...push }) => push);
      process.send?.({ id: request.id, pushes });
    }
  });
  process.stdout.write(`${server.issuer}\n`);
  process.on('disconnect', () => process.exit(0));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
