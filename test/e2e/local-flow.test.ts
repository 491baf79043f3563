import { createRemoteJWKSet, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/local-stack.js';
import { DEFAULT_AUTHORIZER_CLIENT, type OAuthServer, startOAuthServer } from '../../local/oauth-server.js';
import { useLocalStack } from '../support/e2e-stack.js';
import { decisionLines, decisionLinesAfter, rememberSecret } from '../support/log-capture.js';

/**
 * The whole flow over real HTTP on 127.0.0.1, through both gateways of the sample app: the sample
 * synthesized and bundled; the authorizer, the echo function (Lambda proxy integration) and the
 * JWT-verifying HTTP backend (HTTP integration, behind a local function URL) running from their
 * bundles in their own processes; the OAuth server; Secrets Manager for the authorizer's
 * credentials. The same cases run against the local HTTP API and the local REST API; where the two
 * APIs answer differently by design, the table below says how.
 */
const local = useLocalStack({ extraClients: [{ id: 'short-lived-client', secret: 'short-lived-secret', scope: 'read', ttlSeconds: 1 }] });
let stack: LocalStack;
beforeAll(() => {
  stack = local();
});

interface Gateway {
  readonly name: string;
  url(): string;
  authorizerInvocations(): number;
  /** An unknown, revoked or expired token: HTTP API simple response false → 403; REST `Unauthorized` → 401. */
  readonly invalidToken: { readonly status: number; readonly body: unknown };
  /** The 401 and 403 challenges: REST gateway responses carry them, HTTP APIs cannot. */
  readonly challenge: string | null;
  readonly insufficientScopeChallenge: string | null;
  /** Where the HTTP backend finds the JWT: REST maps `Authorization: Bearer <JWT>`, HTTP APIs `x-phantom-jwt`. */
  readonly backendJwt: (headers: Record<string, string>) => string | undefined;
  readonly serverError: unknown;
}

const GATEWAYS: Gateway[] = [
  {
    name: 'HTTP API',
    url: () => stack.url,
    authorizerInvocations: () => stack.gateway.authorizerInvocations,
    invalidToken: { status: 403, body: { message: 'Forbidden' } },
    challenge: null,
    insufficientScopeChallenge: null,
    backendJwt: (headers) => headers['x-phantom-jwt'],
    serverError: { message: 'Internal Server Error' },
  },
  {
    name: 'REST API',
    url: () => stack.restUrl,
    authorizerInvocations: () => stack.restGateway.authorizerInvocations,
    invalidToken: { status: 401, body: { message: 'Unauthorized' } },
    challenge: 'Bearer realm="api"',
    insufficientScopeChallenge: 'Bearer realm="api", error="insufficient_scope"',
    backendJwt: (headers) => /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1],
    serverError: { message: null },
  },
];

async function token(scope: string, client = 'demo-client', secret = 'demo-secret', oauth: OAuthServer = stack.oauth): Promise<string> {
  return rememberSecret(await oauth.token(client, secret, scope));
}

interface Echo {
  readonly headers: Record<string, string>;
  readonly jwt?: { readonly from: string; readonly verified: boolean; readonly claims: Record<string, unknown> };
}

async function call(base: string, path: string, init: { method?: string; token?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(`${base}${path}`, { method: init.method ?? 'GET', headers });
  const text = await response.text();
  const body = (text.startsWith('{') ? JSON.parse(text) : text) as Echo & Record<string, unknown>;
  // The echo and the backend answer with the headers they received: JWTs among them.
  for (const value of Object.values(body.headers ?? {})) rememberSecret(value.replace(/^Bearer /, ''));
  return { status: response.status, headers: response.headers, body };
}

/** What the phantom introspection endpoint answers the authorizer's client for a token: the JWT, as the authorizer received it. */
async function introspect(opaque: string): Promise<string> {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  const { id, secret } = DEFAULT_AUTHORIZER_CLIENT;
  const response = await fetch(stack.oauth.phantomIntrospectionEndpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/jwt',
    },
    body: new URLSearchParams({ token: opaque }).toString(),
  });
  expect(response.status).toBe(200);
  return rememberSecret(await response.text());
}

for (const gateway of GATEWAYS) {
  describe(`the local ${gateway.name} in front of the sample app`, () => {
    const get = (path: string, init?: Parameters<typeof call>[2]) => call(gateway.url(), path, init);

    it('serves GET /public without a token', async () => {
      expect((await get('/public')).status).toBe(200);
    });

    it('answers 401 without a token, without invoking the authorizer', async () => {
      const before = gateway.authorizerInvocations();
      const response = await get('/echo');
      expect(response).toMatchObject({ status: 401, body: { message: 'Unauthorized' } });
      expect(response.headers.get('www-authenticate')).toBe(gateway.challenge);
      expect(gateway.authorizerInvocations()).toBe(before);
    });

    it('refuses a junk token', async () => {
      const response = await get('/echo', { token: 'junk' });
      expect(response).toMatchObject(gateway.invalidToken);
      if (gateway.invalidToken.status === 401) expect(response.headers.get('www-authenticate')).toBe(gateway.challenge);
    });

    it('lets a read token through GET /echo (Lambda integration), and the function receives a JWT that verifies against the OAuth server JWKS', async () => {
      const response = await get('/echo', { token: await token('read') });
      expect(response.status).toBe(200);
      const headers = response.body.headers;
      const jwt = headers['x-phantom-jwt'] as string;
      expect(headers.authorization).toBe(`Bearer ${jwt}`);
      const { payload } = await jwtVerify(jwt, createRemoteJWKSet(new URL(stack.oauth.jwksUri)), { issuer: stack.oauth.issuer });
      expect(payload).toMatchObject({ client_id: 'demo-client', scope: 'read' });
    });

    it('lets a read token through GET /backend (HTTP integration): the backend receives the JWT byte-exact as introspection returned it, and verifies it', async () => {
      const opaque = await token('read');
      const response = await get('/backend', { token: opaque });
      expect(response.status).toBe(200);
      const received = gateway.backendJwt(response.body.headers);
      expect(received).toBe(await introspect(opaque));
      expect(response.body.jwt).toMatchObject({
        verified: true,
        claims: { iss: stack.oauth.issuer, client_id: 'demo-client', scope: 'read' },
      });
      const { payload } = await jwtVerify(received as string, createRemoteJWKSet(new URL(stack.oauth.jwksUri)), {
        issuer: stack.oauth.issuer,
      });
      expect(payload).toMatchObject({ client_id: 'demo-client', scope: 'read' });
    });

    it('refuses POST /echo to a read-only token, also right after the same token passed GET /echo and GET /backend', async () => {
      const readOnly = await token('read', 'reader-client', 'reader-secret');
      expect((await get('/echo', { token: readOnly })).status).toBe(200);
      expect((await get('/backend', { token: readOnly })).status).toBe(200);
      const refused = await get('/echo', { method: 'POST', token: readOnly });
      expect(refused.status).toBe(403);
      expect(refused.headers.get('www-authenticate')).toBe(gateway.insufficientScopeChallenge);
      expect((await get('/echo', { token: readOnly })).status).toBe(200);
    });

    it('lets a read write token through POST /echo', async () => {
      expect((await get('/echo', { method: 'POST', token: await token('read write') })).status).toBe(200);
    });

    it('never lets a client forge the JWT the Lambda integration sees', async () => {
      const forged = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiIsInNjb3BlIjoicmVhZCB3cml0ZSJ9.';
      const response = await get('/echo', { token: await token('read'), headers: { 'x-phantom-jwt': forged } });
      expect(response.status).toBe(200);
      expect(JSON.stringify(response.body)).not.toContain(forged);
      expect(response.body.headers['x-phantom-jwt']).toMatch(/^eyJ/);
    });

    it('never lets a client forge the JWT the HTTP backend reads, nor hands it the client Authorization in its place', async () => {
      const forged = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiIsInNjb3BlIjoicmVhZCB3cml0ZSJ9.';
      const opaque = await token('read');
      const response = await get('/backend', { token: opaque, headers: { 'x-phantom-jwt': forged, 'X-Phantom-JWT': forged } });
      expect(response.status).toBe(200);
      const received = gateway.backendJwt(response.body.headers);
      expect(received).toBe(await introspect(opaque));
      expect(received).not.toBe(forged);
      expect(response.body.jwt).toMatchObject({ verified: true, claims: { client_id: 'demo-client' } });
    });

    it('never passes a forged JWT sent as the client Authorization to either integration', async () => {
      const forged = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiIsInNjb3BlIjoicmVhZCB3cml0ZSJ9.';
      for (const path of ['/echo', '/backend']) {
        const response = await get(path, { headers: { authorization: `Bearer ${forged}` } });
        // oidc-provider refuses to introspect a JWT-shaped token (400 unsupported_token_type), which
        // the authorizer counts as "could not find out": 500, fail closed, and no integration runs.
        expect(response, path).toMatchObject({ status: 500, body: gateway.serverError });
        expect(response.body.headers).toBeUndefined();
      }
    });

    it('refuses a token revoked before its first use', async () => {
      const revoked = await token('read');
      await stack.oauth.revoke(revoked, 'demo-client', 'demo-secret');
      expect(await get('/echo', { token: revoked })).toMatchObject(gateway.invalidToken);
    });

    it('refuses an expired token', async () => {
      const shortLived = await token('read', 'short-lived-client', 'short-lived-secret');
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(await get('/backend', { token: shortLived })).toMatchObject(gateway.invalidToken);
    });

    it('answers a repeated call from the gateway cache within the TTL, without invoking the authorizer', async () => {
      const value = await token('read');
      expect((await get('/echo', { token: value })).status).toBe(200);
      const after = gateway.authorizerInvocations();
      expect((await get('/echo', { token: value })).status).toBe(200);
      expect(gateway.authorizerInvocations()).toBe(after);
    });
  });
}

// Last: the OAuth server comes back with a new signing key (a key rotation), on the same port.
describe('both local gateways while the OAuth server is down', () => {
  it('answer 500 (never 401 or 403), and recover once it is back', async () => {
    const unused = await token('read');
    const port = stack.oauth.port;
    await stack.oauth.close();
    let restarted: OAuthServer | undefined;
    try {
      for (const gateway of GATEWAYS) {
        const before = (await decisionLines()).length;
        expect(await call(gateway.url(), '/echo', { token: unused }), gateway.name).toMatchObject({
          status: 500,
          body: gateway.serverError,
        });
        expect((await decisionLinesAfter(before)).at(-1)).toMatchObject({ outcome: 'error', reason: 'ERR_INTROSPECTION_REQUEST_FAILED' });
      }
      restarted = await startOAuthServer({ port });
      for (const gateway of GATEWAYS) {
        const fresh = await token('read', 'demo-client', 'demo-secret', restarted);
        expect((await call(gateway.url(), '/echo', { token: fresh })).status, gateway.name).toBe(200);
      }
    } finally {
      await restarted?.close();
    }
  });
});
