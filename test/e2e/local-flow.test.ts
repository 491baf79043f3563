import { createRemoteJWKSet, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/local-stack.js';
import { type OAuthServer, startOAuthServer } from '../../local/oauth-server.js';
import { useLocalStack } from '../support/e2e-stack.js';
import { decisionLines, decisionLinesAfter, rememberSecret } from '../support/log-capture.js';

/**
 * The whole flow over real HTTP on 127.0.0.1: the sample app synthesized and bundled, the
 * authorizer and echo bundles running in their own processes behind the local HTTP API gateway,
 * the OAuth server, and Secrets Manager for the authorizer's credentials.
 */
const local = useLocalStack({ extraClients: [{ id: 'short-lived-client', secret: 'short-lived-secret', scope: 'read', ttlSeconds: 1 }] });
let stack: LocalStack;
beforeAll(() => {
  stack = local();
});

async function token(scope: string, client = 'demo-client', secret = 'demo-secret', oauth: OAuthServer = stack.oauth): Promise<string> {
  return rememberSecret(await oauth.token(client, secret, scope));
}

async function call(path: string, init: { method?: string; token?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(`${stack.url}${path}`, { method: init.method ?? 'GET', headers });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : text,
  };
}

describe('the local HTTP API in front of the sample app', () => {
  it('serves GET /public without a token', async () => {
    expect((await call('/public')).status).toBe(200);
  });

  it('answers 401 without a token, without invoking the authorizer', async () => {
    const before = stack.gateway.authorizerInvocations;
    expect(await call('/echo')).toMatchObject({ status: 401, body: { message: 'Unauthorized' } });
    expect(stack.gateway.authorizerInvocations).toBe(before);
  });

  it('answers 403 to a junk token', async () => {
    expect(await call('/echo', { token: 'junk' })).toMatchObject({ status: 403, body: { message: 'Forbidden' } });
  });

  it('lets a read token through GET /echo, and the backend receives a JWT that verifies against the OAuth server JWKS', async () => {
    const response = await call('/echo', { token: await token('read') });
    expect(response.status).toBe(200);
    const headers = (response.body as { headers: Record<string, string> }).headers;
    const jwt = rememberSecret(headers['x-phantom-jwt'] as string);
    expect(headers.authorization).toBe(`Bearer ${jwt}`);
    const { payload } = await jwtVerify(jwt, createRemoteJWKSet(new URL(stack.oauth.jwksUri)), { issuer: stack.oauth.issuer });
    expect(payload).toMatchObject({ client_id: 'demo-client', scope: 'read' });
  });

  it('refuses POST /echo to a read-only token, also right after the same token passed GET /echo', async () => {
    const readOnly = await token('read', 'reader-client', 'reader-secret');
    expect((await call('/echo', { token: readOnly })).status).toBe(200);
    expect((await call('/echo', { method: 'POST', token: readOnly })).status).toBe(403);
  });

  it('lets a read write token through POST /echo', async () => {
    expect((await call('/echo', { method: 'POST', token: await token('read write') })).status).toBe(200);
  });

  it('never lets a client forge the JWT the backend sees', async () => {
    const forged = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiIsInNjb3BlIjoicmVhZCB3cml0ZSJ9.';
    const response = await call('/echo', { token: await token('read'), headers: { 'x-phantom-jwt': forged } });
    const headers = (response.body as { headers: Record<string, string> }).headers;
    rememberSecret(headers['x-phantom-jwt'] as string);
    expect(response.status).toBe(200);
    expect(JSON.stringify(response.body)).not.toContain(forged);
    expect(headers['x-phantom-jwt']).toMatch(/^eyJ/);
  });

  it('refuses a token revoked before its first use', async () => {
    const revoked = await token('read');
    await stack.oauth.revoke(revoked, 'demo-client', 'demo-secret');
    expect((await call('/echo', { token: revoked })).status).toBe(403);
  });

  it('refuses an expired token', async () => {
    const shortLived = await token('read', 'short-lived-client', 'short-lived-secret');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await call('/echo', { token: shortLived })).status).toBe(403);
  });

  it('answers a repeated call from the gateway cache within the TTL, without invoking the authorizer', async () => {
    const value = await token('read');
    expect((await call('/echo', { token: value })).status).toBe(200);
    const after = stack.gateway.authorizerInvocations;
    expect((await call('/echo', { token: value })).status).toBe(200);
    expect(stack.gateway.authorizerInvocations).toBe(after);
  });

  it('answers 500 (never 401 or 403) while the OAuth server is down, and recovers once it is back', async () => {
    const unused = await token('read');
    const port = stack.oauth.port;
    await stack.oauth.close();
    let restarted: OAuthServer | undefined;
    try {
      const before = (await decisionLines()).length;
      expect(await call('/echo', { token: unused })).toMatchObject({ status: 500, body: { message: 'Internal Server Error' } });
      expect((await decisionLinesAfter(before)).at(-1)).toMatchObject({ outcome: 'error', reason: 'ERR_INTROSPECTION_REQUEST_FAILED' });
      restarted = await startOAuthServer({ port });
      expect((await call('/echo', { token: await token('read', 'demo-client', 'demo-secret', restarted) })).status).toBe(200);
    } finally {
      await restarted?.close();
    }
  });
});
