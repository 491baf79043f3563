import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { CompactSign, createRemoteJWKSet } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { RevocationUnavailableError, SecurityEventRefusedError, StageFlushFailedError } from '../../../lambda/revocation/errors.js';
import { IssuerKeys, JWKS_REFETCH_COOLDOWN_MS } from '../../../lambda/revocation/issuer-keys.js';
import { createRevocationReceiver } from '../../../lambda/revocation/receiver.js';
import { SET_ALGORITHMS, SecurityEventVerifier } from '../../../lambda/revocation/security-event.js';
import { StageFlusher } from '../../../lambda/revocation/stage-flush.js';
import { TOKEN_REVOKED_EVENT } from '../../../lambda/shared-cache/table-format.js';
import { closeServer, listen, readBody } from '../../../local/http-server.js';
import { startSilentListener } from '../../support/fault-server.js';
import { rememberSecret } from '../../support/log-capture.js';
import {
  AUDIENCE,
  accessToken,
  answer,
  CREDENTIALS,
  type DynamoDbStandIn,
  deliveryEvent,
  handMadeJws,
  ISSUER,
  type IssuerKey,
  issuerKey,
  type JwksServer,
  logSink,
  type ReceiverPeers,
  receiverEnv,
  revocationClaims,
  signSet,
  startJwksServer,
  startReceiverPeers,
} from './harness.js';

/**
 * Behaviour the other revocation tests leave open: the exact bounds of a SET's `jti` and `iat`,
 * each jose error as RFC 8935's answer (400 refused vs 503 deliver again) with its cause, a JWKS
 * that is not believed, and how a stage flush retries, backs off and names what went wrong.
 */

/** The receiver's clock for this file: a whole second, so `iat` bounds are exact. */
const NOW_MS = Math.floor(Date.now() / 1000) * 1000;
const NOW = NOW_MS / 1000;

let key: IssuerKey;
let peers: ReceiverPeers;
let jwks: JwksServer;
let dynamo: DynamoDbStandIn;
const servers: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  key = await issuerKey('es-1', 'ES256');
  peers = await startReceiverPeers([key]);
  ({ jwks, dynamo } = peers);
});
afterAll(async () => {
  for (const server of servers) await server.close();
  await peers.close();
});
beforeEach(() => peers.reset());
afterEach(() => {
  vi.restoreAllMocks();
});

/** A receiver of its own (its own JWKS cache), its clock at {@link NOW_MS}. */
function receiver(jwksUri = jwks.uri) {
  const log = logSink();
  const handle = createRevocationReceiver(receiverEnv(jwksUri, dynamo.url), { write: log.write, now: () => NOW_MS });
  return { deliver: async (set: string) => answer(await handle(deliveryEvent(set))), log };
}

/** Claims of a good SET issued at {@link NOW}, with `changes` (undefined: removed). */
function claims(changes: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = revocationClaims(accessToken().hash, NOW);
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete base[name];
    else base[name] = value;
  }
  return base;
}

/** An HTTP server on 127.0.0.1 answering every request with `status` and `body`; counts requests. */
async function startAnswering(status: number, body: string) {
  let requests = 0;
  const server = http.createServer(async (request, response) => {
    await readBody(request);
    requests++;
    response.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await listen(server, 0);
  const handle = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () => closeServer(server),
  };
  servers.push(handle);
  return handle;
}

/** A JWKS server of its own holding `jwk`s (any members, a kid or none). */
async function startJwksOf(keys: IssuerKey[]) {
  const server = await startJwksServer(keys);
  servers.push(server);
  return server;
}

/** An `IssuerKeys` stand-in around a key lookup of the test's making (jose's own, or one that fails). */
function keysFrom(getKey: Promise<unknown>, uri: URL): IssuerKeys {
  return { uri, fetches: 0, getKey } as unknown as IssuerKeys;
}

async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: Error & Record<string, unknown>) => error,
  );
}

describe('the bounds of a SET’s iat and jti, exactly at the boundary', () => {
  it('accepts a SET issued exactly 300 s ago, and refuses one issued 301 s ago with invalid_request', async () => {
    const { deliver } = receiver();
    expect((await deliver(await signSet(claims({ iat: NOW - 300 }), key))).status).toBe(202);
    expect(await deliver(await signSet(claims({ iat: NOW - 301 }), key))).toMatchObject({
      status: 400,
      body: { err: 'invalid_request', description: 'the SET was issued more than 300 s ago (iat)' },
    });
  });

  it('accepts a SET whose iat is exactly 300 s ahead, and refuses one 301 s ahead with invalid_request', async () => {
    const { deliver } = receiver();
    expect((await deliver(await signSet(claims({ iat: NOW + 300 }), key))).status).toBe(202);
    expect(await deliver(await signSet(claims({ iat: NOW + 301 }), key))).toMatchObject({
      status: 400,
      body: { err: 'invalid_request', description: "the SET's iat is more than 300 s in the future" },
    });
  });

  it('accepts a jti of 256 characters, and refuses one of 257 with invalid_request', async () => {
    const { deliver } = receiver();
    expect((await deliver(await signSet(claims({ jti: 'j'.repeat(256) }), key))).status).toBe(202);
    expect(await deliver(await signSet(claims({ jti: 'k'.repeat(257) }), key))).toMatchObject({
      status: 400,
      body: { err: 'invalid_request', description: 'the SET’s jti must be a string of 1 to 256 characters' },
    });
  });
});

describe('claims refused with their RFC 8935 code (400)', () => {
  it('refuses a SET without aud with invalid_audience, saying it has no aud', async () => {
    const { deliver } = receiver();
    expect(await deliver(await signSet(claims({ aud: undefined }), key))).toEqual({
      status: 400,
      headers: { 'content-type': 'application/json' },
      body: { err: 'invalid_audience', description: 'the SET has no aud' },
    });
  });

  it('refuses a SET whose events claim is null with invalid_request, not a 500', async () => {
    const { deliver } = receiver();
    expect(await deliver(await signSet(claims({ events: null }), key))).toMatchObject({
      status: 400,
      body: { err: 'invalid_request', description: 'the SET’s events claim must be a JSON object' },
    });
  });

  it('refuses the token-revoked event itself being null with invalid_request, not a 500', async () => {
    const { deliver } = receiver();
    expect(await deliver(await signSet(claims({ events: { [TOKEN_REVOKED_EVENT]: null } }), key))).toMatchObject({
      status: 400,
      body: { err: 'invalid_request', description: `the SET's ${TOKEN_REVOKED_EVENT} event must be a JSON object` },
    });
  });

  it('refuses a token named with a well-formed SHA-256 but a format other than opaque', async () => {
    const { deliver } = receiver();
    const { hash } = accessToken();
    for (const format of ['email', 'Opaque']) {
      expect(await deliver(await signSet(claims({ sub_id: { format, id: hash } }), key))).toMatchObject({
        status: 400,
        body: {
          err: 'invalid_request',
          description: 'the token must be named as {"format":"opaque","id":"<SHA-256 of the token, base64url>"}',
        },
      });
    }
  });
});

describe('JWS problems refused with their RFC 8935 code (400)', () => {
  it.each([
    ['with a space', 'ES 256'],
    ['longer than 20 characters', 'A'.repeat(21)],
  ])('refuses an alg %s with invalid_key, naming the alg "(none given)"', async (_name, alg) => {
    const { deliver } = receiver();
    const set = handMadeJws({ alg, kid: key.kid, typ: 'secevent+jwt' }, claims(), 'c2lnbmF0dXJl');
    expect(await deliver(set)).toMatchObject({
      status: 400,
      body: { err: 'invalid_key', description: `the SET's alg (none given) is not accepted; only ${SET_ALGORITHMS.join(' ')}` },
    });
  });

  it('refuses a SET with a critical header extension it does not know as not a valid JWS (invalid_request)', async () => {
    const { deliver } = receiver();
    const set = handMadeJws(
      { alg: 'ES256', kid: key.kid, typ: 'secevent+jwt', crit: ['urn:example:x'], 'urn:example:x': 1 },
      claims(),
      'c2lnbmF0dXJl',
    );
    expect(await deliver(set)).toMatchObject({
      status: 400,
      body: {
        err: 'invalid_request',
        description: 'the SET is not a valid JWS: Extension Header Parameter "urn:example:x" is not recognized',
      },
    });
  });

  it('refuses a SET whose signed payload is not a JSON object with invalid_request', async () => {
    const { deliver } = receiver();
    const set = rememberSecret(
      await new CompactSign(new TextEncoder().encode('["not","claims"]'))
        .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'secevent+jwt' })
        .sign(key.privateKey),
    );
    expect(await deliver(set)).toMatchObject({
      status: 400,
      body: { err: 'invalid_request', description: 'the SET is not a valid JWS: JWT Claims Set must be a top-level JSON object' },
    });
  });

  it('refuses a SET whose kid names two keys of the JWKS with invalid_key, not authentication_failed', async () => {
    const twin = await issuerKey(key.kid, 'ES256');
    const server = await startJwksOf([key, twin]);
    const { deliver } = receiver(server.uri);
    expect(await deliver(await signSet(claims(), key))).toMatchObject({
      status: 400,
      body: {
        err: 'invalid_key',
        description: `the SET's kid and alg "ES256" do not name one usable key of ${new URL(server.uri).host}'s JWKS`,
      },
    });
  });

  it.each([
    ['a point off the curve', (jwk: Record<string, unknown>) => ({ ...jwk, x: 'AAAA' })],
    ['its y coordinate missing', (jwk: Record<string, unknown>) => ({ ...jwk, y: undefined })],
  ])('refuses a SET whose kid names a published key with %s with invalid_key (400), not a 500 on every delivery', async (_name, spoil) => {
    const broken = { ...key, jwk: spoil({ ...key.jwk }) } as IssuerKey;
    const server = await startJwksOf([broken]);
    const { deliver } = receiver(server.uri);
    expect(await deliver(await signSet(claims(), key))).toMatchObject({
      status: 400,
      body: {
        err: 'invalid_key',
        description: `the SET's kid and alg "ES256" do not name one usable key of ${new URL(server.uri).host}'s JWKS`,
      },
    });
  });

  it('refuses a kid the JWKS in hand holds under another alg with invalid_key, without fetching it again, whatever other keys it holds', async () => {
    const server = await startJwksOf([key, await issuerKey('es-2', 'ES256')]);
    const { deliver } = receiver(server.uri);
    expect((await deliver(await signSet(claims(), key))).status).toBe(202);
    const rsa = await issuerKey(key.kid, 'RS256');
    expect(await deliver(await signSet(claims(), rsa))).toMatchObject({
      status: 400,
      body: { err: 'invalid_key', description: `no key of ${new URL(server.uri).host}'s JWKS matches the SET's kid and alg "RS256"` },
    });
    expect(server.requests).toHaveLength(1);
  });

  it(`answers a SET without kid that no key in hand fits 503 (Retry-After), within ${JWKS_REFETCH_COOLDOWN_MS} ms of a fetch, even when a key in hand has no kid`, async () => {
    const { kid: _kid, ...withoutKid } = (await issuerKey('unnamed', 'ES256')).jwk;
    const server = await startJwksOf([key, { ...key, kid: 'unnamed', jwk: withoutKid }]);
    const { deliver } = receiver(server.uri);
    expect((await deliver(await signSet(claims(), key))).status).toBe(202);
    const rsa = await issuerKey('rs-1', 'RS256');
    const result = await deliver(await signSet(claims(), rsa, { kid: undefined }));
    expect([result.status, result.headers['retry-after']]).toEqual([503, String(JWKS_REFETCH_COOLDOWN_MS / 1000)]);
    expect(server.requests).toHaveLength(1);
  });
});

describe('a JWKS that cannot be believed: 503, deliver again', () => {
  it('answers 503 when the JWKS answers 500, even with a key set in its body, and marks nothing', async () => {
    const server = await startAnswering(500, JSON.stringify({ keys: [key.jwk] }));
    const { deliver, log } = receiver(`${server.url}/jwks`);
    dynamo.requests.length = 0;
    expect((await deliver(await signSet(claims(), key))).status).toBe(503);
    expect(server.requests()).toBe(1);
    expect(dynamo.requests).toHaveLength(0);
    expect(log.lines().at(-1)).toMatchObject({
      revocation: 'error',
      reason: 'ERR_REVOCATION_UNAVAILABLE',
      message: `the JWKS at ${new URL(server.url).host} could not be read: Expected 200 OK from the JSON Web Key Set HTTP response`,
    });
  });

  it('answers 503 when the JWKS is JSON but no key set, with the cause ERR_JWKS_INVALID', async () => {
    const server = await startAnswering(200, '{"keys":"none"}');
    const { deliver, log } = receiver(`${server.url}/jwks`);
    expect((await deliver(await signSet(claims(), key))).status).toBe(503);
    const message = `the JWKS at ${new URL(server.url).host} could not be read: JSON Web Key Set malformed`;
    expect(log.lines().at(-1)).toMatchObject({ revocation: 'error', reason: 'ERR_REVOCATION_UNAVAILABLE', message });

    const verifier = new SecurityEventVerifier(ISSUER, AUDIENCE, new IssuerKeys(new URL(`${server.url}/jwks`), 1_000));
    const error = await rejection(verifier.verify(await signSet(claims(), key), NOW_MS));
    expect(error).toBeInstanceOf(RevocationUnavailableError);
    expect([error.message, error.retryAfterSeconds, (error.cause as { code?: unknown }).code]).toEqual([
      message,
      undefined,
      'ERR_JWKS_INVALID',
    ]);
  });

  it('reports jose’s own JWKS timeout as RevocationUnavailableError (503), with the cause ERR_JWKS_TIMEOUT', async () => {
    const silent = await startSilentListener();
    servers.push(silent);
    const uri = new URL(`${silent.url}/jwks`);
    const verifier = new SecurityEventVerifier(
      ISSUER,
      AUDIENCE,
      keysFrom(Promise.resolve(createRemoteJWKSet(uri, { timeoutDuration: 100 })), uri),
    );
    const error = await rejection(verifier.verify(await signSet(claims(), key), NOW_MS));
    expect(error).toBeInstanceOf(RevocationUnavailableError);
    expect([error.message, (error.cause as { code?: unknown }).code]).toEqual([
      `the JWKS at ${uri.host} could not be read: request timed out`,
      'ERR_JWKS_TIMEOUT',
    ]);
  });

  it('lets an unexpected failure of the key lookup through as itself, not as a JWKS outage', async () => {
    const bug = new TypeError('a bug in the key lookup');
    const getKey = Object.assign(
      async () => {
        throw bug;
      },
      { jwks: () => undefined },
    );
    const verifier = new SecurityEventVerifier(ISSUER, AUDIENCE, keysFrom(Promise.resolve(getKey), new URL(jwks.uri)));
    await expect(verifier.verify(await signSet(claims(), key), NOW_MS)).rejects.toBe(bug);
  });

  it('reports a key set that could not be made as RevocationUnavailableError "jose could not be loaded", with its cause', async () => {
    const cause = new Error('Cannot find module jose-functions.js');
    const getKey = Promise.reject(cause);
    getKey.catch(() => {});
    const verifier = new SecurityEventVerifier(ISSUER, AUDIENCE, keysFrom(getKey, new URL(jwks.uri)));
    const error = await rejection(verifier.verify(await signSet(claims(), key), NOW_MS));
    expect(error).toBeInstanceOf(RevocationUnavailableError);
    expect(error).toMatchObject({
      name: 'RevocationUnavailableError',
      code: 'ERR_REVOCATION_UNAVAILABLE',
      message: 'jose could not be loaded',
    });
    expect(error.cause).toBe(cause);
  });
});

describe('the errors SecurityEventVerifier throws, with jose’s as their cause', () => {
  it('refuses a changed payload as SecurityEventRefusedError authentication_failed (400), its cause ERR_JWS_SIGNATURE_VERIFICATION_FAILED', async () => {
    const verifier = new SecurityEventVerifier(ISSUER, AUDIENCE, new IssuerKeys(new URL(jwks.uri), 1_000));
    const [header, , signature] = (await signSet(claims(), key)).split('.');
    const forged = rememberSecret(`${header}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}.${signature}`);
    const error = await rejection(verifier.verify(forged, NOW_MS));
    expect(error).toBeInstanceOf(SecurityEventRefusedError);
    expect([error.err, error.status, error.code, (error.cause as { code?: unknown }).code]).toEqual([
      'authentication_failed',
      400,
      'ERR_SET_REFUSED',
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    ]);
  });

  it(`answers an unknown kid within ${JWKS_REFETCH_COOLDOWN_MS} ms of a fetch with RevocationUnavailableError, Retry-After 10 s, its cause ERR_JWKS_NO_MATCHING_KEY`, async () => {
    const server = await startJwksOf([key]);
    const verifier = new SecurityEventVerifier(ISSUER, AUDIENCE, new IssuerKeys(new URL(server.uri), 1_000));
    await verifier.verify(await signSet(claims(), key), NOW_MS);
    const error = await rejection(verifier.verify(await signSet(claims(), await issuerKey('es-9', 'ES256')), NOW_MS));
    expect(error).toBeInstanceOf(RevocationUnavailableError);
    expect([error.message, error.retryAfterSeconds, (error.cause as { code?: unknown }).code]).toEqual([
      `no key of ${new URL(server.uri).host}'s JWKS matches the SET's kid, and the JWKS was fetched under ${JWKS_REFETCH_COOLDOWN_MS} ms ago`,
      JWKS_REFETCH_COOLDOWN_MS / 1000,
      'ERR_JWKS_NO_MATCHING_KEY',
    ]);
    expect(server.requests).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------
// Stage flushes
// ---------------------------------------------------------------------------------------------

/** What the control plane answers one request: a status (with `x-amzn-errortype` when given), or a reset connection. */
type Reply = number | { readonly status: number; readonly type: string } | 'reset';

/** API Gateway's control plane on 127.0.0.1: answers `next` in order, then `otherwise`; records each request. */
async function startControlPlane() {
  const state = { next: [] as Reply[], otherwise: 202 as Reply };
  const requests: { method: string; path: string; headers: http.IncomingHttpHeaders }[] = [];
  const server = http.createServer(async (request, response) => {
    await readBody(request);
    requests.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers });
    const reply = state.next.shift() ?? state.otherwise;
    if (reply === 'reset') return void request.socket.destroy();
    const { status, type } = typeof reply === 'number' ? { status: reply, type: undefined } : reply;
    response.writeHead(status, type === undefined ? {} : { 'x-amzn-errortype': type }).end();
  });
  await listen(server, 0);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { state, requests, url, host: new URL(url).host, close: () => closeServer(server) };
}

const STAGE = { restApiId: 'a1b2c3d4e5', stage: 'prod' };
const FAILED = 'could not flush the authorizer cache of REST API a1b2c3d4e5 stage prod';

let plane: Awaited<ReturnType<typeof startControlPlane>>;
beforeAll(async () => {
  plane = await startControlPlane();
  servers.push(plane);
});
beforeEach(() => {
  plane.requests.length = 0;
  plane.state.next = [];
  plane.state.otherwise = 202;
});

function flusher(timeoutMs = 5_000, endpoint = plane.url): StageFlusher {
  return new StageFlusher([STAGE], timeoutMs, { ...CREDENTIALS, AWS_ENDPOINT_URL_API_GATEWAY: endpoint });
}

/** The delays of the timers set while `run` runs, in order. */
async function timerDelays(run: () => Promise<unknown>): Promise<number[]> {
  const timers = vi.spyOn(globalThis, 'setTimeout');
  await run();
  const delays = timers.mock.calls.map(([, ms]) => Number(ms));
  timers.mockRestore();
  return delays;
}

describe('a stage flush: what counts as flushed', () => {
  it('sends DELETE …/cache/authorizers asking for JSON', async () => {
    expect(await flusher().flushAll()).toEqual([]);
    expect(plane.requests).toEqual([
      expect.objectContaining({
        method: 'DELETE',
        path: '/restapis/a1b2c3d4e5/stages/prod/cache/authorizers',
        headers: expect.objectContaining({ accept: 'application/json' }),
      }),
    ]);
  });

  it.each([200, 204])('counts %i as flushed, after one request', async (status) => {
    plane.state.otherwise = status;
    expect(await flusher().flushAll()).toEqual([]);
    expect(plane.requests).toHaveLength(1);
  });

  it('reports a 300 as a failure named HttpStatus300, without retrying it', async () => {
    plane.state.otherwise = 300;
    const failures = await flusher().flushAll();
    expect(failures.map((failure) => failure.message)).toEqual([`${FAILED}: ${plane.host} answered 300 HttpStatus300`]);
    expect(plane.requests).toHaveLength(1);
  });

  it('reports a 101 as a failure named HttpStatus101, not as flushed', async () => {
    let requests = 0;
    const server = net.createServer((socket) => {
      socket.once('data', () => {
        requests++;
        socket.end('HTTP/1.1 101 Switching Protocols\r\ncontent-length: 0\r\n\r\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const failures = await flusher(2_000, url).flushAll();
      expect(failures.map((failure) => failure.message)).toEqual([`${FAILED}: ${new URL(url).host} answered 101 HttpStatus101`]);
      expect(requests).toBe(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reports an error as StageFlushFailedError without a request when the credentials are not set', async () => {
    for (const env of [{ AWS_REGION: 'eu-west-1' }, { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDLOCAL' }]) {
      const failures = await new StageFlusher([STAGE], 1_000, { ...env, AWS_ENDPOINT_URL_API_GATEWAY: plane.url }).flushAll();
      expect(failures).toHaveLength(1);
      expect(failures[0]).toBeInstanceOf(StageFlushFailedError);
      expect(failures[0]).toMatchObject({
        name: 'StageFlushFailedError',
        code: 'ERR_STAGE_FLUSH_FAILED',
        message: `${FAILED}: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set`,
      });
    }
    expect(plane.requests).toHaveLength(0);
  });
});

describe('a stage flush: the error type it reports', () => {
  it.each([
    {
      name: 'a well-formed type, without its URI,',
      type: 'NotFoundException:http://internal.amazon.com/',
      reported: 'NotFoundException',
      shown: 'NotFoundException',
    },
    { name: 'a type of 64 characters', type: `N${'x'.repeat(63)}`, reported: `N${'x'.repeat(63)}`, shown: 'itself' },
    { name: 'a type starting with a digit', type: '1NotFound', reported: 'HttpStatus404', shown: 'HttpStatus404' },
    { name: 'a type with a hyphen', type: 'Not-Found:http://internal.amazon.com/', reported: 'HttpStatus404', shown: 'HttpStatus404' },
    { name: 'a type of 65 characters', type: `N${'x'.repeat(64)}`, reported: 'HttpStatus404', shown: 'HttpStatus404' },
  ])('reports $name as $shown', async ({ type, reported }) => {
    plane.state.otherwise = { status: 404, type };
    const failures = await flusher().flushAll();
    expect(failures.map((failure) => failure.message)).toEqual([`${FAILED}: ${plane.host} answered 404 ${reported}`]);
  });
});

describe('a stage flush: retries', () => {
  it.each([500, 503, 429])('retries a %i, and succeeds on the second request', async (status) => {
    plane.state.next = [status];
    expect(await flusher().flushAll()).toEqual([]);
    expect(plane.requests).toHaveLength(2);
  });

  it.each([400, 403, 409])('does not retry a %i', async (status) => {
    plane.state.otherwise = status;
    expect(await flusher().flushAll()).toHaveLength(1);
    expect(plane.requests).toHaveLength(1);
  });

  it('retries a connection reset, and succeeds on the second request', async () => {
    plane.state.next = ['reset'];
    expect(await flusher().flushAll()).toEqual([]);
    expect(plane.requests).toHaveLength(2);
  });

  it('gives up after three requests when each answers 503, reporting the last answer', async () => {
    plane.state.otherwise = { status: 503, type: 'ServiceUnavailableException' };
    const failures = await flusher().flushAll();
    expect(failures.map((failure) => failure.message)).toEqual([`${FAILED}: ${plane.host} answered 503 ServiceUnavailableException`]);
    expect(plane.requests).toHaveLength(3);
  });

  it('waits a jittered backoff that doubles (random × 100 ms, then × 200 ms) between attempts, and none after the last', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    plane.state.otherwise = 503;
    // Each request's own deadline is the time left of 10 s; the waits between attempts are far shorter.
    const waits = (await timerDelays(() => flusher(10_000).flushAll())).filter((ms) => ms < 1_000);
    expect(plane.requests).toHaveLength(3);
    expect(waits).toEqual([50, 100]);
  });

  it('does not start a backoff that would end after the flush’s deadline', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    plane.state.otherwise = 503;
    // The first backoff would be 99.9 ms; the whole flush has 50 ms.
    const delays = await timerDelays(async () => expect(await flusher(50).flushAll()).toHaveLength(1));
    expect(delays.filter((ms) => ms > 50)).toEqual([]);
  });

  it('gives each request only the time left before the flush’s deadline', { timeout: 60_000 }, async () => {
    const silent = await startSilentListener();
    servers.push(silent);
    const failures = await flusher(200, silent.url).flushAll();
    expect(failures).toHaveLength(1);
    const [, granted] = /: 127\.0\.0\.1:\d+ did not answer within (\d+) ms$/.exec(failures[0]?.message ?? '') ?? [];
    expect(Number(granted)).toBeGreaterThanOrEqual(1);
    expect(Number(granted)).toBeLessThanOrEqual(200);
  });
});
