import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../lambda/authorizer.js';
import { DEFAULT_AUTHORIZER_CLIENT, type OAuthServer, startOAuthServer } from '../../local/oauth-server.js';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../local/secrets-manager.js';
import { httpApiEvent } from '../support/fixtures.js';
import { rememberSecret } from '../support/log-capture.js';

describe('RFC 9701 mode across a signing-key rotation', () => {
  let first: OAuthServer;
  let second: OAuthServer | undefined;
  let secrets: LocalSecretsManager;
  beforeAll(async () => {
    first = await startOAuthServer();
    secrets = await startLocalSecretsManager();
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
    secrets.put(
      'rotation/client',
      JSON.stringify({ client_id: DEFAULT_AUTHORIZER_CLIENT.id, client_secret: DEFAULT_AUTHORIZER_CLIENT.secret }),
    );
  });
  afterAll(async () => {
    await second?.close();
    await secrets.close();
  });

  it('refetches the JWKS when responses arrive signed with an unknown kid', async () => {
    const authorizer = createAuthorizer({
      INTROSPECTION_ENDPOINT: first.introspectionEndpoint,
      INTROSPECTION_RESPONSE_TYPE: 'application/token-introspection+jwt',
      JWKS_URI: first.jwksUri,
      ISSUER: first.issuer,
      CLIENT_CREDENTIALS_SECRET: 'rotation/client',
    });
    const before = rememberSecret(await first.token('demo-client', 'demo-secret', 'read'));
    expect(await authorizer(httpApiEvent(`Bearer ${before}`))).toMatchObject({ isAuthorized: true });
    // The same issuer restarts with a new signing key (and kid).
    await first.close();
    second = await startOAuthServer({ port: first.port });
    const after = rememberSecret(await second.token('demo-client', 'demo-secret', 'read'));
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const response = (await authorizer(httpApiEvent(`Bearer ${after}`))) as { isAuthorized: boolean; context?: { jwt?: string } };
    rememberSecret(response.context?.jwt ?? 'none');
    expect(response.isAuthorized).toBe(true);
  });
});
