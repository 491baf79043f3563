import { startOAuthServer } from '../local/oauth-server.js';

/** The project's OAuth server (oidc-provider + phantom endpoint) in its own process; prints its issuer. */
const server = await startOAuthServer({ port: 0 });
process.stdout.write(`${server.issuer}\n`);
process.on('disconnect', () => process.exit(0));
