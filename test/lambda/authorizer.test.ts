import { createHash } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyResponse, SimpleResponse } from '../../lambda/authorizer-response.js';
import { HTTP_METHODS } from '../../lambda/routes/route-patterns.js';
import { policyDecision, readPolicy, WILDCARD_READINGS } from '../../local/iam-policy.js';
import { httpApiEvent, httpApiV1Event, restEvent } from '../support/fixtures.js';
import { decisionLines, decisionLinesNow, rememberSecret, warningLines } from '../support/log-capture.js';
import { type Peers, startPeers } from '../support/peers.js';

let peers: Peers;
beforeAll(async () => {
  peers = await startPeers();
});
afterAll(async () => {
  await peers.close();
});

/** Waits until `condition` holds, for at most 5 s. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function lastLine(): Promise<Record<string, unknown>> {
  return (await decisionLines()).at(-1) as Record<string, unknown>;
}

describe('application/jwt mode (Curity-compatible endpoint)', () => {
  it('allows a read token on GET /echo and hands API Gateway the JWT, verifiable with the OAuth server JWKS', async () => {
    const token = await peers.token('read write');
    const response = (await peers.authorizer()(httpApiEvent(`Bearer ${token}`))) as SimpleResponse;
    expect(response.isAuthorized).toBe(true);
    const jwt = rememberSecret(response.context?.jwt as string);
    expect(jwt).not.toMatch(/^Bearer /);
    const { payload } = await jwtVerify(jwt, createRemoteJWKSet(new URL(peers.oauth.jwksUri)), { issuer: peers.oauth.issuer });
    expect(payload.client_id).toBe('demo-client');
    expect(response.context).toMatchObject({ client_id: 'demo-client', scope: 'read write' });
    expect(Object.values(response.context ?? {}).every((value) => typeof value === 'string')).toBe(true);
    expect(response.context).not.toHaveProperty('authorization');
  });

  it('answers REST, without a route table, by allowing the seven methods and denying each route the token lacks, with the whole Authorization header value in one context key', async () => {
    const token = await peers.token('read');
    const response = (await peers.authorizer()(restEvent(`Bearer ${token}`, 'GET', '/echo'))) as PolicyResponse;
    expect(response.principalId).toBe('demo-client');
    const stage = 'arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/';
    expect(response.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: HTTP_METHODS.map((method) => `${stage}${method}/*`) },
      { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${stage}POST/echo`, `${stage}POST/echo/`] },
    ]);
    const jwt = rememberSecret(response.context?.jwt as string);
    expect(response.context?.authorization).toBe(`Bearer ${jwt}`);
  });

  it('denies, without a route table, every request of a REST route the token lacks under both readings of IAM wildcards, and nothing else', async () => {
    const token = await peers.token('read');
    const authorizer = peers.authorizer({ ROUTE_SCOPES: JSON.stringify({ 'GET /orders/{id}/items': ['admin'] }) });
    const response = (await authorizer(restEvent(`Bearer ${token}`, 'GET', '/orders/{id}', '/orders/42'))) as PolicyResponse;
    rememberSecret(response.context?.jwt as string);
    const statements = readPolicy(response) ?? [];
    const stage = 'arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/';
    for (const reading of WILDCARD_READINGS) {
      const decide = (request: string) => policyDecision(statements, `${stage}${request}`, reading);
      expect(decide('GET/orders/42/items')).toBe('explicit-deny');
      expect(decide('GET/orders/a:b/items')).toBe('explicit-deny');
      expect(decide('GET/orders/a:b:c/items/')).toBe('explicit-deny');
      expect(decide('GET/orders/42')).toBe('allow');
      expect(decide('GET/orders/a:b')).toBe('allow');
      expect(decide('PURGE/orders/42')).toBe('implicit-deny');
    }
  });

  it('allows every known method of the REST stage when no route has scopes, and no other method', async () => {
    const token = await peers.token('read');
    const response = (await peers.authorizer({ ROUTE_SCOPES: '' })(restEvent(`Bearer ${token}`))) as PolicyResponse;
    rememberSecret(response.context?.jwt as string);
    expect(response.policyDocument.Statement).toEqual([
      {
        Action: 'execute-api:Invoke',
        Effect: 'Allow',
        Resource: HTTP_METHODS.map((method) => `arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/${method}/*`),
      },
    ]);
  });

  it('answers an HTTP API payload 1.0 event with a policy', async () => {
    const token = await peers.token('read');
    const response = (await peers.authorizer({ ROUTE_SCOPES: '' })(httpApiV1Event(`Bearer ${token}`))) as PolicyResponse;
    expect(response.policyDocument.Statement[0]?.Effect).toBe('Allow');
    rememberSecret(response.context?.jwt as string);
  });

  it('denies a token that lacks the route scope: HTTP API false, REST a policy that denies the request explicitly', async () => {
    const token = await peers.token('read', 'reader');
    const authorizer = peers.authorizer();
    expect(await authorizer(httpApiEvent(`Bearer ${token}`, 'POST /echo'))).toEqual({ isAuthorized: false });
    expect(await lastLine()).toMatchObject({ outcome: 'deny', reason: 'insufficient_scope', routeKey: 'POST /echo' });
    const event = restEvent(`Bearer ${token}`, 'POST', '/echo') as { methodArn: string };
    const policy = (await authorizer(event)) as PolicyResponse;
    rememberSecret(policy.context?.jwt as string);
    expect(policyDecision(readPolicy(policy) ?? [], event.methodArn)).toBe('explicit-deny');
  });

  it('checks scopes per request against cached claims, so one introspection serves many routes correctly', async () => {
    const token = await peers.token('read', 'reader');
    const authorizer = peers.authorizer();
    expect(await authorizer(httpApiEvent(`Bearer ${token}`, 'GET /echo'))).toMatchObject({ isAuthorized: true });
    expect(await lastLine()).toMatchObject({ cache: 'miss' });
    expect(await authorizer(httpApiEvent(`Bearer ${token}`, 'POST /echo'))).toEqual({ isAuthorized: false });
    expect(await lastLine()).toMatchObject({ cache: 'hit', reason: 'insufficient_scope' });
    expect(await authorizer(httpApiEvent(`Bearer ${token}`, 'ANY /other'))).toMatchObject({ isAuthorized: true });
  });

  it('denies an unknown token: HTTP API false, REST Unauthorized (401)', async () => {
    const authorizer = peers.authorizer();
    expect(await authorizer(httpApiEvent('Bearer not-a-real-token'))).toEqual({ isAuthorized: false });
    expect(await lastLine()).toMatchObject({ outcome: 'deny', reason: 'inactive', cache: 'miss' });
    await expect(authorizer(restEvent('Bearer not-a-real-token'))).rejects.toThrow(/^Unauthorized$/);
    expect(await lastLine()).toMatchObject({ outcome: 'deny', reason: 'inactive', cache: 'negative' });
  });

  it('denies a revoked token', async () => {
    const token = await peers.token('read');
    const authorizer = peers.authorizer({ CACHE_MAX_TTL_SECONDS: '0' });
    expect(await authorizer(httpApiEvent(`Bearer ${token}`))).toMatchObject({ isAuthorized: true });
    await peers.oauth.revoke(token, 'demo-client', 'demo-secret');
    expect(await authorizer(httpApiEvent(`Bearer ${token}`))).toEqual({ isAuthorized: false });
  });

  it('serves a repeated token from its cache, logging a hit without calling the OAuth server', async () => {
    const token = await peers.token('read');
    const authorizer = peers.authorizer();
    await authorizer(httpApiEvent(`Bearer ${token}`));
    const first = await lastLine();
    await authorizer(httpApiEvent(`Bearer ${token}`));
    expect(await lastLine()).toMatchObject({ outcome: 'allow', cache: 'hit', tokenId: first.tokenId });
    expect(await lastLine()).not.toHaveProperty('introspectionMs');
  });

  it('does not cache when CACHE_MAX_TTL_SECONDS is 0', async () => {
    const token = await peers.token('read');
    const authorizer = peers.authorizer({ CACHE_MAX_TTL_SECONDS: '0' });
    await authorizer(httpApiEvent(`Bearer ${token}`));
    await authorizer(httpApiEvent(`Bearer ${token}`));
    expect(await lastLine()).toMatchObject({ cache: 'miss' });
  });

  it('matches the Authorization header whatever its case', async () => {
    const token = await peers.token('read');
    const event = restEvent(undefined) as { headers: Record<string, string>; multiValueHeaders: Record<string, string[]> };
    event.headers.AUTHORIZATION = `Bearer ${token}`;
    event.multiValueHeaders.AUTHORIZATION = [`Bearer ${token}`];
    const response = (await peers.authorizer()(event)) as PolicyResponse;
    expect(response.policyDocument.Statement[0]?.Effect).toBe('Allow');
    rememberSecret(response.context?.jwt as string);
  });

  it('writes one JSON decision line with outcome, reason, route, cache, timings and a token id', async () => {
    const token = await peers.token('read');
    await peers.authorizer()(httpApiEvent(`Bearer ${token}`));
    const line = await lastLine();
    expect(Object.keys(line).sort()).toEqual(['cache', 'introspectionMs', 'outcome', 'reason', 'routeKey', 'tokenId', 'totalMs']);
    expect(line).toMatchObject({ outcome: 'allow', reason: 'ok', routeKey: 'GET /echo', cache: 'miss' });
    expect(line.tokenId).toBe(createHash('sha256').update(token).digest('hex').slice(0, 12));
  });

  it('writes the line after the decision is handed back and before the event loop moves on, as the Lambda runtime sequences them', async () => {
    const token = await peers.token('read');
    const authorizer = peers.authorizer();
    const before = (await decisionLines()).length;
    const countLines = () => decisionLinesNow().length;
    // The runtime posts the answer in a reaction to the handler's promise: the line must not delay
    // it, and must be written before the event loop moves on (older runtime clients ask for the
    // next event from setImmediate; the current one from a worker thread in the same turn).
    const seen = await new Promise<{ atResponse: number; atNextEvent: number }>((resolve) => {
      void authorizer(httpApiEvent(`Bearer ${token}`)).then(() => {
        const atResponse = countLines();
        setImmediate(() => resolve({ atResponse, atNextEvent: countLines() }));
      });
    });
    expect(seen).toEqual({ atResponse: before, atNextEvent: before + 1 });
  });
});

describe('application/token-introspection+jwt mode (RFC 9701)', () => {
  const rfc9701 = () => ({
    INTROSPECTION_ENDPOINT: peers.oauth.introspectionEndpoint,
    INTROSPECTION_RESPONSE_TYPE: 'application/token-introspection+jwt',
    JWKS_URI: peers.oauth.jwksUri,
    ISSUER: peers.oauth.issuer,
  });

  it('verifies the signed introspection response and forwards it as the JWT', async () => {
    const token = await peers.token('read write');
    const response = (await peers.authorizer(rfc9701())(httpApiEvent(`Bearer ${token}`, 'POST /echo'))) as SimpleResponse;
    expect(response.isAuthorized).toBe(true);
    const jwt = rememberSecret(response.context?.jwt as string);
    expect(decodeProtectedHeader(jwt).typ).toBe('token-introspection+jwt');
    const { payload } = await jwtVerify(jwt, createRemoteJWKSet(new URL(peers.oauth.jwksUri)), { audience: 'phantom-authorizer' });
    expect(payload.token_introspection).toMatchObject({ active: true, client_id: 'demo-client', scope: 'read write' });
    expect(response.context).toMatchObject({ client_id: 'demo-client', scope: 'read write' });
  });

  it('denies a token the signed response reports inactive', async () => {
    expect(await peers.authorizer(rfc9701())(httpApiEvent('Bearer junk-token'))).toEqual({ isAuthorized: false });
  });

  it('fails (500) when the response JWT names another issuer than ISSUER', async () => {
    const token = await peers.token('read');
    const authorizer = peers.authorizer({ ...rfc9701(), ISSUER: 'https://someone-else.example' });
    await expect(authorizer(httpApiEvent(`Bearer ${token}`))).rejects.toMatchObject({ code: 'ERR_INTROSPECTION_RESPONSE_INVALID' });
  });

  it('fails (500) when the JWKS cannot be fetched', async () => {
    const token = await peers.token('read');
    const authorizer = peers.authorizer({ ...rfc9701(), JWKS_URI: 'http://127.0.0.1:9/jwks' });
    await expect(authorizer(restEvent(`Bearer ${token}`))).rejects.toThrow(/failed verification/);
  });
});

describe('client credentials from Secrets Manager', () => {
  it('re-reads a rotated secret after invalid_client, retries once, and allows', async () => {
    const token = await peers.token('read');
    peers.secrets.put(
      'phantom-token/rotating',
      JSON.stringify({ client_id: 'phantom-authorizer', client_secret: rememberSecret('an-old-secret-value') }),
    );
    const authorizer = peers.authorizer({ CLIENT_CREDENTIALS_SECRET: 'phantom-token/rotating' });
    await expect(authorizer(httpApiEvent(`Bearer ${token}`))).rejects.toMatchObject({ code: 'ERR_CLIENT_CREDENTIALS_REJECTED' });
    const readsBefore = peers.secrets.reads;
    peers.secrets.put(
      'phantom-token/rotating',
      JSON.stringify({ client_id: 'phantom-authorizer', client_secret: 'authorizer secret: +/=&%' }),
    );
    expect(await authorizer(httpApiEvent(`Bearer ${token}`))).toMatchObject({ isAuthorized: true });
    // The old credentials were tried once, rejected, and the secret read again exactly once.
    expect(peers.secrets.reads - readsBefore).toBe(1);
  });

  it('fails (500), never denies, when Secrets Manager is unavailable', async () => {
    const token = await peers.token('read');
    peers.secrets.failing = true;
    try {
      await expect(peers.authorizer()(httpApiEvent(`Bearer ${token}`))).rejects.toMatchObject({
        code: 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE',
      });
    } finally {
      peers.secrets.failing = false;
    }
  });

  it('keeps its credentials when a scheduled re-read fails, warns once, and reads again after a wait', async () => {
    const token = await peers.token('read');
    const event = httpApiEvent(`Bearer ${token}`);
    const authorizer = peers.authorizer({ SECRET_REFRESH_SECONDS: '1', CACHE_MAX_TTL_SECONDS: '0' });
    expect(await authorizer(event)).toMatchObject({ isAuthorized: true });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const warningsBefore = (await warningLines()).length;
    peers.secrets.failing = true;
    try {
      // The credentials are due for a re-read, which starts in the background and fails: the ones
      // in hand serve this request, and the next ones without starting another read.
      expect(await authorizer(event)).toMatchObject({ isAuthorized: true });
      expect(await authorizer(event)).toMatchObject({ isAuthorized: true });
      await until(async () => (await warningLines()).length > warningsBefore);
      expect(await authorizer(event)).toMatchObject({ isAuthorized: true });
    } finally {
      peers.secrets.failing = false;
    }
    expect((await warningLines()).slice(warningsBefore)).toEqual([
      {
        warning: 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE',
        message: expect.stringMatching(
          /^could not read the secret CLIENT_CREDENTIALS_SECRET names: InternalServiceError; keeping the credentials read \d+ s ago, next attempt in 1 s$/,
        ),
      },
    ]);
    const readsBefore = peers.secrets.reads;
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await authorizer(event)).toMatchObject({ isAuthorized: true });
    await until(async () => peers.secrets.reads > readsBefore);
    expect(await authorizer(event)).toMatchObject({ isAuthorized: true });
    expect(peers.secrets.reads - readsBefore).toBe(1);
  });

  it('fails (500) when the secret is not the expected JSON, without printing it', async () => {
    peers.secrets.put('phantom-token/bad-shape', rememberSecret('{"id":"x","password":"hunter2-hunter2"}'));
    const authorizer = peers.authorizer({ CLIENT_CREDENTIALS_SECRET: 'phantom-token/bad-shape' });
    await expect(authorizer(httpApiEvent('Bearer some-token-value'))).rejects.toThrow(/client_id and client_secret/);
  });
});

describe('configuration', () => {
  it('throws on every invocation when the configuration is invalid, after one clear log line', async () => {
    const before = (await decisionLines()).length;
    const authorizer = peers.authorizer({ INTROSPECTION_ENDPOINT: 'http://idp.example.com/introspect' });
    expect((await decisionLines()).slice(before)).toEqual([
      expect.objectContaining({
        outcome: 'error',
        reason: 'ERR_CONFIGURATION_INVALID',
        message: expect.stringMatching(/INTROSPECTION_ENDPOINT must use https/),
      }),
    ]);
    const token = await peers.token('read');
    for (let i = 0; i < 2; i++)
      await expect(authorizer(httpApiEvent(`Bearer ${token}`))).rejects.toMatchObject({ code: 'ERR_CONFIGURATION_INVALID' });
  });

  it('fails closed when unconfigured', async () => {
    const { createAuthorizer } = await import('../../lambda/authorizer.js');
    await expect(createAuthorizer({})(httpApiEvent('Bearer abc'))).rejects.toThrow(/INTROSPECTION_ENDPOINT is required/);
  });

  it('rejects an event that is not a REQUEST authorizer event', async () => {
    await expect(peers.authorizer()({ type: 'TOKEN', authorizationToken: 'Bearer x' })).rejects.toMatchObject({
      code: 'ERR_EVENT_INVALID',
    });
  });
});
