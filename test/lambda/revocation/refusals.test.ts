import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_SET_BYTES } from '../../../lambda/revocation/delivery.js';
import { JWKS_REFETCH_COOLDOWN_MS } from '../../../lambda/revocation/issuer-keys.js';
import { createRevocationReceiver } from '../../../lambda/revocation/receiver.js';
import { SET_IAT_WINDOW_SECONDS } from '../../../lambda/revocation/security-event.js';
import { TOKEN_REVOKED_EVENT } from '../../../lambda/shared-cache/table-format.js';
import {
  accessToken,
  answer,
  type DynamoDbStandIn,
  deliveryEvent,
  handMadeJws,
  hmacSet,
  type IssuerKey,
  issuerKey,
  type JwksServer,
  logSink,
  type ReceiverPeers,
  receiverEnv,
  revocationClaims,
  signSet,
  startReceiverPeers,
} from './harness.js';

let key: IssuerKey;
let impostor: IssuerKey;
let peers: ReceiverPeers;
let jwks: JwksServer;
let dynamo: DynamoDbStandIn;

beforeAll(async () => {
  key = await issuerKey('es-1', 'ES256');
  // Same kid and algorithm as the issuer's key, another private key: what a forger would hold.
  impostor = await issuerKey('es-1', 'ES256');
  peers = await startReceiverPeers([key]);
  ({ jwks, dynamo } = peers);
});
afterAll(() => peers.close());
beforeEach(() => peers.reset());

/** One receiver for the file: its JWKS is fetched once and cached, as in a warm instance. */
const log = logSink();
let handle: ReturnType<typeof createRevocationReceiver>;
beforeAll(() => {
  handle = createRevocationReceiver(receiverEnv(jwks.uri, dynamo.url), { write: log.write });
});

const claims = (changes: Record<string, unknown> = {}) => {
  const base: Record<string, unknown> = revocationClaims(accessToken().hash);
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete base[name];
    else base[name] = value;
  }
  return base;
};

async function refusal(set: string) {
  const result = answer(await handle(deliveryEvent(set)));
  expect(dynamo.requests, 'a refused SET writes nothing to the table').toHaveLength(0);
  expect(result.status).toBe(400);
  expect(result.headers).toEqual({ 'content-type': 'application/json' });
  return result.body as { err: string; description: string };
}

describe('SETs that are not the issuer’s', () => {
  it('refuses a SET whose payload was changed after signing (authentication_failed)', async () => {
    const set = await signSet(claims(), key);
    const [header, , signature] = set.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}.${signature}`;
    expect(await refusal(forged)).toEqual({
      err: 'authentication_failed',
      description: expect.stringMatching(/^the SET's signature does not verify with 127\.0\.0\.1:\d+'s key$/),
    });
  });

  it('refuses a SET signed with another key under the issuer’s kid (authentication_failed)', async () => {
    expect((await refusal(await signSet(claims(), impostor))).err).toBe('authentication_failed');
  });

  it('refuses a SET signed with alg none, whatever its signature segment (invalid_key, or invalid_request when empty)', async () => {
    const header = { alg: 'none', typ: 'secevent+jwt' };
    expect(await refusal(handMadeJws(header, claims(), 'c2lnbmF0dXJl'))).toEqual({
      err: 'invalid_key',
      description: 'the SET\'s alg "none" is not accepted; only ES256 ES384 ES512 PS256 PS384 PS512 RS256 RS384 RS512 EdDSA Ed25519',
    });
    expect((await refusal(handMadeJws(header, claims(), ''))).err).toBe('invalid_request');
  });

  it('refuses a SET signed with HS256, even under a key id the issuer publishes (invalid_key)', async () => {
    expect((await refusal(hmacSet(claims(), JSON.stringify(key.jwk), key.kid))).err).toBe('invalid_key');
  });

  it('refuses a SET whose alg does not match the kid’s key (invalid_key), the JWKS in hand', async () => {
    const rsa = await issuerKey('es-1', 'RS256');
    expect((await refusal(await signSet(claims(), rsa))).err).toBe('invalid_key');
  });

  it('refuses a SET from another issuer (invalid_issuer), and one without iss', async () => {
    expect(await refusal(await signSet(claims({ iss: 'https://evil.example.com' }), key))).toEqual({
      err: 'invalid_issuer',
      description: 'the SET is not from the configured issuer',
    });
    expect(await refusal(await signSet(claims({ iss: undefined }), key))).toEqual({
      err: 'invalid_issuer',
      description: 'the SET has no iss',
    });
  });

  it('refuses a SET for another audience (invalid_audience), and one without aud', async () => {
    expect(await refusal(await signSet(claims({ aud: 'https://other.example.com' }), key))).toEqual({
      err: 'invalid_audience',
      description: 'the SET is not addressed to this receiver',
    });
    expect((await refusal(await signSet(claims({ aud: undefined }), key))).err).toBe('invalid_audience');
  });
});

describe('SETs that are not well-formed (invalid_request)', () => {
  it.each([['JWT'], ['at+jwt'], ['application/jwt'], ['secevent']])('refuses typ %s', async (typ) => {
    expect(await refusal(await signSet(claims(), key, { typ }))).toEqual({
      err: 'invalid_request',
      description: "the SET's typ header must be secevent+jwt (or application/secevent+jwt)",
    });
  });

  it('refuses a SET without typ', async () => {
    expect((await refusal(await signSet(claims(), key, { typ: undefined }))).err).toBe('invalid_request');
  });

  it(`refuses a SET issued more than ${SET_IAT_WINDOW_SECONDS} s ago, or more than that in the future`, async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await refusal(await signSet(claims({ iat: now - SET_IAT_WINDOW_SECONDS - 2 }), key))).toEqual({
      err: 'invalid_request',
      description: 'the SET was issued more than 300 s ago (iat)',
    });
    expect(await refusal(await signSet(claims({ iat: now + SET_IAT_WINDOW_SECONDS + 2 }), key))).toEqual({
      err: 'invalid_request',
      description: "the SET's iat is more than 300 s in the future",
    });
  });

  it('accepts a SET issued just inside the window on either side', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const iat of [now - SET_IAT_WINDOW_SECONDS + 5, now + SET_IAT_WINDOW_SECONDS - 5]) {
      expect(answer(await handle(deliveryEvent(await signSet(claims({ iat }), key)))).status).toBe(202);
    }
  });

  it.each([
    ['without iat', { iat: undefined }, "the SET's iat claim is missing"],
    ['with a string iat', { iat: String(Math.floor(Date.now() / 1000)) }, "the SET's iat claim is not valid"],
    ['without jti', { jti: undefined }, "the SET's jti claim is missing"],
    ['with an empty jti', { jti: '' }, 'the SET’s jti must be a string of 1 to 256 characters'],
    ['with a numeric jti', { jti: 7 }, 'the SET’s jti must be a string of 1 to 256 characters'],
    ['with exp', { exp: Math.floor(Date.now() / 1000) + 60 }, 'the SET carries exp; a SET is a statement of fact and must carry none'],
    ['with an expired exp', { exp: Math.floor(Date.now() / 1000) - 60 }, 'the SET carries exp and has expired; a SET should carry no exp'],
    ['without events', { events: undefined }, 'the SET’s events claim must be a JSON object'],
    ['with events as an array', { events: [TOKEN_REVOKED_EVENT] }, 'the SET’s events claim must be a JSON object'],
    [
      'without the token-revoked event',
      { events: { 'https://schemas.openid.net/secevent/caep/event-type/session-revoked': {} } },
      `the SET holds no ${TOKEN_REVOKED_EVENT} event`,
    ],
    [
      'with the event not an object',
      { events: { [TOKEN_REVOKED_EVENT]: true } },
      `the SET's ${TOKEN_REVOKED_EVENT} event must be a JSON object`,
    ],
    ['naming no token', { sub_id: undefined }, 'the SET names no token: sub_id, or the event’s subject, is required'],
  ])('refuses a SET %s', async (_name, changes, description) => {
    expect(await refusal(await signSet(claims(changes), key))).toEqual({ err: 'invalid_request', description });
  });

  it('refuses a SET naming the token both as sub_id and as the event’s subject', async () => {
    const { hash } = accessToken();
    const set = await signSet(
      claims({ sub_id: { format: 'opaque', id: hash }, events: { [TOKEN_REVOKED_EVENT]: { subject: { format: 'opaque', id: hash } } } }),
      key,
    );
    expect(await refusal(set)).toEqual({
      err: 'invalid_request',
      description: 'the SET names the token twice, as sub_id and as the event’s subject; exactly one is accepted',
    });
  });

  const hash = accessToken().hash;
  it.each([
    ['an email subject', { format: 'email', email: 'user@example.com' }],
    ['an opaque id that is the token itself', { format: 'opaque', id: 'an-access-token-value' }],
    ['a hex SHA-256', { format: 'opaque', id: 'ab'.repeat(32) }],
    ['a padded base64 SHA-256', { format: 'opaque', id: `${hash}=` }],
    ['a non-canonical base64url SHA-256', { format: 'opaque', id: `${hash.slice(0, 42)}${hash.endsWith('B') ? 'C' : 'B'}` }],
    ['a string', 'opaque'],
  ])('refuses a token named by %s', async (_name, subId) => {
    expect(await refusal(await signSet(claims({ sub_id: subId }), key))).toEqual({
      err: 'invalid_request',
      description: 'the token must be named as {"format":"opaque","id":"<SHA-256 of the token, base64url>"}',
    });
  });
});

describe('the delivery (RFC 8935 §2)', () => {
  it.each(['GET', 'PUT', 'DELETE', 'OPTIONS'])('answers %s with 405 and Allow: POST', async (method) => {
    const result = answer(await handle(deliveryEvent(await signSet(claims(), key), { method })));
    expect(result).toEqual({
      status: 405,
      headers: { 'content-type': 'application/json', allow: 'POST' },
      body: { err: 'invalid_request', description: `a SET is delivered with POST; received "${method}"` },
    });
    expect(dynamo.requests).toHaveLength(0);
  });

  it.each([
    [null, 'Content-Type must be application/secevent+jwt; received none'],
    ['application/jwt', 'Content-Type must be application/secevent+jwt; received "application/jwt"'],
    ['text/plain', 'Content-Type must be application/secevent+jwt; received "text/plain"'],
    ['application/secevent+jwt-x', 'Content-Type must be application/secevent+jwt; received "application/secevent+jwt-x"'],
  ])('refuses Content-Type %s', async (contentType, description) => {
    const result = answer(await handle(deliveryEvent(await signSet(claims(), key), { contentType })));
    expect(result.body).toEqual({ err: 'invalid_request', description });
  });

  it(`refuses a body larger than ${MAX_SET_BYTES} bytes, base64-encoded or not, without fetching the JWKS`, async () => {
    const fetched = jwks.requests.length;
    const padded = await signSet(claims({ padding: 'x'.repeat(MAX_SET_BYTES) }), key);
    for (const base64 of [true, false]) {
      expect(answer(await handle(deliveryEvent(padded, { base64 }))).body).toEqual({
        err: 'invalid_request',
        description: `the body is larger than ${MAX_SET_BYTES} bytes`,
      });
    }
    expect(jwks.requests.length).toBe(fetched);
  });

  it('takes a SET just under the size limit', async () => {
    const small = await signSet(claims(), key);
    const padded = await signSet(claims({ padding: 'x'.repeat(Math.floor(((MAX_SET_BYTES - small.length) * 3) / 4) - 40) }), key);
    expect(Buffer.byteLength(padded)).toBeLessThanOrEqual(MAX_SET_BYTES);
    expect(Buffer.byteLength(padded)).toBeGreaterThan(MAX_SET_BYTES - 100);
    expect(answer(await handle(deliveryEvent(padded))).status).toBe(202);
  });

  it.each([
    ['an empty body', undefined],
    ['JSON', '{"set":"x"}'],
    ['an encrypted SET (JWE, five parts)', 'eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d'],
    ['two segments', 'eyJhbGciOiJFUzI1NiJ9.e30'],
  ])('refuses %s as not a SET', async (_name, body) => {
    expect(answer(await handle(deliveryEvent(body))).body).toEqual({
      err: 'invalid_request',
      description: 'the body is not a SET in JWS compact serialization (header.payload.signature)',
    });
  });

  it('refuses a JWS whose header is not JSON', async () => {
    expect((await refusal('bm90LWpzb24.e30.c2ln')).err).toBe('invalid_request');
  });
});

describe('the issuer’s keys', () => {
  it('fetches the JWKS once for a warm instance, whatever the number of SETs', async () => {
    const fetched = jwks.requests.length;
    for (let i = 0; i < 3; i++) expect(answer(await handle(deliveryEvent(await signSet(claims(), key)))).status).toBe(202);
    expect(jwks.requests.length).toBe(fetched);
  });

  it('refuses an unknown kid after fetching the JWKS for it (invalid_key)', async () => {
    const fresh = createRevocationReceiver(receiverEnv(jwks.uri, dynamo.url), { write: log.write });
    const fetched = jwks.requests.length;
    const stranger = await issuerKey('unknown-kid', 'ES256');
    const result = answer(await fresh(deliveryEvent(await signSet(claims(), stranger))));
    expect(result.body).toEqual({
      err: 'invalid_key',
      description: expect.stringMatching(/^no key of 127\.0\.0\.1:\d+'s JWKS matches the SET's kid and alg "ES256"$/),
    });
    expect(jwks.requests.length).toBe(fetched + 1);
  });

  it(`answers an unknown kid 503 (Retry-After) within ${JWKS_REFETCH_COOLDOWN_MS} ms of a fetch, fetching nothing; after it, fetches once and finds a rotated key`, async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const rotated = await issuerKey('es-2', 'ES256');
      const fresh = createRevocationReceiver(receiverEnv(jwks.uri, dynamo.url), { write: log.write });
      expect(answer(await fresh(deliveryEvent(await signSet(claims(), key)))).status).toBe(202);
      const fetched = jwks.requests.length;
      jwks.state.keys = [key, rotated];
      for (let i = 0; i < 5; i++) {
        const result = answer(await fresh(deliveryEvent(await signSet(claims(), rotated))));
        expect([result.status, result.headers['retry-after']]).toEqual([503, String(JWKS_REFETCH_COOLDOWN_MS / 1000)]);
      }
      expect(jwks.requests.length, 'unknown kids within the cooldown fetch nothing').toBe(fetched);
      vi.setSystemTime(Date.now() + JWKS_REFETCH_COOLDOWN_MS + 1);
      expect(answer(await fresh(deliveryEvent(await signSet(claims(), rotated)))).status).toBe(202);
      expect(jwks.requests.length).toBe(fetched + 1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('answers 503 when the JWKS cannot be fetched, and writes nothing', async () => {
    jwks.state.status = 500;
    const fresh = createRevocationReceiver(receiverEnv(jwks.uri, dynamo.url), { write: log.write });
    const result = answer(await fresh(deliveryEvent(await signSet(claims(), key))));
    expect(result.status).toBe(503);
    expect(dynamo.requests).toHaveLength(0);
    expect(log.lines().at(-1)).toMatchObject({
      revocation: 'error',
      reason: 'ERR_REVOCATION_UNAVAILABLE',
      message: expect.stringMatching(/^the JWKS at 127\.0\.0\.1:\d+ could not be read: /),
    });
  });

  it('answers 503 when nothing listens at the JWKS URI', async () => {
    const fresh = createRevocationReceiver(receiverEnv('http://127.0.0.1:1/jwks', dynamo.url), { write: log.write });
    expect(answer(await fresh(deliveryEvent(await signSet(claims(), key)))).status).toBe(503);
    expect(dynamo.requests).toHaveLength(0);
  });
});

describe('what the log says of refusals', () => {
  it('names each refusal by its code, and never prints the SET', async () => {
    const set = await signSet(claims({ iss: 'https://evil.example.com' }), key);
    log.text.length = 0;
    await handle(deliveryEvent(set));
    expect(log.lines()).toEqual([
      expect.objectContaining({
        revocation: 'refused',
        reason: 'invalid_issuer',
        status: 400,
        message: 'the SET is not from the configured issuer',
      }),
    ]);
    expect(log.text.join('')).not.toContain(set.split('.')[1]);
  });
});
