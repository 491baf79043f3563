import { hash } from 'node:crypto';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../lambda/authorizer.js';
import { checkDpopProof, normalizeHtu } from '../../lambda/sender-constraints/dpop-proof.js';
import { ReplayCache } from '../../lambda/sender-constraints/replay-cache.js';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../local/secrets-manager.js';
import { type DpopKey, dpopKey, dpopProof } from '../support/dpop.js';
import { type FaultServer, fakeJwt, startFaultServer } from '../support/fault-server.js';
import { httpApiEvent } from '../support/fixtures.js';
import { rememberSecret } from '../support/log-capture.js';

const HTU = 'https://id.execute-api.us-east-1.amazonaws.com/echo';
const TOKEN = 'dpop-property-token-abcdef';
const POLICY = { algorithms: ['ES256', 'PS256', 'Ed25519'], maxAgeSeconds: 60 };
let key: DpopKey;
let expected: { method: string; htu: string; tokenHash: string; jkt: string };

beforeAll(async () => {
  key = await dpopKey('ES256');
  expected = { method: 'GET', htu: normalizeHtu(HTU) as string, tokenHash: hash('sha256', TOKEN, 'base64url'), jkt: key.jkt };
});

describe('malformed proofs are never accepted (properties)', () => {
  it('accepts no arbitrary string as a proof', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 })), async (proof) => {
        expect((await checkDpopProof(proof, expected, POLICY)).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('accepts no proof with one character changed, added or removed', async () => {
    const proof = await dpopProof(key, { htm: 'GET', htu: HTU, token: TOKEN });
    const b64url = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.,= ';
    const mutated = fc
      .tuple(fc.nat({ max: proof.length - 1 }), fc.constantFrom(...b64url.split('')), fc.constantFrom('replace', 'insert', 'delete'))
      .map(([at, char, how]) =>
        how === 'replace'
          ? proof.slice(0, at) + char + proof.slice(at + 1)
          : how === 'insert'
            ? proof.slice(0, at) + char + proof.slice(at)
            : proof.slice(0, at) + proof.slice(at + 1),
      );
    await fc.assert(
      fc.asyncProperty(mutated, async (candidate) => {
        // base64url's last character of a segment carries unused bits: a change there may decode to the same bytes.
        fc.pre(decodedSegments(candidate) !== decodedSegments(proof));
        expect((await checkDpopProof(candidate, expected, POLICY)).ok).toBe(false);
      }),
      { numRuns: 400 },
    );
  });

  it('accepts a validly signed proof only when every claim matches the request (any claim values)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claim = <T>(good: T, others: fc.Arbitrary<unknown>) => fc.oneof(fc.constant(good), others, fc.constant(undefined));
    const claims = fc.record({
      htm: claim('GET', fc.constantFrom('POST', 'get', 'GET ', '', 7)),
      htu: claim(HTU, fc.constantFrom(`${HTU}/`, 'https://id.execute-api.us-east-1.amazonaws.com/Echo', 'http://x/echo', '', null)),
      iat: claim(now, fc.oneof(fc.integer({ min: now - 200, max: now + 200 }), fc.constant(String(now)))),
      ath: claim(expected.tokenHash, fc.constantFrom(hash('sha256', 'other', 'base64url'), '', expected.tokenHash.toUpperCase())),
      jti: claim('id-1', fc.oneof(fc.constant(''), fc.integer(), fc.string({ minLength: 257, maxLength: 300 }))),
    });
    await fc.assert(
      fc.asyncProperty(claims, async (set) => {
        const payload = Object.fromEntries(Object.entries(set).filter(([, value]) => value !== undefined));
        const proof = await new SignJWT(payload)
          .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk })
          .sign(key.privateKey);
        const result = await checkDpopProof(proof, expected, POLICY, now);
        const matches =
          set.htm === 'GET' &&
          set.htu === HTU &&
          typeof set.iat === 'number' &&
          Math.abs(now - set.iat) <= 60 &&
          set.ath === expected.tokenHash &&
          typeof set.jti === 'string' &&
          set.jti !== '' &&
          set.jti.length <= 256;
        expect(result.ok).toBe(matches);
      }),
      { numRuns: 300 },
    );
  });
});

function decodedSegments(proof: string): string {
  return proof
    .split('.')
    .map((segment) => (/^[A-Za-z0-9_-]*$/.test(segment) ? Buffer.from(segment, 'base64url').toString('hex') : `raw:${segment}`))
    .join('.');
}

describe('no malformed DPoP header ever yields an allow through the handler (property)', () => {
  let server: FaultServer;
  let secrets: LocalSecretsManager;
  beforeAll(async () => {
    server = await startFaultServer();
    secrets = await startLocalSecretsManager();
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
    secrets.put('dpop-property/client', JSON.stringify({ client_id: 'authorizer', client_secret: rememberSecret('dpop-property-secret') }));
    server.mode = 'body';
    server.body = {
      contentType: 'application/jwt',
      text: rememberSecret(fakeJwt({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 600, cnf: { jkt: key.jkt } })),
    };
  });
  afterAll(async () => {
    await server.close();
    await secrets.close();
  });

  it('denies every header value that is not a fresh proof for this token, key, method and URL', async () => {
    const handler = createAuthorizer({
      INTROSPECTION_ENDPOINT: server.url,
      CLIENT_CREDENTIALS_SECRET: 'dpop-property/client',
      SENDER_CONSTRAINED_TOKENS: 'true',
    });
    rememberSecret(TOKEN);
    const good = await dpopProof(key, { htm: 'GET', htu: HTU, token: TOKEN });
    expect(await handler(httpApiEvent(`DPoP ${TOKEN}`, 'GET /echo', { dpop: good }))).toMatchObject({ isAuthorized: true });
    const headers = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc.constant(good), // now a replay
      fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 })).map(([a, b]) => `${good}${a},${b}`),
      fc.nat({ max: good.length - 1 }).map((at) => good.slice(0, at)),
    );
    await fc.assert(
      fc.asyncProperty(headers, async (value) => {
        expect(await handler(httpApiEvent(`DPoP ${TOKEN}`, 'GET /echo', { dpop: value }))).toEqual({ isAuthorized: false });
      }),
      { numRuns: 300 },
    );
    expect(server.requests.filter((request) => request.body.startsWith('token=')).length).toBe(1);
  });
});

describe('ReplayCache', () => {
  it('accepts a key once until it expires, then again', () => {
    const cache = new ReplayCache(10);
    expect(cache.claim('a', 110, 100)).toBe(true);
    expect(cache.claim('a', 110, 105)).toBe(false);
    // Its expiry is the last moment its proof is accepted: still a replay then.
    expect(cache.claim('a', 130, 110)).toBe(false);
    expect(cache.claim('a', 130, 110.001)).toBe(true);
  });

  it('keeps at most its bound, forgetting the oldest claim first', () => {
    const cache = new ReplayCache(3);
    for (const key of ['a', 'b', 'c', 'd']) expect(cache.claim(key, 200, 100)).toBe(true);
    expect(cache.size).toBe(3);
    expect(cache.claim('b', 200, 100)).toBe(false);
    expect(cache.claim('a', 200, 100)).toBe(true);
  });

  it('drops expired claims before counting towards the bound', () => {
    const cache = new ReplayCache(3);
    cache.claim('a', 101, 100);
    cache.claim('b', 102, 100);
    cache.claim('c', 300, 100);
    expect(cache.claim('d', 300, 150)).toBe(true);
    expect(cache.size).toBe(2);
    expect(cache.claim('c', 300, 150)).toBe(false);
  });
});
