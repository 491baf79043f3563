import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { useLocalStack } from '../support/e2e-stack.js';
import { rememberSecret } from '../support/log-capture.js';

/** The local flow with the authorizer in RFC 9701 mode, against oidc-provider's own introspection endpoint. */
const stack = useLocalStack({ introspectionResponseType: 'application/token-introspection+jwt' });

describe('the local flow in RFC 9701 mode', () => {
  it('forwards the verified introspection response as the JWT, and still enforces scopes', async () => {
    const token = rememberSecret(await stack().oauth.token('reader-client', 'reader-secret', 'read'));
    const response = await fetch(`${stack().url}/echo`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    const jwt = rememberSecret(((await response.json()) as { headers: Record<string, string> }).headers['x-phantom-jwt'] as string);
    expect(decodeProtectedHeader(jwt).typ).toBe('token-introspection+jwt');
    const { payload } = await jwtVerify(jwt, createRemoteJWKSet(new URL(stack().oauth.jwksUri)), {
      issuer: stack().oauth.issuer,
      audience: 'phantom-authorizer',
    });
    expect(payload.token_introspection).toMatchObject({ active: true, client_id: 'reader-client', scope: 'read' });
    expect((await fetch(`${stack().url}/echo`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
  });

  it('delivers the introspection response to the HTTP backend through the REST API as Authorization: Bearer, and the backend verifies it', async () => {
    const token = rememberSecret(await stack().oauth.token('reader-client', 'reader-secret', 'read'));
    const response = await fetch(`${stack().restUrl}/backend`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { headers: Record<string, string>; jwt: unknown };
    const jwt = rememberSecret((body.headers.authorization as string).replace(/^Bearer /, ''));
    expect(decodeProtectedHeader(jwt).typ).toBe('token-introspection+jwt');
    expect(body.jwt).toMatchObject({ from: 'authorization', verified: true, claims: { client_id: 'reader-client', scope: 'read' } });
    expect((await fetch(`${stack().restUrl}/echo`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
  });
});
