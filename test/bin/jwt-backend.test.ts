import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendConfigurationError, createJwtBackend, readBackendConfig } from '../../bin/jwt-backend.js';
import { closeServer, listen } from '../../local/http-server.js';
import { rememberSecret } from '../support/log-capture.js';

/**
 * The sample's HTTP backend verifies the JWT before it answers, so that reaching it directly (its
 * function URL is public) gets nothing without a JWT the OAuth server signed: signature against the
 * JWKS, issuer, expiry; and it reads the JWT only from the header its gateway writes.
 */
const ISSUER = 'https://login.example.com/oauth';
let jwksServer: http.Server;
let jwksUri: string;
let sign: (
  claims: JWTPayload,
  options?: { expiresIn?: string | number; issuer?: string; otherKey?: boolean; typ?: string },
) => Promise<string>;
const logLines: string[] = [];
let backend: ReturnType<typeof createJwtBackend>;

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const other = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  jwksServer = http.createServer((_, response) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await listen(jwksServer, 0);
  jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
  sign = async (claims, options = {}) => {
    let jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', ...(options.typ === undefined ? {} : { typ: options.typ }) })
      .setIssuer(options.issuer ?? ISSUER)
      .setIssuedAt();
    if (options.expiresIn !== undefined) jwt = jwt.setExpirationTime(options.expiresIn);
    return rememberSecret(await jwt.sign(options.otherKey ? other.privateKey : privateKey));
  };
  backend = createJwtBackend(readBackendConfig({ JWKS_URI: jwksUri, ISSUER }), (line) => logLines.push(line));
});
afterAll(() => closeServer(jwksServer));

const rest = (authorization?: string, extra: Record<string, string> = {}) =>
  backend({ method: 'GET', path: '/rest/backend', headers: { ...(authorization === undefined ? {} : { authorization }), ...extra } });

describe('the sample HTTP backend', () => {
  it('answers 200 with the verified claims to a JWT in Authorization: Bearer on the REST path', async () => {
    const jwt = await sign({ sub: 'alice', client_id: 'demo-client', scope: 'read' }, { expiresIn: '5m' });
    const response = await rest(`Bearer ${jwt}`);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).jwt).toMatchObject({
      from: 'authorization',
      verified: true,
      claims: { iss: ISSUER, sub: 'alice', client_id: 'demo-client', scope: 'read' },
    });
  });

  it('reads the JWT from x-phantom-jwt on the HTTP API path, where Authorization still holds the opaque token', async () => {
    const jwt = await sign({ sub: 'bob' }, { expiresIn: '5m' });
    const response = await backend({
      method: 'GET',
      path: '/http/backend',
      headers: { authorization: 'Bearer opaque-token', 'x-phantom-jwt': jwt },
    });
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).jwt).toMatchObject({ from: 'x-phantom-jwt', claims: { sub: 'bob' } });
  });

  it('ignores a valid JWT in x-phantom-jwt on the REST path, where a client can send that header unchanged', async () => {
    const jwt = await sign({ sub: 'mallory' }, { expiresIn: '5m' });
    const response = await rest(undefined, { 'x-phantom-jwt': jwt });
    expect(response.statusCode).toBe(401);
    expect(logLines.at(-1)).toBe(JSON.stringify({ backend: 'deny', reason: 'ERR_NO_JWT', jwtFrom: 'authorization' }));
  });

  it.each([
    [
      'an unsigned JWT (alg none)',
      async () => 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiIsImlzcyI6Imh0dHBzOi8vbG9naW4uZXhhbXBsZS5jb20vb2F1dGgifQ.x',
    ],
    ['a JWT signed by another key', () => sign({ sub: 'x' }, { expiresIn: '5m', otherKey: true })],
    ['a JWT of another issuer', () => sign({ sub: 'x' }, { expiresIn: '5m', issuer: 'https://evil.example' })],
    ['an expired JWT', () => sign({ sub: 'x' }, { expiresIn: Math.floor(Date.now() / 1000) - 60 })],
    ['a JWT without exp', () => sign({ sub: 'x' })],
    ['an opaque token', async () => 'not-a-jwt-at-all'],
  ])('answers 401 with a Bearer invalid_token challenge to %s, and never logs it', async (_, make) => {
    const credential = await make();
    const before = logLines.length;
    const response = await rest(`Bearer ${credential}`);
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    const lines = logLines.slice(before);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ backend: 'deny', reason: expect.stringMatching(/^ERR_/) });
    expect(lines.join('')).not.toContain(credential);
  });

  it('takes the token claims from token_introspection of an RFC 9701 response, which has no exp of its own', async () => {
    const exp = Math.floor(Date.now() / 1000) + 300;
    const jwt = await sign(
      { aud: 'phantom-authorizer', token_introspection: { active: true, client_id: 'reader-client', scope: 'read', exp } },
      { typ: 'token-introspection+jwt' },
    );
    const response = await rest(`Bearer ${jwt}`);
    expect(logLines.at(-1)).toContain('"backend":"allow"');
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).jwt.claims).toEqual({ client_id: 'reader-client', scope: 'read', exp });
  });

  it.each([
    ['says the token is inactive', { active: false, exp: Math.floor(Date.now() / 1000) + 300 }],
    ['has no exp for the token', { active: true }],
    ['says the token expired', { active: true, exp: Math.floor(Date.now() / 1000) - 60 }],
  ])('answers 401 to an RFC 9701 response that %s', async (_, tokenIntrospection) => {
    const jwt = await sign({ token_introspection: tokenIntrospection }, { typ: 'token-introspection+jwt' });
    const before = logLines.length;
    expect((await rest(`Bearer ${jwt}`)).statusCode).toBe(401);
    expect(JSON.parse(logLines[before] as string)).toMatchObject({ backend: 'deny', reason: 'ERR_JWT_TOKEN_CLAIMS' });
  });

  it('answers 404 outside the two integration paths', async () => {
    expect((await backend({ method: 'GET', path: '/other', headers: {} })).statusCode).toBe(404);
  });
});

describe('the sample HTTP backend configuration', () => {
  it.each([
    [{ JWKS_URI: 'not a url', ISSUER }, 'JWKS_URI must be an absolute URL; received "not a url"'],
    [
      { JWKS_URI: 'http://login.example.com/jwks', ISSUER },
      'JWKS_URI must use https (http only on 127.0.0.1 or localhost); received http://login.example.com',
    ],
    [
      { JWKS_URI: 'https://login.example.com/jwks', ISSUER: '' },
      'ISSUER must name the OAuth server whose JWTs this backend accepts; it is empty',
    ],
  ])('refuses %j', (env, message) => {
    expect(() => readBackendConfig(env)).toThrow(BackendConfigurationError);
    expect(() => readBackendConfig(env)).toThrow(message);
  });

  it('takes JWT_HEADER_NAME in any letter case', () => {
    expect(readBackendConfig({ JWKS_URI: 'https://login.example.com/jwks', ISSUER, JWT_HEADER_NAME: 'X-JWT' }).jwtHeaderName).toBe('x-jwt');
  });
});
