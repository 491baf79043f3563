import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAuthorizer } from '../../lambda/authorizer.js';
import type { PolicyResponse, SimpleResponse } from '../../lambda/authorizer-response.js';
import { httpRequest } from '../../lambda/http-client.js';
import { closeServer, listen, readBody } from '../../local/http-server.js';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../local/secrets-manager.js';
import { fakeJwt } from '../support/fault-server.js';
import { httpApiEvent, restEvent } from '../support/fixtures.js';
import { decisionLines, emfLines, rememberSecret, warningLines } from '../support/log-capture.js';

/**
 * Behaviours a mutation sample found untested (each test here kills a mutant that survived the
 * other suites): the authorizer against a real HTTP server on 127.0.0.1 whose answers each test
 * scripts, serving the introspection endpoint and, for RFC 9701, a JWKS. The survivors of the
 * mutation runs and why each test is here: docs/mutation-testing.md.
 */
interface Reply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Milliseconds the server waits before answering. */
  readonly delayMs?: number;
}

const CLIENT_ID = 'mutation-authorizer';
const SECRET_NAME = 'mutation/client';
let secrets: LocalSecretsManager;
let server: http.Server;
let base: string;
/** Replies for the next introspection requests, in order; then `reply`. */
let queue: Reply[];
let reply: Reply;
let introspections: { authorization: string | undefined; accept: string | undefined; port: number | undefined }[];
let jwks: object;
/** The status the JWKS is served with, and how many times it was fetched. */
let jwksStatus: number;
let jwksFetches: number;
let signingKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

beforeAll(async () => {
  secrets = await startLocalSecretsManager();
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
  const pair = await generateKeyPair('RS256', { extractable: true });
  signingKey = pair.privateKey;
  jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] };
  server = http.createServer(async (request, response) => {
    await readBody(request);
    if (request.url === '/jwks') {
      jwksFetches += 1;
      return void response.writeHead(jwksStatus, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
    }
    introspections.push({ authorization: request.headers.authorization, accept: request.headers.accept, port: request.socket.remotePort });
    const next = queue.shift() ?? reply;
    if (next.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, next.delayMs));
    response.writeHead(next.status, next.headers).end(next.body ?? '');
  });
  await listen(server, 0);
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await closeServer(server);
  await secrets.close();
});
beforeEach(() => {
  secrets.put(SECRET_NAME, JSON.stringify({ client_id: CLIENT_ID, client_secret: rememberSecret('mutation-secret-1') }));
  queue = [];
  reply = { status: 500 };
  introspections = [];
  jwksStatus = 200;
  jwksFetches = 0;
});

const now = () => Math.floor(Date.now() / 1000);
const jwtReply = (claims: Record<string, unknown>, headers: Record<string, string> = {}): Reply => ({
  status: 200,
  headers: { 'content-type': 'application/jwt', ...headers },
  body: fakeJwt({ exp: now() + 120, ...claims }),
});

function authorizer(env: Record<string, string> = {}) {
  return createAuthorizer({
    INTROSPECTION_ENDPOINT: `${base}/introspect`,
    CLIENT_CREDENTIALS_SECRET: SECRET_NAME,
    INTROSPECTION_TIMEOUT_MS: '1000',
    ROUTE_SCOPES: JSON.stringify({ 'GET /echo': ['read'] }),
    ...env,
  });
}

describe('scopes are compared as whole tokens', () => {
  it('denies a token granted read:all on a route that requires read', async () => {
    reply = jwtReply({ sub: 'alice', scope: 'read:all' });
    expect(await authorizer()(httpApiEvent('Bearer scoped-token'))).toEqual({ isAuthorized: false });
    expect((await decisionLines()).at(-1)).toMatchObject({ outcome: 'deny', reason: 'insufficient_scope' });
  });

  it('refuses an scp array holding anything but scope tokens, so that no two tokens read the same scopes differently', async () => {
    for (const scp of [['admin read'], ['', 'read'], ['read', 7], ['réad']]) {
      reply = jwtReply({ sub: 'alice', scp });
      await expect(authorizer()(httpApiEvent(`Bearer scp-${scp.length}`))).rejects.toThrow(/claim scp must hold RFC 6749 scope tokens/);
    }
  });

  it('reads the scopes of an scp claim, as an array or a string, and skips repeated spaces in a string', async () => {
    reply = jwtReply({ sub: 'alice', scp: ['read'] });
    expect(await authorizer()(httpApiEvent('Bearer scp-array'))).toMatchObject({ isAuthorized: true, context: { scope: 'read' } });
    reply = jwtReply({ sub: 'alice', scp: 'write  read' });
    expect(await authorizer()(httpApiEvent('Bearer scp-string'))).toMatchObject({
      isAuthorized: true,
      context: { scope: 'write read' },
    });
  });

  it('grants no scope from a scope claim of another type, and puts no scope in the context', async () => {
    reply = jwtReply({ sub: 'alice', scope: { read: true } });
    expect(await authorizer()(httpApiEvent('Bearer odd-scope'))).toEqual({ isAuthorized: false });
    const open = (await authorizer()(httpApiEvent('Bearer odd-scope', 'GET /open'))) as SimpleResponse;
    expect(open.isAuthorized).toBe(true);
    expect(open.context).not.toHaveProperty('scope');
  });
});

describe('claims the authorizer passes on', () => {
  it('names the principal by sub, else client_id, else unknown, and keeps only string claims in the context', async () => {
    const principal = async (claims: Record<string, unknown>) => {
      reply = jwtReply({ scope: 'read', ...claims });
      const response = (await authorizer()(restEvent('Bearer principal-token'))) as PolicyResponse;
      return { principalId: response.principalId, context: response.context };
    };
    expect(await principal({ sub: 'alice', client_id: 'app' })).toMatchObject({
      principalId: 'alice',
      context: { sub: 'alice', client_id: 'app' },
    });
    expect(await principal({ client_id: 'app' })).toMatchObject({ principalId: 'app' });
    const unknown = await principal({ sub: 42, client_id: ['app'] });
    expect(unknown.principalId).toBe('unknown');
    expect(unknown.context).not.toHaveProperty('sub');
    expect(unknown.context).not.toHaveProperty('client_id');
  });

  it('denies a token whose exp is now, and allows one without exp', async () => {
    reply = jwtReply({ sub: 'alice', scope: 'read', exp: now() });
    expect(await authorizer()(httpApiEvent('Bearer expiring-token'))).toEqual({ isAuthorized: false });
    reply = { status: 200, headers: { 'content-type': 'application/jwt' }, body: fakeJwt({ sub: 'alice', scope: 'read' }) };
    expect(await authorizer()(httpApiEvent('Bearer no-exp-token'))).toMatchObject({ isAuthorized: true });
  });
});

describe('Cache-Control on the introspection response', () => {
  it.each(['no-store', 'no-cache', 'private, no-store', 'max-age=60, no-cache', 'NO-STORE'])(
    'introspects again on the next call after Cache-Control: %s',
    async (cacheControl) => {
      reply = jwtReply({ sub: 'alice', scope: 'read' }, { 'cache-control': cacheControl });
      const handler = authorizer();
      expect(await handler(httpApiEvent('Bearer uncached-token'))).toMatchObject({ isAuthorized: true });
      expect(await handler(httpApiEvent('Bearer uncached-token'))).toMatchObject({ isAuthorized: true });
      expect(introspections).toHaveLength(2);
      expect((await decisionLines()).at(-1)).toMatchObject({ cache: 'miss' });
    },
  );

  it.each(['max-age=60', 'public, max-age="60"', '', 'x-no-store-extension'])(
    'serves the next call from its cache after Cache-Control: %j',
    async (cacheControl) => {
      reply = jwtReply({ sub: 'alice', scope: 'read' }, cacheControl === '' ? {} : { 'cache-control': cacheControl });
      const handler = authorizer();
      await handler(httpApiEvent('Bearer cached-token'));
      expect(await handler(httpApiEvent('Bearer cached-token'))).toMatchObject({ isAuthorized: true });
      expect(introspections).toHaveLength(1);
      expect((await decisionLines()).at(-1)).toMatchObject({ cache: 'hit' });
    },
  );

  it('keeps an answer no longer than its max-age', async () => {
    reply = jwtReply({ sub: 'alice', scope: 'read' }, { 'cache-control': 'max-age=1' });
    const handler = authorizer();
    await handler(httpApiEvent('Bearer short-lived'));
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    await handler(httpApiEvent('Bearer short-lived'));
    expect(introspections).toHaveLength(2);
  });

  it('does not cache an inactive answer marked no-store', async () => {
    reply = { status: 204, headers: { 'cache-control': 'no-store' } };
    const handler = authorizer();
    expect(await handler(httpApiEvent('Bearer junk'))).toEqual({ isAuthorized: false });
    expect(await handler(httpApiEvent('Bearer junk'))).toEqual({ isAuthorized: false });
    expect(introspections).toHaveLength(2);
  });
});

describe('invalid_client', () => {
  const invalidClient = (status: number, body: string): Reply => ({ status, headers: { 'content-type': 'application/json' }, body });

  it.each(['{"error":"invalid_client"}', '{"error" : "invalid_client","error_description":"bad secret"}'])(
    're-reads the secret after a 400 %s and retries once with the new credentials',
    async (body) => {
      const handler = authorizer();
      reply = jwtReply({ sub: 'alice', scope: 'read' });
      // A first request, so that the credentials in hand are surely the first secret's.
      await handler(httpApiEvent('Bearer warm-up-token'));
      introspections = [];
      secrets.put(SECRET_NAME, JSON.stringify({ client_id: CLIENT_ID, client_secret: rememberSecret('mutation-secret-2') }));
      queue = [invalidClient(400, body)];
      expect(await handler(httpApiEvent('Bearer rotated-token'))).toMatchObject({ isAuthorized: true });
      expect(introspections.map(({ authorization }) => Buffer.from(String(authorization).slice(6), 'base64').toString())).toEqual([
        `${CLIENT_ID}:mutation-secret-1`,
        `${CLIENT_ID}:mutation-secret-2`,
      ]);
    },
  );

  it('fails (500) when the retry is rejected with 400 invalid_client as well', async () => {
    reply = invalidClient(400, '{"error":"invalid_client"}');
    const handler = authorizer();
    await expect(handler(restEvent('Bearer rejected-token'))).rejects.toMatchObject({
      code: 'ERR_CLIENT_CREDENTIALS_REJECTED',
      message: `127.0.0.1:${new URL(base).port} rejected the client credentials (status 400)`,
    });
    expect(introspections).toHaveLength(2);
  });

  it.each([
    [400, '{"error":"invalid_request"}'],
    [400, '{"error":"invalid_client_metadata"}'],
    [403, '{"error":"invalid_client"}'],
  ])('does not retry a %i %s: it is not a credentials problem', async (status, body) => {
    reply = invalidClient(status, body);
    await expect(authorizer()(httpApiEvent('Bearer other-error'))).rejects.toMatchObject({
      code: 'ERR_INTROSPECTION_RESPONSE_INVALID',
      message: `127.0.0.1:${new URL(base).port} answered introspection with unexpected status ${status}`,
    });
    expect(introspections).toHaveLength(1);
  });
});

describe('application/jwt responses that are not a decision', () => {
  it.each([
    [
      'a JWS whose payload is not JSON',
      `eyJhbGciOiJSUzI1NiJ9.${Buffer.from('not json').toString('base64url')}.c2ln`,
      /whose payload is not JSON$/,
    ],
    [
      'a JWS whose payload is an array',
      `eyJhbGciOiJSUzI1NiJ9.${Buffer.from('[1]').toString('base64url')}.c2ln`,
      /whose payload is not a JSON object$/,
    ],
    [
      'a JWS whose payload is null',
      `eyJhbGciOiJSUzI1NiJ9.${Buffer.from('null').toString('base64url')}.c2ln`,
      /whose payload is not a JSON object$/,
    ],
    ['two segments', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0', /neither a JWT nor \{"active":false\} \(content-type "application\/jwt"\)$/],
    ['a JWT after other text', `x${fakeJwt({ sub: 'a' })}`, /neither a JWT nor/],
    ['{"active":true}', '{"active":true}', /neither a JWT nor/],
    ['JSON that is not an object', '[false]', /neither a JWT nor/],
    ['broken JSON', '{"active":false', /neither a JWT nor/],
  ])('fails (500) on %s', async (_name, body, message) => {
    reply = { status: 200, headers: { 'content-type': 'application/jwt' }, body };
    await expect(authorizer()(httpApiEvent('Bearer odd-answer'))).rejects.toMatchObject({
      code: 'ERR_INTROSPECTION_RESPONSE_INVALID',
      message: expect.stringMatching(message),
    });
  });

  it('allows a JWT whose header mentions introspection but is not JSON: only a parsed RFC 9701 typ is refused', async () => {
    const header = Buffer.from('{"kid":"introspection-key"').toString('base64url');
    const jwt = `${header}.${Buffer.from(JSON.stringify({ sub: 'alice', scope: 'read', exp: now() + 60 })).toString('base64url')}.c2ln`;
    reply = { status: 200, headers: { 'content-type': 'application/jwt' }, body: jwt };
    expect(await authorizer()(httpApiEvent('Bearer odd-header'))).toMatchObject({ isAuthorized: true, context: { sub: 'alice' } });
  });

  it('fails (500) on a body of four dot-separated segments, which is no JWS', async () => {
    reply = { status: 200, headers: { 'content-type': 'application/jwt' }, body: `${fakeJwt({ sub: 'alice', scope: 'read' })}.more` };
    await expect(authorizer()(httpApiEvent('Bearer four-parts'))).rejects.toThrow(/neither a JWT nor/);
  });

  it('keeps the parse error as the cause of a payload that is not JSON', async () => {
    reply = {
      status: 200,
      headers: { 'content-type': 'application/jwt' },
      body: `eyJhbGciOiJSUzI1NiJ9.${Buffer.from('not json').toString('base64url')}.c2ln`,
    };
    await expect(authorizer()(httpApiEvent('Bearer odd-answer'))).rejects.toMatchObject({ cause: expect.any(SyntaxError) });
  });

  it.each(['x-token-introspection+jwt', 'token-introspection+jwt-x'])(
    "allows a JWT whose typ only contains RFC 9701's: %s",
    async (typ) => {
      const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ })).toString('base64url');
      const jwt = `${header}.${Buffer.from(JSON.stringify({ sub: 'alice', scope: 'read', exp: now() + 60 })).toString('base64url')}.c2ln`;
      reply = { status: 200, headers: { 'content-type': 'application/jwt' }, body: jwt };
      expect(await authorizer()(httpApiEvent('Bearer typ-lookalike'))).toMatchObject({ isAuthorized: true });
    },
  );

  it('names an absent content-type as empty', async () => {
    reply = { status: 200, body: 'nothing' };
    await expect(authorizer()(httpApiEvent('Bearer odd-answer'))).rejects.toThrow(/\(content-type ""\)$/);
  });

  it('denies on {"active":false} surrounded by whitespace', async () => {
    reply = { status: 200, headers: { 'content-type': 'application/json' }, body: '\n {"active":false} \n' };
    expect(await authorizer()(httpApiEvent('Bearer inactive'))).toEqual({ isAuthorized: false });
  });

  it('forwards a JWT surrounded by whitespace without it', async () => {
    const jwt = fakeJwt({ sub: 'alice', scope: 'read', exp: now() + 60 });
    reply = { status: 200, headers: { 'content-type': 'application/jwt' }, body: `\r\n${jwt}\n` };
    expect(await authorizer()(httpApiEvent('Bearer padded'))).toMatchObject({ isAuthorized: true, context: { jwt } });
  });
});

/** An authorizer in RFC 9701 mode, verifying responses with the JWKS this file's server serves. */
const rfc9701 = (env: Record<string, string> = {}) =>
  authorizer({
    INTROSPECTION_RESPONSE_TYPE: 'application/token-introspection+jwt',
    JWKS_URI: `${base}/jwks`,
    ISSUER: 'https://issuer.example',
    ...env,
  });

/** A 200 answer holding an RFC 9701 response JWT, signed with the key the JWKS holds (`k1`). */
async function signed(
  introspection: unknown,
  { typ = 'token-introspection+jwt', aud = CLIENT_ID, iss = 'https://issuer.example' } = {},
): Promise<Reply> {
  const jwt = await new SignJWT({ token_introspection: introspection })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ })
    .setIssuer(iss)
    .setAudience(aud)
    .setIssuedAt()
    .sign(signingKey);
  return { status: 200, headers: { 'content-type': 'application/token-introspection+jwt' }, body: rememberSecret(jwt) };
}
const active = { active: true, sub: 'alice', scope: 'read' };

describe('RFC 9701 responses', () => {
  it('allows a correctly signed response, asking for it by its media type', async () => {
    reply = await signed(active);
    expect(await rfc9701()(httpApiEvent('Bearer rfc9701-token'))).toMatchObject({ isAuthorized: true, context: { sub: 'alice' } });
    expect(introspections.at(-1)?.accept).toBe('application/token-introspection+jwt');
  });

  it.each([
    ['typ JWT', { typ: 'JWT' }, /failed verification: ERR_JWT_CLAIM_VALIDATION_FAILED$/],
    ['typ at+jwt', { typ: 'at+jwt' }, /failed verification: ERR_JWT_CLAIM_VALIDATION_FAILED$/],
    ['another audience', { aud: 'someone-else' }, /failed verification: ERR_JWT_CLAIM_VALIDATION_FAILED$/],
    ['another issuer', { iss: 'https://other.example' }, /failed verification: ERR_JWT_CLAIM_VALIDATION_FAILED$/],
  ])('fails (500), never allows, on a response signed by the right key with %s', async (_name, options, message) => {
    reply = await signed(active, options);
    await expect(rfc9701()(httpApiEvent('Bearer rfc9701-token'))).rejects.toMatchObject({
      code: 'ERR_INTROSPECTION_RESPONSE_INVALID',
      message: expect.stringMatching(message),
    });
  });

  it('keeps the verification error as the cause', async () => {
    reply = await signed(active, { typ: 'JWT' });
    await expect(rfc9701()(httpApiEvent('Bearer rfc9701-token'))).rejects.toMatchObject({
      cause: expect.objectContaining({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' }),
    });
  });

  it('checks no issuer when ISSUER is unset', async () => {
    reply = await signed(active, { iss: 'https://other.example' });
    expect(await rfc9701({ ISSUER: '' })(httpApiEvent('Bearer rfc9701-token'))).toMatchObject({ isAuthorized: true });
  });

  it('fails (500) on an unsigned application/jwt-style body', async () => {
    reply = {
      status: 200,
      headers: { 'content-type': 'application/token-introspection+jwt' },
      body: fakeJwt({ token_introspection: active }),
    };
    await expect(rfc9701()(httpApiEvent('Bearer rfc9701-token'))).rejects.toThrow(/^introspection response JWT failed verification: /);
  });

  it.each([
    ['no token_introspection', undefined],
    ['a null token_introspection', null],
    ['a string token_introspection', 'active'],
    ['an active that is not a boolean', { active: 'true', scope: 'read' }],
  ])('fails (500) on %s', async (_name, introspection) => {
    reply = await signed(introspection);
    await expect(rfc9701()(httpApiEvent('Bearer rfc9701-token'))).rejects.toMatchObject({
      code: 'ERR_INTROSPECTION_RESPONSE_INVALID',
      message: 'introspection response JWT has no token_introspection object with a boolean active',
    });
  });

  it('denies a token the signed response reports inactive, and honours its no-store', async () => {
    const inactive = await signed({ active: false, sub: 'alice', scope: 'read' });
    reply = { ...inactive, headers: { ...inactive.headers, 'cache-control': 'no-store' } };
    const handler = rfc9701();
    expect(await handler(httpApiEvent('Bearer inactive-token'))).toEqual({ isAuthorized: false });
    expect(await handler(httpApiEvent('Bearer inactive-token'))).toEqual({ isAuthorized: false });
    expect(introspections).toHaveLength(2);
    expect((await decisionLines()).at(-1)).toMatchObject({ outcome: 'deny', reason: 'inactive' });
  });
});

describe('the connection to the OAuth server', () => {
  it('logs the time of the introspection and of the whole decision, in milliseconds', async () => {
    reply = jwtReply({ sub: 'alice', scope: 'read' });
    const started = performance.now();
    await authorizer()(httpApiEvent('Bearer timed'));
    const elapsed = performance.now() - started;
    const line = (await decisionLines()).at(-1) as { introspectionMs: number; totalMs: number };
    expect(line.introspectionMs).toBeGreaterThan(0);
    expect(line.totalMs).toBeGreaterThanOrEqual(line.introspectionMs);
    expect(line.totalMs).toBeLessThanOrEqual(elapsed);
  });

  it('keeps the connection alive: warm requests reuse it', async () => {
    reply = jwtReply({ sub: 'alice', scope: 'read' });
    const handler = authorizer({ CACHE_MAX_TTL_SECONDS: '0' });
    for (let i = 0; i < 3; i++) expect(await handler(httpApiEvent('Bearer keep-alive'))).toMatchObject({ isAuthorized: true });
    expect(new Set(introspections.map(({ port }) => port)).size).toBe(1);
  });

  it('reads the secret once at the cold start, not on every warm request', async () => {
    reply = jwtReply({ sub: 'alice', scope: 'read' });
    const readsBefore = secrets.reads;
    const handler = authorizer({ CACHE_MAX_TTL_SECONDS: '0' });
    for (let i = 0; i < 3; i++) await handler(httpApiEvent('Bearer warm-requests'));
    expect(introspections).toHaveLength(3);
    // A re-read started in the background by a warm request would arrive within this wait.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(secrets.reads - readsBefore).toBe(1);
  });

  it('fails (500) on a body whose announced length is over the limit, before reading it', async () => {
    reply = { status: 200, headers: { 'content-type': 'application/jwt', 'content-length': '65537' }, body: 'A'.repeat(64 * 1024 + 1) };
    await expect(authorizer()(httpApiEvent('Bearer big-answer'))).rejects.toMatchObject({
      code: 'ERR_INTROSPECTION_RESPONSE_INVALID',
      message: `127.0.0.1:${new URL(base).port} announced a 65537-byte body; the limit is 65536`,
    });
  });

  it('reads a body of exactly the limit', async () => {
    const jwt = fakeJwt({ sub: 'alice', scope: 'read', exp: now() + 60 });
    reply = { status: 200, headers: { 'content-type': 'application/jwt', 'content-length': '65536' }, body: jwt.padEnd(64 * 1024, ' ') };
    expect(await authorizer()(httpApiEvent('Bearer limit-answer'))).toMatchObject({ isAuthorized: true, context: { jwt } });
  });

  it('keeps the network error as the cause of a failed request', async () => {
    const refused = authorizer({ INTROSPECTION_ENDPOINT: 'http://127.0.0.1:9/introspect' });
    await expect(refused(httpApiEvent('Bearer refused'))).rejects.toMatchObject({
      code: 'ERR_INTROSPECTION_REQUEST_FAILED',
      message: 'request to 127.0.0.1:9 failed: ECONNREFUSED',
      cause: expect.objectContaining({ code: 'ECONNREFUSED' }),
    });
  });
});

describe('a failed scheduled re-read of the secret', () => {
  it('warns with the age of the credentials it keeps, in whole seconds', async () => {
    reply = jwtReply({ sub: 'alice', scope: 'read' });
    const handler = authorizer({ SECRET_REFRESH_SECONDS: '1', CACHE_MAX_TTL_SECONDS: '0' });
    await handler(httpApiEvent('Bearer aging'));
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const before = (await warningLines()).length;
    secrets.failing = true;
    try {
      expect(await handler(httpApiEvent('Bearer aging'))).toMatchObject({ isAuthorized: true });
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      secrets.failing = false;
    }
    expect((await warningLines()).slice(before)).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/; keeping the credentials read [12] s ago, next attempt in 1 s$/) }),
    ]);
  });

  it('keeps the Secrets Manager error as the cause when the first read fails', async () => {
    secrets.failing = true;
    try {
      await expect(authorizer()(httpApiEvent('Bearer no-secret'))).rejects.toMatchObject({
        code: 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE',
        message: 'could not read the secret CLIENT_CREDENTIALS_SECRET names: InternalServiceError',
        cause: expect.objectContaining({ name: 'InternalServiceError' }),
      });
    } finally {
      secrets.failing = false;
    }
    expect(introspections).toHaveLength(0);
  });

  it.each([
    ['an empty client_id', { client_id: '', client_secret: 'some-secret-value' }],
    ['an empty client_secret', { client_id: CLIENT_ID, client_secret: '' }],
  ])('fails (500) on a secret with %s, and never introspects', async (_name, secret) => {
    secrets.put(SECRET_NAME, JSON.stringify(secret));
    await expect(authorizer()(httpApiEvent('Bearer empty-credentials'))).rejects.toMatchObject({
      code: 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE',
      message: `the secret CLIENT_CREDENTIALS_SECRET names must hold a SecretString of JSON with non-empty string fields client_id and client_secret`,
    });
    expect(introspections).toHaveLength(0);
  });
});

describe('the budget after invalid_client', () => {
  it('fails (500) naming the re-read of the credentials when what is left of the budget runs out first', async () => {
    // INTROSPECTION_TIMEOUT_MS 4000: each step may take 4 s, the decision 2 × 4000 + 500 = 8500 ms.
    // Reading the secret at the cold start (3.2 s) and the first introspection (3 s) leave 2.3 s for
    // the re-read, which takes 3.2 s: the budget runs out first, with every margin 0.8 s or more.
    secrets.delayMs = 3_200;
    try {
      const handler = authorizer({ INTROSPECTION_TIMEOUT_MS: '4000' });
      queue = [{ status: 400, headers: { 'content-type': 'application/json' }, body: '{"error":"invalid_client"}', delayMs: 3_000 }];
      await expect(handler(httpApiEvent('Bearer slow-reread-token'))).rejects.toMatchObject({
        code: 'ERR_INTROSPECTION_REQUEST_FAILED',
        message: "the decision's 8500 ms budget ran out re-reading the client credentials after invalid_client",
      });
    } finally {
      secrets.delayMs = 0;
    }
    expect(introspections).toHaveLength(1);
  });
});

describe('the JWKS of RFC 9701 responses', () => {
  it('fails (500), never allows, when the JWKS is answered 500, even with a key set in the body', async () => {
    reply = await signed(active);
    jwksStatus = 500;
    await expect(rfc9701()(httpApiEvent('Bearer rfc9701-token'))).rejects.toMatchObject({
      code: 'ERR_INTROSPECTION_RESPONSE_INVALID',
      message: 'introspection response JWT failed verification: ERR_JOSE_GENERIC',
    });
    expect(jwksFetches).toBe(1);
  });

  it('fetches the JWKS once for ten minutes, then again', async () => {
    const start = Date.now();
    vi.useFakeTimers({ toFake: ['Date'], now: start });
    try {
      reply = await signed(active);
      const handler = rfc9701({ CACHE_MAX_TTL_SECONDS: '0' });
      expect(await handler(httpApiEvent('Bearer jwks-first'))).toMatchObject({ isAuthorized: true });
      vi.setSystemTime(start + 9 * 60_000);
      expect(await handler(httpApiEvent('Bearer jwks-within'))).toMatchObject({ isAuthorized: true });
      expect(jwksFetches).toBe(1);
      vi.setSystemTime(start + 10 * 60_000 + 1_000);
      expect(await handler(httpApiEvent('Bearer jwks-beyond'))).toMatchObject({ isAuthorized: true });
      expect(jwksFetches).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('nbf, with 60 s of clock skew allowed', () => {
  /** A fixed clock, on a whole second. */
  const NOW_S = 1_900_000_000;
  const decide = async (nbf: number) => {
    vi.useFakeTimers({ toFake: ['Date'], now: NOW_S * 1000 });
    try {
      reply = jwtReply({ sub: 'alice', scope: 'read', nbf });
      return await authorizer()(httpApiEvent(`Bearer nbf-${nbf}`));
    } finally {
      vi.useRealTimers();
    }
  };

  it('allows a token whose nbf is exactly now plus the skew', async () => {
    expect(await decide(NOW_S + 60)).toMatchObject({ isAuthorized: true });
  });

  it('denies a token whose nbf is a second beyond the skew', async () => {
    expect(await decide(NOW_S + 61)).toEqual({ isAuthorized: false });
  });
});

describe('the service name', () => {
  it('accepts a one-character POWERTOOLS_SERVICE_NAME and puts it on the metrics', async () => {
    reply = jwtReply({ sub: 'alice', scope: 'read' });
    expect(await authorizer({ POWERTOOLS_SERVICE_NAME: 'x' })(httpApiEvent('Bearer one-char-service'))).toMatchObject({
      isAuthorized: true,
    });
    expect(JSON.parse((await emfLines()).at(-1) as string)).toMatchObject({ outcome: 'allow', service: 'x' });
  });
});

describe('the keep-alive agent', () => {
  let peer: http.Server;
  let url: URL;
  let connections: number;
  /** Requests the server holds unanswered, to see how many are open at once. */
  let held: http.ServerResponse[];
  let hold: boolean;
  /** The most requests the server held at once. */
  let peak: number;

  beforeAll(async () => {
    peer = http.createServer(async (request, response) => {
      await readBody(request);
      if (!hold) return void response.end('ok');
      held.push(response);
      peak = Math.max(peak, held.length);
      // Every request the agent lets through at once has arrived: answer them all after a
      // moment in which a request beyond the agent's limit would have arrived as well.
      if (held.length === 64) {
        setTimeout(() => {
          hold = false;
          for (const waiting of held.splice(0)) waiting.end('ok');
        }, 200);
      }
    });
    peer.on('connection', () => {
      connections += 1;
    });
    await listen(peer, 0);
    url = new URL(`http://127.0.0.1:${(peer.address() as AddressInfo).port}/`);
  });
  afterAll(async () => {
    await closeServer(peer);
  });
  beforeEach(() => {
    connections = 0;
    held = [];
    hold = false;
    peak = 0;
  });

  const get = () => httpRequest(url, { method: 'GET', headers: {}, timeoutMs: 5_000, maxBytes: 1_024 });

  it('sends two sequential requests to one server over one connection', async () => {
    expect((await get()).body).toBe('ok');
    expect((await get()).body).toBe('ok');
    expect(connections).toBe(1);
  });

  it('has at most 64 requests open to one server at once, queuing those beyond', async () => {
    hold = true;
    const answers = await Promise.all(Array.from({ length: 65 }, get));
    expect(answers.map(({ body }) => body)).toEqual(Array(65).fill('ok'));
    expect(peak).toBe(64);
  });
});
