import { createRemoteJWKSet, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/local-stack.js';
import { OTHER_RESOURCE } from '../../local/oauth-server.js';
import { type DpopKey, dpopKey, dpopProof } from '../support/dpop.js';
import { useLocalStack } from '../support/e2e-stack.js';
import { decisionLines, decisionLinesAfter, rememberSecret } from '../support/log-capture.js';

/**
 * DPoP end to end on 127.0.0.1: oidc-provider binds a token to the client's key (RFC 9449 §5),
 * the phantom endpoint carries cnf.jkt into the JWT, and the sample app's authorizer, built with
 * senderConstrainedTokens, checks a proof on every request behind the local HTTP API gateway.
 */
const local = useLocalStack({ senderConstrainedTokens: true });
let stack: LocalStack;
let key: DpopKey;
beforeAll(async () => {
  stack = local();
  key = await dpopKey('ES256');
});

/** A token bound to `key`: the token request carries a proof for POST at the token endpoint. */
async function boundToken(scope = 'read write', withKey = key): Promise<string> {
  const proof = await dpopProof(withKey, { htm: 'POST', htu: stack.oauth.tokenEndpoint });
  return rememberSecret(await stack.oauth.token('demo-client', 'demo-secret', scope, proof));
}

let linesBefore = 0;
async function call(path: string, headers: Record<string, string>, method = 'GET') {
  linesBefore = (await decisionLines()).length;
  const response = await fetch(`${stack.url}${path}`, { method, headers });
  const text = await response.text();
  return { status: response.status, body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : text };
}

const proofFor = (token: string, method = 'GET', withKey = key) => dpopProof(withKey, { htm: method, htu: `${stack.url}/echo`, token });
/** The reason of the decision on the last call: the authorizer's process prints it just after answering. */
const lastReason = async () => (await decisionLinesAfter(linesBefore)).at(-1)?.reason;

describe('a DPoP client through the local gateway', () => {
  it('is allowed with a fresh proof on every request, and the backend receives a JWT bound to its key', async () => {
    const token = await boundToken();
    const first = await call('/echo', { authorization: `DPoP ${token}`, dpop: await proofFor(token) });
    expect(first.status).toBe(200);
    const jwt = rememberSecret((first.body as { headers: Record<string, string> }).headers['x-phantom-jwt'] as string);
    const { payload } = await jwtVerify(jwt, createRemoteJWKSet(new URL(stack.oauth.jwksUri)), { issuer: stack.oauth.issuer });
    expect(payload).toMatchObject({ cnf: { jkt: key.jkt }, aud: 'https://api.example.com' });
    expect((await call('/echo', { authorization: `DPoP ${token}`, dpop: await proofFor(token, 'POST') }, 'POST')).status).toBe(200);
  });

  it("denies a stolen DPoP token used without the key: as Bearer, without a proof, with the thief's own key, or replaying a proof", async () => {
    const token = await boundToken();
    const proof = await proofFor(token);
    expect((await call('/echo', { authorization: `DPoP ${token}`, dpop: proof })).status).toBe(200);

    expect((await call('/echo', { authorization: `Bearer ${token}` })).status).toBe(403);
    expect(await lastReason()).toBe('bound_token_as_bearer');
    expect((await call('/echo', { authorization: `DPoP ${token}` })).status).toBe(403);
    expect(await lastReason()).toBe('dpop_proof_missing');
    const thief = await dpopKey('ES256');
    expect((await call('/echo', { authorization: `DPoP ${token}`, dpop: await proofFor(token, 'GET', thief) })).status).toBe(403);
    expect(await lastReason()).toBe('dpop_key_mismatch');
    expect((await call('/echo', { authorization: `DPoP ${token}`, dpop: proof })).status).toBe(403);
    expect(await lastReason()).toBe('dpop_replay');
  });

  it('denies a proof made for another method than the request', async () => {
    const token = await boundToken();
    expect((await call('/echo', { authorization: `DPoP ${token}`, dpop: await proofFor(token, 'POST') })).status).toBe(403);
    expect(await lastReason()).toBe('dpop_htm_mismatch');
  });

  it('still lets an unbound bearer token through', async () => {
    const token = rememberSecret(await stack.oauth.token('demo-client', 'demo-secret', 'read'));
    expect((await call('/echo', { authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it('denies a token minted for another API (audience)', async () => {
    const response = await fetch(stack.oauth.tokenEndpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('demo-client:demo-secret').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read', resource: OTHER_RESOURCE }).toString(),
    });
    const token = rememberSecret(((await response.json()) as { access_token: string }).access_token);
    expect((await call('/echo', { authorization: `Bearer ${token}` })).status).toBe(403);
    expect(await lastReason()).toBe('wrong_audience');
  });
});
