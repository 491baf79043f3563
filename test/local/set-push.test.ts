import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { IssuerKeys } from '../../lambda/revocation/issuer-keys.js';
import { SecurityEventVerifier } from '../../lambda/revocation/security-event.js';
import { TOKEN_REVOKED_EVENT } from '../../lambda/shared-cache/table-format.js';
import { closeServer, listen, readBody } from '../../local/http-server.js';
import { DEFAULT_DEMO_CLIENT, type OAuthServer, type RevocationPushOptions, startOAuthServer } from '../../local/oauth-server.js';
import { DEFAULT_SET_AUDIENCE } from '../../local/set-transmitter.js';

/** The local OAuth server's push revocation: a revoked token announced by a signed SET (RFC 8417) pushed by RFC 8935. */
const AUDIENCE = 'https://api.example.com/revocation-test';

/** What the receiver stand-in does with each delivery, in order: answer with a status (and body, headers), or never answer. */
type Behaviour = number | { readonly status: number; readonly body?: string; readonly headers?: Record<string, string> } | 'hang';

interface Delivery {
  readonly atMs: number;
  readonly method: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

interface Receiver {
  readonly url: string;
  readonly deliveries: Delivery[];
  close(): Promise<void>;
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A SET receiver on 127.0.0.1 that records each delivery and answers as `script` says (then 202). */
async function startReceiver(...script: Behaviour[]): Promise<Receiver> {
  const deliveries: Delivery[] = [];
  const server = http.createServer(async (request, response) => {
    const body = await readBody(request);
    deliveries.push({ atMs: Date.now(), method: request.method ?? '', headers: request.headers, body });
    const behaviour = script.shift() ?? 202;
    if (behaviour === 'hang') return;
    const { status, body: answer = '', headers = {} } = typeof behaviour === 'number' ? { status: behaviour } : behaviour;
    response.writeHead(status, headers).end(answer);
  });
  await listen(server, 0);
  const receiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/revocation`,
    deliveries,
    close: () => closeServer(server),
  };
  cleanup.push(receiver.close);
  return receiver;
}

async function startServer(revocationPush?: RevocationPushOptions): Promise<OAuthServer> {
  const oauth = await startOAuthServer({ revocationPush });
  cleanup.push(async () => {
    await oauth.securityEventsSettled();
    await oauth.close();
  });
  return oauth;
}

const { id, secret } = DEFAULT_DEMO_CLIENT;
const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

/** Revokes `token` at the RFC 7009 endpoint; how long the answer took. */
async function timedRevoke(oauth: OAuthServer, token: string): Promise<number> {
  const started = Date.now();
  await oauth.revoke(token, id, secret);
  return Date.now() - started;
}

describe('the SET pushed on revocation', () => {
  it('is a SET signed with a key of the served JWKS, with the RFC 8935 headers, naming the token by its SHA-256', async () => {
    const receiver = await startReceiver();
    const oauth = await startServer({ endpoint: receiver.url, audience: AUDIENCE });
    const token = await oauth.token(id, secret, 'read');
    const before = Math.floor(Date.now() / 1000);
    await oauth.revoke(token, id, secret);
    await oauth.securityEventsSettled();

    expect(receiver.deliveries).toHaveLength(1);
    const [delivery] = receiver.deliveries as [Delivery];
    expect(delivery.method).toBe('POST');
    expect(delivery.headers['content-type']).toBe('application/secevent+jwt');
    expect(delivery.headers.accept).toBe('application/json');
    expect(decodeProtectedHeader(delivery.body)).toMatchObject({ alg: 'ES256', typ: 'secevent+jwt', kid: expect.any(String) });

    const jwks = createRemoteJWKSet(new URL(oauth.securityEventJwksUri));
    const { payload } = await jwtVerify(delivery.body, jwks, { issuer: oauth.issuer, audience: AUDIENCE, typ: 'secevent+jwt' });
    expect(payload).toEqual({
      iss: oauth.issuer,
      aud: AUDIENCE,
      iat: expect.any(Number),
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      events: { [TOKEN_REVOKED_EVENT]: {} },
      sub_id: { format: 'opaque', id: sha256(token) },
    });
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.iat).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));

    expect(oauth.securityEventPushes).toEqual([
      expect.objectContaining({
        jti: payload.jti,
        tokenHash: sha256(token),
        endpoint: receiver.url,
        outcome: 'delivered',
        attempts: [expect.objectContaining({ status: 202 })],
      }),
    ]);
  });

  it('is accepted by the project revocation receiver verifier (lambda/revocation/security-event.ts)', async () => {
    const receiver = await startReceiver();
    const oauth = await startServer({ endpoint: receiver.url, audience: AUDIENCE });
    const token = await oauth.token(id, secret, 'read write');
    await oauth.revoke(token, id, secret);
    await oauth.securityEventsSettled();
    const verifier = new SecurityEventVerifier(oauth.issuer, AUDIENCE, new IssuerKeys(new URL(oauth.securityEventJwksUri), 2_000));
    const revocation = await verifier.verify(receiver.deliveries[0]?.body as string, Date.now());
    expect(revocation.tokenHash).toBe(sha256(token));
  });

  it('publishes only the public key at the SET JWKS, apart from the provider keys', async () => {
    const oauth = await startServer();
    const setJwks = (await (await fetch(oauth.securityEventJwksUri)).json()) as { keys: Record<string, unknown>[] };
    const providerJwks = (await (await fetch(oauth.jwksUri)).json()) as { keys: { kid: string }[] };
    expect(setJwks.keys).toEqual([expect.objectContaining({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: expect.any(String) })]);
    expect(setJwks.keys[0]).not.toHaveProperty('d');
    expect(providerJwks.keys.map((key) => key.kid)).not.toContain(setJwks.keys[0]?.kid);
  });

  it('is pushed for each token revoked, each with its own jti, and never for a token the server does not know', async () => {
    const receiver = await startReceiver();
    const oauth = await startServer({ endpoint: receiver.url, audience: AUDIENCE });
    const first = await oauth.token(id, secret, 'read');
    const second = await oauth.token(id, secret, 'write');
    await oauth.revoke(first, id, secret);
    await oauth.revoke(second, id, secret);
    await oauth.revoke('not-a-token-this-server-issued', id, secret);
    await oauth.securityEventsSettled();
    expect(oauth.securityEventPushes.map((push) => push.tokenHash)).toEqual([sha256(first), sha256(second)]);
    expect(new Set(oauth.securityEventPushes.map((push) => push.jti)).size).toBe(2);
    expect(receiver.deliveries).toHaveLength(2);
  });

  it('goes nowhere until a receiver is set, then to it with the default audience; and stops when it is unset', async () => {
    const receiver = await startReceiver();
    const oauth = await startServer();
    await oauth.revoke(await oauth.token(id, secret, 'read'), id, secret);
    expect(oauth.securityEventPushes).toEqual([]);

    oauth.setSecurityEventReceiver(receiver.url);
    await oauth.revoke(await oauth.token(id, secret, 'read'), id, secret);
    await oauth.securityEventsSettled();
    expect(receiver.deliveries).toHaveLength(1);
    const jwks = createRemoteJWKSet(new URL(oauth.securityEventJwksUri));
    await expect(jwtVerify(receiver.deliveries[0]?.body as string, jwks, { audience: DEFAULT_SET_AUDIENCE })).resolves.toBeDefined();

    oauth.setSecurityEventReceiver(undefined);
    await oauth.revoke(await oauth.token(id, secret, 'read'), id, secret);
    expect(oauth.securityEventPushes).toHaveLength(1);
  });
});

describe('delivery', () => {
  it('retries a receiver that answers 500 twice, with backoff, the same SET each time, until its 202', async () => {
    const receiver = await startReceiver(500, 500, 202);
    const oauth = await startServer({ endpoint: receiver.url, audience: AUDIENCE, backoffMs: 50 });
    await oauth.revoke(await oauth.token(id, secret, 'read'), id, secret);
    await oauth.securityEventsSettled();
    const [push] = oauth.securityEventPushes;
    expect(push?.outcome).toBe('delivered');
    expect(push?.attempts.map((attempt) => attempt.status)).toEqual([500, 500, 202]);
    expect(new Set(receiver.deliveries.map((delivery) => delivery.body)).size).toBe(1);
    const [a, b, c] = receiver.deliveries.map((delivery) => delivery.atMs) as [number, number, number];
    expect(b - a).toBeGreaterThanOrEqual(45);
    expect(c - b).toBeGreaterThanOrEqual(95);
  });

  it('gives up after maxAttempts on a receiver that keeps failing, and on one that refuses connections', async () => {
    const failing = await startReceiver(503, 503, 503, 503);
    const oauth = await startServer({ endpoint: failing.url, audience: AUDIENCE, backoffMs: 10, maxAttempts: 3 });
    await oauth.revoke(await oauth.token(id, secret, 'read'), id, secret);
    await oauth.securityEventsSettled();
    expect(oauth.securityEventPushes[0]).toMatchObject({
      outcome: 'failed',
      attempts: [{ status: 503 }, { status: 503 }, { status: 503 }],
    });

    const closed = await startReceiver();
    await closed.close();
    oauth.setSecurityEventReceiver(closed.url);
    await oauth.revoke(await oauth.token(id, secret, 'read'), id, secret);
    await oauth.securityEventsSettled();
    expect(oauth.securityEventPushes[1]).toMatchObject({
      outcome: 'failed',
      attempts: [{ error: 'ECONNREFUSED' }, { error: 'ECONNREFUSED' }, { error: 'ECONNREFUSED' }],
    });
  });

  it('does not retry a refusal, and records its RFC 8935 err and description', async () => {
    const receiver = await startReceiver({
      status: 400,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ err: 'invalid_key', description: 'no key matches the kid' }),
    });
    const oauth = await startServer({ endpoint: receiver.url, audience: AUDIENCE, backoffMs: 10 });
    await oauth.revoke(await oauth.token(id, secret, 'read'), id, secret);
    await oauth.securityEventsSettled();
    expect(receiver.deliveries).toHaveLength(1);
    expect(oauth.securityEventPushes[0]).toMatchObject({ outcome: 'refused', err: 'invalid_key', description: 'no key matches the kid' });
  });

  it("waits as long as a 503's Retry-After asks, and gives up when it asks for more than maxRetryDelayMs", async () => {
    const receiver = await startReceiver({ status: 503, headers: { 'retry-after': '1' } }, 202);
    const oauth = await startServer({ endpoint: receiver.url, audience: AUDIENCE, backoffMs: 10 });
    await oauth.revoke(await oauth.token(id, secret, 'read'), id, secret);
    await oauth.securityEventsSettled();
    const [first, second] = receiver.deliveries as [Delivery, Delivery];
    expect(second.atMs - first.atMs).toBeGreaterThanOrEqual(950);
    expect(oauth.securityEventPushes[0]?.outcome).toBe('delivered');

    const impatient = await startReceiver({ status: 503, headers: { 'retry-after': '3600' } });
    oauth.setSecurityEventReceiver(impatient.url);
    await oauth.revoke(await oauth.token(id, secret, 'read'), id, secret);
    await oauth.securityEventsSettled();
    expect(impatient.deliveries).toHaveLength(1);
    expect(oauth.securityEventPushes[1]).toMatchObject({ outcome: 'failed', description: expect.stringMatching(/retry after 3600000 ms/) });
  });

  it('does not hold the revocation answer for a hanging receiver beyond holdResponseMs, and ends the delivery within its bound', async () => {
    const receiver = await startReceiver('hang', 'hang');
    const oauth = await startServer({
      endpoint: receiver.url,
      audience: AUDIENCE,
      holdResponseMs: 300,
      attemptTimeoutMs: 400,
      maxAttempts: 2,
      backoffMs: 50,
    });
    const token = await oauth.token(id, secret, 'read');
    const revocationMs = await timedRevoke(oauth, token);
    expect(revocationMs).toBeGreaterThanOrEqual(290);
    expect(revocationMs).toBeLessThan(1_000);
    await oauth.securityEventsSettled();
    const [push] = oauth.securityEventPushes;
    expect(push).toMatchObject({ outcome: 'failed', attempts: [{ error: 'TimeoutError' }, { error: 'TimeoutError' }] });
    // Two attempts of 400 ms and one backoff of 50 ms, with slack for a loaded machine.
    expect((push?.settledAtMs as number) - (push?.revokedAtMs as number)).toBeLessThan(2 * 400 + 50 + 500);
  });

  it('answers the revocation at once by default (no hold), delivery running on', async () => {
    const receiver = await startReceiver('hang');
    const oauth = await startServer({ endpoint: receiver.url, audience: AUDIENCE, attemptTimeoutMs: 300, maxAttempts: 1 });
    const revocationMs = await timedRevoke(oauth, await oauth.token(id, secret, 'read'));
    expect(revocationMs).toBeLessThan(250);
    expect(oauth.securityEventPushes[0]?.outcome).toBe('pending');
    await oauth.securityEventsSettled();
    expect(oauth.securityEventPushes[0]?.outcome).toBe('failed');
  });

  it('ends a delivery in progress when the OAuth server closes', async () => {
    const receiver = await startReceiver('hang');
    const oauth = await startOAuthServer({ revocationPush: { endpoint: receiver.url, audience: AUDIENCE, attemptTimeoutMs: 20_000 } });
    await oauth.revoke(await oauth.token(id, secret, 'read'), id, secret);
    const started = Date.now();
    await oauth.close();
    await oauth.securityEventsSettled();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(oauth.securityEventPushes[0]).toMatchObject({ outcome: 'failed', description: 'the OAuth server closed during the delivery' });
  });

  it('holds the revocation answer until a prompt receiver has taken the SET', async () => {
    const receiver = await startReceiver();
    const oauth = await startServer({ endpoint: receiver.url, audience: AUDIENCE, holdResponseMs: 2_000 });
    await oauth.revoke(await oauth.token(id, secret, 'read'), id, secret);
    // No securityEventsSettled(): the answer came after the delivery.
    expect(oauth.securityEventPushes[0]?.outcome).toBe('delivered');
    expect(receiver.deliveries).toHaveLength(1);
  });
});
