import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../lambda/authorizer.js';
import { checkClientCertificate } from '../../lambda/sender-constraints/certificate.js';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../local/secrets-manager.js';
import { dpopKey, dpopProof } from '../support/dpop.js';
import { type FaultServer, fakeJwt, startFaultServer } from '../support/fault-server.js';
import { httpApiEvent, restEvent } from '../support/fixtures.js';
import { decisionLines, rememberSecret } from '../support/log-capture.js';

const certificate = (name: string) => readFileSync(join(__dirname, '../fixtures/client-certificates', name), 'utf8');
const CLIENT_A = certificate('client-a.pem');
const CLIENT_B = certificate('client-b.pem');
/** RFC 8705 §3.1 x5t#S256, computed independently of the code under test: SHA-256 of the DER, base64url. */
const x5tS256 = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');

let server: FaultServer;
let secrets: LocalSecretsManager;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  server = await startFaultServer();
  secrets = await startLocalSecretsManager();
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
  secrets.put('mtls/client', JSON.stringify({ client_id: 'authorizer', client_secret: rememberSecret('mtls-client-secret') }));
  bindTo({ 'x5t#S256': x5tS256(CLIENT_A) });
});
afterAll(async () => {
  await server.close();
  await secrets.close();
});

function bindTo(cnf: Record<string, unknown>): void {
  server.mode = 'body';
  server.body = { contentType: 'application/jwt', text: rememberSecret(fakeJwt({ sub: 'alice', scope: 'read', exp: now() + 600, cnf })) };
}

const authorizer = (env: Record<string, string> = {}) =>
  createAuthorizer({
    INTROSPECTION_ENDPOINT: server.url,
    CLIENT_CREDENTIALS_SECRET: 'mtls/client',
    SENDER_CONSTRAINED_TOKENS: 'true',
    ...env,
  });

let tokens = 0;
const newToken = () => rememberSecret(`mtls-token-${++tokens}-abcdef`);
const lastLine = async () => (await decisionLines()).at(-1);

/** An HTTP API event over mutual TLS: requestContext.authentication.clientCert, as API Gateway sends it. */
function httpEvent(token: string, pem: string | undefined, scheme = 'Bearer', extraHeaders: Record<string, string> = {}) {
  const base = httpApiEvent(`${scheme} ${token}`, 'GET /echo', extraHeaders) as Record<string, unknown> & {
    requestContext: Record<string, unknown>;
  };
  const authentication =
    pem === undefined ? undefined : { clientCert: { clientCertPem: pem, subjectDN: 'CN=client', issuerDN: 'CN=client' } };
  return { ...base, requestContext: { ...base.requestContext, authentication } };
}

/** A REST event over mutual TLS: requestContext.identity.clientCert. */
function restMtlsEvent(token: string, pem: string | undefined) {
  const base = restEvent(`Bearer ${token}`) as Record<string, unknown> & { requestContext: { identity: object } };
  const identity = { ...base.requestContext.identity, ...(pem === undefined ? {} : { clientCert: { clientCertPem: pem } }) };
  return { ...base, requestContext: { ...base.requestContext, identity } };
}

describe('certificate-bound tokens (RFC 8705 §3)', () => {
  it('allows a token bound to the client certificate of the mutual-TLS connection (HTTP API)', async () => {
    expect(await authorizer()(httpEvent(newToken(), CLIENT_A))).toMatchObject({ isAuthorized: true });
    expect(await lastLine()).toMatchObject({ outcome: 'allow', reason: 'ok' });
  });

  it('allows it on REST, where the certificate is in requestContext.identity', async () => {
    expect(await authorizer()(restMtlsEvent(newToken(), CLIENT_A))).toMatchObject({ policyDocument: { Statement: [{ Effect: 'Allow' }] } });
  });

  it('denies the token presented with another client certificate, per request on a cached token', async () => {
    const handler = authorizer();
    const token = newToken();
    expect(await handler(httpEvent(token, CLIENT_A))).toMatchObject({ isAuthorized: true });
    expect(await handler(httpEvent(token, CLIENT_B))).toEqual({ isAuthorized: false });
    expect(await lastLine()).toMatchObject({ outcome: 'deny', reason: 'cert_mismatch', cache: 'hit' });
    await expect(handler(restMtlsEvent(token, CLIENT_B))).rejects.toThrow(/^Unauthorized$/);
  });

  it('denies the token when its x5t#S256 differs from the certificate’s thumbprint only in case (base64url is case-sensitive)', async () => {
    const swapped = swapCase(x5tS256(CLIENT_A));
    expect(swapped).not.toBe(x5tS256(CLIENT_A));
    bindTo({ 'x5t#S256': swapped });
    try {
      expect(await authorizer()(httpEvent(newToken(), CLIENT_A))).toEqual({ isAuthorized: false });
      expect(await lastLine()).toMatchObject({ outcome: 'deny', reason: 'cert_mismatch' });
      await expect(authorizer()(restMtlsEvent(newToken(), CLIENT_A))).rejects.toThrow(/^Unauthorized$/);
      expect(await lastLine()).toMatchObject({ outcome: 'deny', reason: 'cert_mismatch' });
    } finally {
      bindTo({ 'x5t#S256': x5tS256(CLIENT_A) });
    }
  });

  it('denies the token without a client certificate', async () => {
    expect(await authorizer()(httpEvent(newToken(), undefined))).toEqual({ isAuthorized: false });
    expect(await lastLine()).toMatchObject({ reason: 'client_cert_missing' });
    await expect(authorizer()(restMtlsEvent(newToken(), undefined))).rejects.toThrow(/^Unauthorized$/);
    expect(await lastLine()).toMatchObject({ reason: 'client_cert_missing' });
  });

  it('denies a certificate field that is not a certificate', async () => {
    for (const pem of ['CERT_CONTENT', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', '']) {
      expect(await authorizer()(httpEvent(newToken(), pem))).toEqual({ isAuthorized: false });
    }
  });

  it('denies a certificate-bound token presented with the DPoP scheme (it is not bound to a key)', async () => {
    expect(await authorizer()(httpEvent(newToken(), CLIENT_A, 'DPoP'))).toEqual({ isAuthorized: false });
    expect(await lastLine()).toMatchObject({ reason: 'unbound_token_as_dpop' });
  });

  it('denies it while API Gateway may cache decisions', async () => {
    expect(await authorizer({ SENDER_CONSTRAINED_TOKENS: 'false' })(httpEvent(newToken(), CLIENT_A))).toEqual({ isAuthorized: false });
    expect(await lastLine()).toMatchObject({ reason: 'sender_constrained_tokens_disabled' });
  });

  it('checks both bindings of a token bound to a certificate and a DPoP key', async () => {
    const key = await dpopKey();
    bindTo({ 'x5t#S256': x5tS256(CLIENT_A), jkt: key.jkt });
    try {
      const htu = 'https://id.execute-api.us-east-1.amazonaws.com/echo';
      const token = newToken();
      const proof = () => dpopProof(key, { htm: 'GET', htu, token });
      expect(await authorizer()(httpEvent(token, CLIENT_A, 'DPoP', { dpop: await proof() }))).toMatchObject({ isAuthorized: true });
      expect(await authorizer()(httpEvent(token, CLIENT_B, 'DPoP', { dpop: await proof() }))).toEqual({ isAuthorized: false });
      expect(await lastLine()).toMatchObject({ reason: 'cert_mismatch' });
      expect(await authorizer()(httpEvent(token, CLIENT_A, 'DPoP'))).toEqual({ isAuthorized: false });
      expect(await lastLine()).toMatchObject({ reason: 'dpop_proof_missing' });
    } finally {
      bindTo({ 'x5t#S256': x5tS256(CLIENT_A) });
    }
  });

  it('reports a cnf whose x5t#S256 or jkt is not a string as an invalid answer (500), not as unbound', async () => {
    for (const cnf of [{ 'x5t#S256': 42 }, { jkt: ['a'] }, 'bound', null]) {
      server.body = { contentType: 'application/jwt', text: rememberSecret(fakeJwt({ sub: 'alice', exp: now() + 600, cnf })) };
      await expect(authorizer()(httpEvent(newToken(), CLIENT_A))).rejects.toMatchObject({
        code: 'ERR_INTROSPECTION_RESPONSE_INVALID',
        message: expect.stringMatching(/claim cnf(\.x5t#S256|\.jkt)? must be/),
      });
    }
    bindTo({ 'x5t#S256': x5tS256(CLIENT_A) });
  });
});

describe('checkClientCertificate', () => {
  it('compares the SHA-256 of the DER, base64url, exactly', () => {
    expect(checkClientCertificate(CLIENT_A, x5tS256(CLIENT_A))).toBeUndefined();
    expect(checkClientCertificate(CLIENT_A, x5tS256(CLIENT_B))).toBe('cert_mismatch');
    expect(checkClientCertificate(CLIENT_A, Buffer.from(x5tS256(CLIENT_A), 'base64url').toString('hex'))).toBe('cert_mismatch');
    expect(checkClientCertificate(CLIENT_A, `${x5tS256(CLIENT_A)}=`)).toBe('cert_mismatch');
  });
});

/** The value with upper and lower case swapped: the same thumbprint to a case-insensitive compare, another to base64url. */
function swapCase(value: string): string {
  return [...value].map((char) => (char === char.toUpperCase() ? char.toLowerCase() : char.toUpperCase())).join('');
}
