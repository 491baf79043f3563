import { startOAuthServer } from '../local/oauth-server.js';

/** The project's OAuth server (oidc-provider + phantom endpoint) in its own process; prints its issuer. */
async function main(): Promise<void> {
  const server = await startOAuthServer({ port: 0 });
  process.stdout.write(`${server.issuer}\n`);
  process.on('disconnect', () => process.exit(0));
}

// An async main, not top-level await: the project is CommonJS (the jsii-compiled library is).
main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
