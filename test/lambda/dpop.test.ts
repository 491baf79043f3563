import { createSecretKey } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuthorizer } from '../../lambda/authorizer.js';
import { loadConfig } from '../../lambda/config.js';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../local/secrets-manager.js';
import { type DpopKey, dpopKey, dpopProof, type ProofOptions } from '../support/dpop.js';
import { type FaultServer, fakeJwt, startFaultServer } from '../support/fault-server.js';
import { httpApiEvent, restEvent } from '../support/fixtures.js';
import { decisionLines, rememberSecret } from '../support/log-capture.js';

let server: FaultServer;
let secrets: LocalSecretsManager;
let key: DpopKey;
let otherKey: DpopKey;
const now = () => Math.floor(Date.now() / 1000);
/** The URL httpApiEvent's GET /echo was called at: its domainName and rawPath. */
const HTU = 'https://id.execute-api.us-east-1.amazonaws.com/echo';

beforeAll(async () => {
  server = await startFaultServer();
  secrets = await startLocalSecretsManager();
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
  secrets.put('dpop/client', JSON.stringify({ client_id: 'authorizer', client_secret: rememberSecret('dpop-client-secret') }));
  key = await dpopKey('ES256');
  otherKey = await dpopKey('ES256');
  bindTo({ jkt: key.jkt });
});
afterAll(async () => {
  await server.close();
  await secrets.close();
});

/** The introspection answer for every token from now on: a phantom JWT bound by this `cnf` (or none). */
function bindTo(cnf: Record<string, unknown> | undefined): void {
  server.mode = 'body';
  server.body = { contentType: 'application/jwt', text: rememberSecret(fakeJwt({ sub: 'alice', scope: 'read', exp: now() + 600, cnf })) };
}

const authorizer = (env: Record<string, string> = {}) =>
  createAuthorizer({
    INTROSPECTION_ENDPOINT: server.url,
    CLIENT_CREDENTIALS_SECRET: 'dpop/client',
    SENDER_CONSTRAINED_TOKENS: 'true',
    ...env,
  });

let tokens = 0;
const newToken = () => rememberSecret(`dpop-token-${++tokens}-abcdef`);
const introspections = () => server.requests.filter((request) => request.body.startsWith('token=')).length;
const lastLine = async () => (await decisionLines()).at(-1);

/** An HTTP API GET /echo event carrying the token with a scheme and these DPoP header values. */
function event(token: string, proof: string | undefined, scheme = 'DPoP', routeKey = 'GET /echo') {
  return httpApiEvent(`${scheme} ${token}`, routeKey, proof === undefined ? {} : { DPoP: proof });
}

const proofFor = (token: string, options: Partial<ProofOptions> = {}, withKey = key) =>
  dpopProof(withKey, { htm: 'GET', htu: HTU, token, ...options });

/** The reason of the decision on one request with a proof made with these options (a fresh handler and token). */
async function reasonFor(options: Partial<ProofOptions>, withKey = key, env: Record<string, string> = {}) {
  const token = newToken();
  const response = await authorizer(env)(event(token, await proofFor(token, options, withKey)));
  const line = await lastLine();
  return { authorized: (response as { isAuthorized: boolean }).isAuthorized, reason: line?.reason };
}

describe('DPoP-bound tokens (RFC 9449 §7)', () => {
  it('allows a DPoP-bound token with a valid proof made with its key', async () => {
    const token = newToken();
    expect(await authorizer()(event(token, await proofFor(token)))).toMatchObject({ isAuthorized: true });
    expect(await lastLine()).toMatchObject({ outcome: 'allow', reason: 'ok' });
  });

  it('checks a fresh proof on every request with a cached token, without a second introspection', async () => {
    const handler = authorizer();
    const token = newToken();
    const before = introspections();
    expect(await handler(event(token, await proofFor(token)))).toMatchObject({ isAuthorized: true });
    expect(await handler(event(token, await proofFor(token)))).toMatchObject({ isAuthorized: true });
    expect(await lastLine()).toMatchObject({ outcome: 'allow', cache: 'hit' });
    expect(await handler(event(token, undefined))).toEqual({ isAuthorized: false });
    expect(await lastLine()).toMatchObject({ reason: 'dpop_proof_missing', cache: 'hit' });
    expect(introspections() - before).toBe(1);
  });

  it('denies a replayed proof, on a cached token, without a second introspection', async () => {
    const handler = authorizer();
    const token = newToken();
    const proof = await proofFor(token);
    const before = introspections();
    expect(await handler(event(token, proof))).toMatchObject({ isAuthorized: true });
    expect(await handler(event(token, proof))).toEqual({ isAuthorized: false });
    expect(await lastLine()).toMatchObject({ outcome: 'deny', reason: 'dpop_replay', cache: 'hit' });
    expect(introspections() - before).toBe(1);
  });

  it('denies a stolen token presented without the key: no proof, or a proof made with another key', async () => {
    const handler = authorizer();
    const token = newToken();
    expect(await handler(event(token, undefined))).toEqual({ isAuthorized: false });
    expect(await lastLine()).toMatchObject({ reason: 'dpop_proof_missing' });
    expect(await handler(event(token, await proofFor(token, {}, otherKey)))).toEqual({ isAuthorized: false });
    expect(await lastLine()).toMatchObject({ reason: 'dpop_key_mismatch' });
  });

  it('denies a proof made with the key when cnf.jkt differs from its thumbprint only in case (base64url is case-sensitive)', async () => {
    bindTo({ jkt: swapCase(key.jkt) });
    try {
      expect(swapCase(key.jkt)).not.toBe(key.jkt);
      const token = newToken();
      expect(await authorizer()(event(token, await proofFor(token)))).toEqual({ isAuthorized: false });
      expect(await lastLine()).toMatchObject({ reason: 'dpop_key_mismatch' });
    } finally {
      bindTo({ jkt: key.jkt });
    }
  });

  it('remembers a proof until its iat + the window: a future-dated proof replayed later than first use + the window is denied', async () => {
    const handler = authorizer();
    const token = newToken();
    const start = Date.now();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(start);
      // 50 s ahead: accepted now (the window is 60 s either way), and until iat + 60 s = start + 110 s.
      const iat = Math.floor(start / 1000) + 50;
      const proof = await proofFor(token, { claims: { iat } });
      expect(await handler(event(token, proof))).toMatchObject({ isAuthorized: true });
      // 70 s after its first use, 20 s after its iat: still within its window, so a replay.
      vi.setSystemTime(start + 70_000);
      expect(await handler(event(token, proof))).toEqual({ isAuthorized: false });
      expect(await lastLine()).toMatchObject({ outcome: 'deny', reason: 'dpop_replay' });
      // At the window's last second, still a replay; a fresh proof of the same moment is allowed.
      vi.setSystemTime((iat + 60) * 1000);
      expect(await handler(event(token, proof))).toEqual({ isAuthorized: false });
      expect(await lastLine()).toMatchObject({ outcome: 'deny', reason: 'dpop_replay' });
      expect(await handler(event(token, await proofFor(token, { claims: { iat: iat + 60 } })))).toMatchObject({ isAuthorized: true });
      // Past it, the proof has expired.
      vi.setSystemTime((iat + 61) * 1000);
      expect(await handler(event(token, proof))).toEqual({ isAuthorized: false });
      expect(await lastLine()).toMatchObject({ outcome: 'deny', reason: 'dpop_proof_expired' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('denies a bound token presented as a bearer token, even with a valid proof (§7.2)', async () => {
    const token = newToken();
    expect(await authorizer()(event(token, await proofFor(token), 'Bearer'))).toEqual({ isAuthorized: false });
    expect(await lastLine()).toMatchObject({ reason: 'bound_token_as_bearer' });
  });

  it('accepts the DPoP scheme in any case', async () => {
    const token = newToken();
    expect(await authorizer()(event(token, await proofFor(token), 'dpop'))).toMatchObject({ isAuthorized: true });
  });

  it('denies a token the server did not bind, presented with the DPoP scheme', async () => {
    bindTo(undefined);
    try {
      const token = newToken();
      expect(await authorizer()(event(token, await proofFor(token)))).toEqual({ isAuthorized: false });
      expect(await lastLine()).toMatchObject({ reason: 'unbound_token_as_dpop' });
      expect(await authorizer()(event(newToken(), undefined, 'Bearer'))).toMatchObject({ isAuthorized: true });
    } finally {
      bindTo({ jkt: key.jkt });
    }
  });

  it('denies every bound token while API Gateway may cache decisions (SENDER_CONSTRAINED_TOKENS not true)', async () => {
    const token = newToken();
    expect(await authorizer({ SENDER_CONSTRAINED_TOKENS: '' })(event(token, await proofFor(token)))).toEqual({ isAuthorized: false });
    expect(await lastLine()).toMatchObject({ reason: 'sender_constrained_tokens_disabled' });
  });

  it('denies a token bound by a confirmation method it cannot check', async () => {
    bindTo({ jwk: key.publicJwk });
    try {
      const token = newToken();
      expect(await authorizer()(event(token, await proofFor(token)))).toEqual({ isAuthorized: false });
      expect(await lastLine()).toMatchObject({ reason: 'unsupported_cnf' });
    } finally {
      bindTo({ jkt: key.jkt });
    }
  });

  it('answers REST with 401 (Unauthorized) for a bad proof and an Allow policy for a good one', async () => {
    const handler = authorizer();
    const token = newToken();
    const rest = (proof: string) => {
      const base = restEvent(`DPoP ${token}`, 'GET', '/echo') as Record<string, unknown> & {
        headers: Record<string, string>;
        multiValueHeaders: Record<string, string[]>;
        requestContext: Record<string, unknown>;
      };
      return {
        ...base,
        headers: { ...base.headers, DPoP: proof },
        multiValueHeaders: { ...base.multiValueHeaders, DPoP: [proof] },
        requestContext: { ...base.requestContext, domainName: 'abc.execute-api.eu-west-1.amazonaws.com', path: '/test/echo' },
      };
    };
    const htu = 'https://abc.execute-api.eu-west-1.amazonaws.com/test/echo';
    expect(await handler(rest(await proofFor(token, { htu })))).toMatchObject({ policyDocument: { Statement: [{ Effect: 'Allow' }] } });
    await expect(handler(rest(await proofFor(token, { htu: HTU })))).rejects.toThrow(/^Unauthorized$/);
    expect(await lastLine()).toMatchObject({ reason: 'dpop_htu_mismatch' });
  });

  it('denies more than one DPoP header: REST multiValueHeaders, or values API Gateway joined with a comma', async () => {
    const token = newToken();
    const [a, b] = [await proofFor(token), await proofFor(token)];
    const base = restEvent(`DPoP ${token}`, 'GET', '/echo') as Record<string, unknown> & { multiValueHeaders: Record<string, string[]> };
    await expect(authorizer()({ ...base, multiValueHeaders: { ...base.multiValueHeaders, DPoP: [a, b] } })).rejects.toThrow(
      /^Unauthorized$/,
    );
    expect(await lastLine()).toMatchObject({ reason: 'invalid_dpop_proof' });
    expect(await authorizer()(event(token, `${a},${b}`))).toEqual({ isAuthorized: false });
    expect(await lastLine()).toMatchObject({ reason: 'invalid_dpop_proof' });
  });
});

describe('each check of a proof (RFC 9449 §4.3)', () => {
  it.each<[string, Partial<ProofOptions>, string]>([
    ['typ is not dpop+jwt', { header: { typ: 'JWT' } }, 'invalid_dpop_proof'],
    ['typ is missing', { header: { typ: undefined } }, 'invalid_dpop_proof'],
    ['jwk is missing', { header: { jwk: undefined } }, 'invalid_dpop_proof'],
    ['jti is missing', { claims: { jti: undefined } }, 'invalid_dpop_proof'],
    ['jti is empty', { claims: { jti: '' } }, 'invalid_dpop_proof'],
    ['jti is not a string', { claims: { jti: 42 } }, 'invalid_dpop_proof'],
    ['htm is missing', { claims: { htm: undefined } }, 'invalid_dpop_proof'],
    ['htu is missing', { claims: { htu: undefined } }, 'invalid_dpop_proof'],
    ['iat is missing', { claims: { iat: undefined } }, 'invalid_dpop_proof'],
    ['iat is a string', { claims: { iat: String(now()) } }, 'invalid_dpop_proof'],
    ['ath is missing', { claims: { ath: undefined } }, 'invalid_dpop_proof'],
    ['exp has passed', { claims: { exp: now() - 10 } }, 'invalid_dpop_proof'],
    ['htm is another method', { htm: 'POST' }, 'dpop_htm_mismatch'],
    ['htm is the method in lower case', { htm: 'get' }, 'dpop_htm_mismatch'],
    ['htu is another path', { htu: 'https://id.execute-api.us-east-1.amazonaws.com/other' }, 'dpop_htu_mismatch'],
    ['htu is another host', { htu: 'https://evil.example.com/echo' }, 'dpop_htu_mismatch'],
    ['htu is plain http', { htu: 'http://id.execute-api.us-east-1.amazonaws.com/echo' }, 'dpop_htu_mismatch'],
    ['htu is relative', { htu: '/echo' }, 'dpop_htu_mismatch'],
    ['iat is 75 s ago', { claims: { iat: now() - 75 } }, 'dpop_proof_expired'],
    ['iat is 75 s ahead', { claims: { iat: now() + 75 } }, 'dpop_proof_expired'],
    ['ath is the hash of another token', { token: 'another-token' }, 'dpop_ath_mismatch'],
  ])('denies a proof whose %s (%s)', async (_, options, reason) => {
    expect(await reasonFor(options)).toEqual({ authorized: false, reason });
  });

  it.each<[string, Partial<ProofOptions>]>([
    ['a query and a fragment in htu', { htu: `${HTU}?page=2#top` }],
    ['the host in upper case and the default port', { htu: 'https://ID.EXECUTE-API.us-east-1.amazonaws.com:443/echo' }],
    ['a percent-encoded unreserved character', { htu: 'https://id.execute-api.us-east-1.amazonaws.com/%65cho' }],
    ['iat 45 s ago', { claims: { iat: now() - 45 } }],
    ['iat 45 s ahead', { claims: { iat: now() + 45 } }],
    ['typ with the application/ prefix', { header: { typ: 'application/dpop+jwt' } }],
  ])('allows a proof with %s', async (_, options) => {
    expect(await reasonFor(options)).toEqual({ authorized: true, reason: 'ok' });
  });

  it('denies a proof signed by another key than the one it embeds', async () => {
    expect(await reasonFor({ signWith: otherKey.privateKey })).toEqual({ authorized: false, reason: 'invalid_dpop_proof' });
  });

  it('denies a forged signature under a header never seen before and under one already verified (its key remembered)', async () => {
    const fresh = await dpopKey('ES256');
    bindTo({ jkt: fresh.jkt });
    try {
      expect(await reasonFor({ signWith: otherKey.privateKey }, fresh)).toEqual({ authorized: false, reason: 'invalid_dpop_proof' });
      expect(await reasonFor({}, fresh)).toEqual({ authorized: true, reason: 'ok' });
      expect(await reasonFor({ signWith: otherKey.privateKey }, fresh)).toEqual({ authorized: false, reason: 'invalid_dpop_proof' });
      expect(await reasonFor({ claims: { htm: 'PUT' } }, fresh)).toEqual({ authorized: false, reason: 'dpop_htm_mismatch' });
    } finally {
      bindTo({ jkt: key.jkt });
    }
  });

  it('denies a proof whose jwk holds the private key', async () => {
    const { exportJWK } = await import('jose');
    const privateJwk = await exportJWK(key.privateKey);
    expect(await reasonFor({ header: { jwk: privateJwk } })).toEqual({ authorized: false, reason: 'invalid_dpop_proof' });
  });

  it('denies a proof with a symmetric (HS256) signature', async () => {
    const token = newToken();
    const proof = await new SignJWT({ jti: 'hs', htm: 'GET', htu: HTU, iat: now() })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: 'c2VjcmV0' } as never })
      .sign(createSecretKey(Buffer.from('secret')));
    expect(await authorizer()(event(token, proof))).toEqual({ isAuthorized: false });
    expect(await lastLine()).toMatchObject({ reason: 'invalid_dpop_proof' });
  });

  it('denies an unsigned proof (alg none)', async () => {
    const token = newToken();
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const proof = `${part({ alg: 'none', typ: 'dpop+jwt', jwk: key.publicJwk })}.${part({ jti: 'n', htm: 'GET', htu: HTU, iat: now() })}.`;
    expect(await authorizer()(event(token, proof))).toEqual({ isAuthorized: false });
    expect(await lastLine()).toMatchObject({ reason: 'invalid_dpop_proof' });
  });

  it('denies an algorithm left out of DPOP_ALGORITHMS, and allows one listed', async () => {
    const rsa = await dpopKey('PS256');
    bindTo({ jkt: rsa.jkt });
    try {
      expect(await reasonFor({}, rsa, { DPOP_ALGORITHMS: 'ES256' })).toEqual({ authorized: false, reason: 'invalid_dpop_proof' });
      expect(await reasonFor({}, rsa, { DPOP_ALGORITHMS: 'ES256 PS256' })).toEqual({ authorized: true, reason: 'ok' });
    } finally {
      bindTo({ jkt: key.jkt });
    }
  });

  it('allows an Ed25519 proof', async () => {
    const ed = await dpopKey('Ed25519');
    bindTo({ jkt: ed.jkt });
    try {
      expect(await reasonFor({}, ed)).toEqual({ authorized: true, reason: 'ok' });
    } finally {
      bindTo({ jkt: key.jkt });
    }
  });

  it('takes the iat window from DPOP_PROOF_MAX_AGE_SECONDS', async () => {
    expect(await reasonFor({ claims: { iat: now() - 20 } }, key, { DPOP_PROOF_MAX_AGE_SECONDS: '10' })).toEqual({
      authorized: false,
      reason: 'dpop_proof_expired',
    });
  });
});

describe('which URL a proof must name', () => {
  const customDomain = (path: string) => {
    const base = httpApiEvent(`DPoP x`, 'GET /echo') as Record<string, unknown> & { requestContext: Record<string, unknown> };
    return { ...base, rawPath: path, requestContext: { ...base.requestContext, domainName: 'API.example.com' } };
  };

  it('names the custom domain and the event path by default', async () => {
    const token = newToken();
    const request = {
      ...customDomain('/echo'),
      headers: { authorization: `DPoP ${token}`, dpop: await proofFor(token, { htu: 'https://api.example.com/echo' }) },
    };
    expect(await authorizer()(request)).toMatchObject({ isAuthorized: true });
  });

  it('starts with the base URL DPOP_PUBLIC_BASE_URLS gives the domain (a base-path mapping the event leaves out)', async () => {
    const handler = authorizer({ DPOP_PUBLIC_BASE_URLS: JSON.stringify({ 'api.example.com': 'https://api.example.com/orders/' }) });
    const token = newToken();
    const call = async (htu: string) =>
      handler({ ...customDomain('/echo'), headers: { authorization: `DPoP ${token}`, dpop: await proofFor(token, { htu }) } });
    expect(await call('https://api.example.com/orders/echo')).toMatchObject({ isAuthorized: true });
    expect(await call('https://api.example.com/echo')).toEqual({ isAuthorized: false });
    expect(await lastLine()).toMatchObject({ reason: 'dpop_htu_mismatch' });
  });

  it('rebuilds the URL of each request, for one handler serving several paths and domains', async () => {
    const handler = authorizer();
    const token = newToken();
    const call = async (domainName: string, path: string, htu: string) => {
      const base = customDomain(path);
      return handler({
        ...base,
        headers: { authorization: `DPoP ${token}`, dpop: await proofFor(token, { htu }) },
        requestContext: { ...base.requestContext, domainName },
      });
    };
    expect(await call('api.example.com', '/echo', 'https://api.example.com/echo')).toMatchObject({ isAuthorized: true });
    expect(await call('api.example.com', '/other', 'https://api.example.com/echo')).toEqual({ isAuthorized: false });
    expect(await call('api2.example.com', '/echo', 'https://api.example.com/echo')).toEqual({ isAuthorized: false });
    expect(await call('api.example.com', '/other', 'https://api.example.com/other')).toMatchObject({ isAuthorized: true });
    expect(await call('api.example.com', '/echo', 'https://api.example.com/echo')).toMatchObject({ isAuthorized: true });
  });

  it('expects plain http only on a loopback domain (the local gateway)', async () => {
    const token = newToken();
    const local = { ...customDomain('/echo'), requestContext: { ...customDomain('/echo').requestContext, domainName: '127.0.0.1:3000' } };
    const request = {
      ...local,
      headers: { authorization: `DPoP ${token}`, dpop: await proofFor(token, { htu: 'http://127.0.0.1:3000/echo' }) },
    };
    expect(await authorizer()(request)).toMatchObject({ isAuthorized: true });
  });

  it('matches nothing when the event has no usable domain or path', async () => {
    for (const [domainName, path] of [
      [undefined, '/echo'],
      ['evil.example.com/x', '/echo'],
      ['api.example.com', 'echo'],
      ['api.example.com', '/echo?x=1'],
      ['api.example.com', '//evil.example.com/echo'],
    ]) {
      const token = newToken();
      const base = customDomain(path as string);
      const request = {
        ...base,
        headers: { authorization: `DPoP ${token}`, dpop: await proofFor(token, { htu: 'https://api.example.com/echo' }) },
        requestContext: { ...base.requestContext, domainName },
      };
      expect(await authorizer()(request)).toEqual({ isAuthorized: false });
      expect(await lastLine()).toMatchObject({ reason: 'dpop_htu_mismatch' });
    }
  });
});

describe('DPoP configuration', () => {
  const base = { INTROSPECTION_ENDPOINT: 'https://idp.example.com/introspect', CLIENT_CREDENTIALS_SECRET: 'secret' };

  it('defaults to no bound tokens, every asymmetric algorithm, a 60 s window and no public base URLs', () => {
    expect(loadConfig(base)).toMatchObject({
      senderConstrainedTokens: false,
      dpopAlgorithms: ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA', 'Ed25519'],
      dpopProofMaxAgeSeconds: 60,
      dpopPublicBaseUrls: new Map(),
      dpopReplayTable: undefined,
    });
  });

  it.each([
    [{ SENDER_CONSTRAINED_TOKENS: 'yes' }, 'SENDER_CONSTRAINED_TOKENS must be true or false; received "yes"'],
    [
      { DPOP_ALGORITHMS: 'ES256 HS256' },
      'DPOP_ALGORITHMS must name algorithms from ES256 ES384 ES512 PS256 PS384 PS512 RS256 RS384 RS512 EdDSA Ed25519; received "HS256"',
    ],
    [
      { DPOP_ALGORITHMS: 'none' },
      'DPOP_ALGORITHMS must name algorithms from ES256 ES384 ES512 PS256 PS384 PS512 RS256 RS384 RS512 EdDSA Ed25519; received "none"',
    ],
    [{ DPOP_PROOF_MAX_AGE_SECONDS: '0' }, 'DPOP_PROOF_MAX_AGE_SECONDS must be an integer from 1 to 300; received "0"'],
    [{ DPOP_PROOF_MAX_AGE_SECONDS: '301' }, 'DPOP_PROOF_MAX_AGE_SECONDS must be an integer from 1 to 300; received "301"'],
    [
      { DPOP_PUBLIC_BASE_URLS: '{"api.example.com":"http://api.example.com"}' },
      'DPOP_PUBLIC_BASE_URLS["api.example.com"] must be an absolute https URL without query, fragment or credentials; received "http://api.example.com"',
    ],
    [
      { DPOP_PUBLIC_BASE_URLS: '{"api.example.com":"https://api.example.com/v1?x=1"}' },
      'DPOP_PUBLIC_BASE_URLS["api.example.com"] must be an absolute https URL without query, fragment or credentials; received "https://api.example.com/v1?***"',
    ],
    [{ DPOP_PUBLIC_BASE_URLS: '[]' }, 'DPOP_PUBLIC_BASE_URLS must be a JSON object; received []'],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(expect.objectContaining({ code: 'ERR_CONFIGURATION_INVALID', message }));
  });

  it('reads the public base URLs keyed by lower-case domain', () => {
    const config = loadConfig({
      ...base,
      DPOP_PUBLIC_BASE_URLS: '{"API.example.com":"https://api.example.com/v1"}',
      DPOP_ALGORITHMS: ' ES256  PS256 ',
    });
    expect([...config.dpopPublicBaseUrls]).toEqual([['api.example.com', 'https://api.example.com/v1']]);
    expect(config.dpopAlgorithms).toEqual(['ES256', 'PS256']);
  });
});

/** The value with upper and lower case swapped: the same thumbprint to a case-insensitive compare, another to base64url. */
function swapCase(value: string): string {
  return [...value].map((char) => (char === char.toUpperCase() ? char.toLowerCase() : char.toUpperCase())).join('');
}
