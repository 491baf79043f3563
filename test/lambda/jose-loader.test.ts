import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { httpApiEvent } from '../support/fixtures.js';
import { rememberSecret } from '../support/log-capture.js';
import { type Peers, startPeers } from '../support/peers.js';

/** How many times the runtime's jose module was evaluated: the real module, counted. */
const jose = vi.hoisted(() => ({ loads: 0 }));
vi.mock('../../lambda/jose-functions.js', async (importOriginal) => {
  jose.loads += 1;
  return importOriginal();
});

let peers: Peers;
beforeAll(async () => {
  peers = await startPeers();
});
afterAll(async () => {
  await peers.close();
});

describe('jose, loaded on first use', () => {
  it('is never loaded by the default application/jwt mode, through allow, deny and cache hit', async () => {
    const authorizer = peers.authorizer();
    const token = await peers.token('read');
    expect(await authorizer(httpApiEvent(`Bearer ${token}`))).toMatchObject({ isAuthorized: true });
    expect(await authorizer(httpApiEvent(`Bearer ${token}`))).toMatchObject({ isAuthorized: true });
    expect(await authorizer(httpApiEvent('Bearer not-a-token-the-server-knows'))).toMatchObject({ isAuthorized: false });
    expect(jose.loads).toBe(0);
  });

  it('is loaded once RFC 9701 mode is configured, and verifies its responses', async () => {
    const authorizer = peers.authorizer({
      INTROSPECTION_ENDPOINT: peers.oauth.introspectionEndpoint,
      INTROSPECTION_RESPONSE_TYPE: 'application/token-introspection+jwt',
      JWKS_URI: peers.oauth.jwksUri,
      ISSUER: peers.oauth.issuer,
    });
    const response = (await authorizer(httpApiEvent(`Bearer ${await peers.token('read')}`))) as {
      isAuthorized: boolean;
      context?: { jwt?: string };
    };
    rememberSecret(response.context?.jwt ?? 'none');
    expect(response.isAuthorized).toBe(true);
    // A second instance in the same process shares the loaded module.
    peers.authorizer({
      INTROSPECTION_ENDPOINT: peers.oauth.introspectionEndpoint,
      INTROSPECTION_RESPONSE_TYPE: 'application/token-introspection+jwt',
      JWKS_URI: peers.oauth.jwksUri,
    });
    expect(jose.loads).toBe(1);
  });

  it('still rejects an RFC 9701 response signed by another key', async () => {
    const other = await (await import('../../local/oauth-server.js')).startOAuthServer();
    try {
      const authorizer = peers.authorizer({
        INTROSPECTION_ENDPOINT: other.introspectionEndpoint,
        INTROSPECTION_RESPONSE_TYPE: 'application/token-introspection+jwt',
        // The JWKS of a server that did not sign the response.
        JWKS_URI: peers.oauth.jwksUri,
      });
      const token = rememberSecret(await other.token('demo-client', 'demo-secret', 'read'));
      await expect(authorizer(httpApiEvent(`Bearer ${token}`))).rejects.toMatchObject({
        code: 'ERR_INTROSPECTION_RESPONSE_INVALID',
        message: expect.stringMatching(/^introspection response JWT failed verification: /),
      });
    } finally {
      await other.close();
    }
  });
});
