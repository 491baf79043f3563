import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../lambda/authorizer.js';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../local/secrets-manager.js';
import { type FaultServer, fakeJwt, startFaultServer } from '../support/fault-server.js';
import { httpApiEvent } from '../support/fixtures.js';
import { decisionLines, rememberSecret } from '../support/log-capture.js';

let server: FaultServer;
let secrets: LocalSecretsManager;
const now = () => Math.floor(Date.now() / 1000);
const hourAgo = () => new Date((now() - 3_600) * 1000).toISOString();

beforeAll(async () => {
  server = await startFaultServer();
  secrets = await startLocalSecretsManager();
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
  secrets.put('claims/client', JSON.stringify({ client_id: 'authorizer', client_secret: rememberSecret('claims-client-secret') }));
});
afterAll(async () => {
  await server.close();
  await secrets.close();
});

/** The fault server answers 200 with this body; a JWT is remembered as a secret. */
function answer(text: string, contentType = 'application/jwt'): void {
  server.mode = 'body';
  server.body = { contentType, text: rememberSecret(text) };
}

let tokens = 0;
/** Asks twice with a new token; how many introspection requests that took tells whether the first answer was cached. */
async function askTwice(authorizer: ReturnType<typeof createAuthorizer>) {
  const event = httpApiEvent(`Bearer ${rememberSecret(`claims-token-${++tokens}-abcdef`)}`);
  const posts = () => server.requests.filter((request) => request.body.startsWith('token=')).length;
  const before = posts();
  const first = await authorizer(event).catch((error: Error & { code?: string }) => error);
  const line = (await decisionLines()).at(-1);
  await authorizer(event).catch(() => undefined);
  return { first, line, requests: posts() - before };
}

describe('application/jwt mode: a 200 JWT that says it is not active is never an allow', () => {
  const authorizer = () =>
    createAuthorizer({ INTROSPECTION_ENDPOINT: server.url, CLIENT_CREDENTIALS_SECRET: 'claims/client', INTROSPECTION_TIMEOUT_MS: '500' });

  it('denies a JWT whose active claim is false, and remembers it as inactive', async () => {
    answer(fakeJwt({ active: false, sub: 'alice', scope: 'read', exp: now() + 600 }));
    const { first, line, requests } = await askTwice(authorizer());
    expect(first).toEqual({ isAuthorized: false });
    expect(line).toMatchObject({ outcome: 'deny', reason: 'inactive', cache: 'miss' });
    expect(requests).toBe(1);
  });

  it('denies an RFC 9701 introspection JWT that reports the token inactive, and remembers it', async () => {
    answer(
      fakeJwt(
        { iss: 'https://idp', aud: 'authorizer', token_introspection: { active: false } },
        { alg: 'RS256', typ: 'token-introspection+jwt' },
      ),
    );
    const { first, requests } = await askTwice(authorizer());
    expect(first).toEqual({ isAuthorized: false });
    expect(requests).toBe(1);
  });

  it.each<[string, string]>([
    [
      'an RFC 9701 JWT that reports the token active',
      fakeJwt({ token_introspection: { active: true, sub: 'alice', scope: 'read' } }, { alg: 'RS256', typ: 'token-introspection+jwt' }),
    ],
    [
      'a JWT typed token-introspection+jwt',
      fakeJwt({ active: true, sub: 'alice' }, { alg: 'RS256', typ: 'application/token-introspection+jwt' }),
    ],
    ['a JWT with a token_introspection claim', fakeJwt({ sub: 'alice', token_introspection: 'yes' })],
    [
      'a JWT whose typ spells token-introspection+jwt with JSON escapes',
      `${Buffer.from('{"alg":"RS256","typ":"token-\\u0069ntrospection\\u002bjwt"}').toString('base64url')}.${fakeJwt({ sub: 'alice' }).split('.').slice(1).join('.')}`,
    ],
  ])('fails (500), uncached, naming the misconfiguration, on %s', async (_name, jwt) => {
    answer(jwt);
    const { first, line, requests } = await askTwice(authorizer());
    expect(first).toMatchObject({
      code: 'ERR_INTROSPECTION_RESPONSE_INVALID',
      message: `${new URL(server.url).host} answered with an RFC 9701 introspection JWT; set INTROSPECTION_RESPONSE_TYPE to application/token-introspection+jwt`,
    });
    expect(line).toMatchObject({ outcome: 'error', reason: 'ERR_INTROSPECTION_RESPONSE_INVALID' });
    expect(requests).toBe(2);
  });

  it.each<[unknown]>([['true'], [1], [null]])('fails (500), uncached, on an active claim of %j', async (active) => {
    answer(fakeJwt({ active, sub: 'alice', scope: 'read' }));
    const { first, requests } = await askTwice(authorizer());
    expect(first).toMatchObject({
      code: 'ERR_INTROSPECTION_RESPONSE_INVALID',
      message: `${new URL(server.url).host} answered with a JWT whose active claim is ${JSON.stringify(active)}; expected true or no active claim`,
    });
    expect(requests).toBe(2);
  });

  it('allows a JWT whose active claim is true', async () => {
    answer(fakeJwt({ active: true, sub: 'alice', scope: 'read', exp: now() + 600 }));
    const { first } = await askTwice(authorizer());
    expect(first).toMatchObject({ isAuthorized: true, context: { sub: 'alice' } });
  });
});

describe('application/jwt mode: NumericDate claims', () => {
  const authorizer = () =>
    createAuthorizer({ INTROSPECTION_ENDPOINT: server.url, CLIENT_CREDENTIALS_SECRET: 'claims/client', INTROSPECTION_TIMEOUT_MS: '500' });

  it.each<[string, () => Record<string, unknown>, string]>([
    ['exp as a date string an hour ago', () => ({ exp: hourAgo() }), 'exp'],
    ['exp null', () => ({ exp: null }), 'exp'],
    ['nbf as a numeric string', () => ({ nbf: String(now()) }), 'nbf'],
    ['iat as an object', () => ({ iat: { seconds: now() } }), 'iat'],
  ])('fails (500), uncached, on %s', async (_name, claims, name) => {
    const values = claims();
    answer(fakeJwt({ sub: 'alice', scope: 'read', ...values }));
    const { first, line, requests } = await askTwice(authorizer());
    expect(first).toMatchObject({
      code: 'ERR_INTROSPECTION_RESPONSE_INVALID',
      message: `the JWT from ${new URL(server.url).host}: claim ${name} must be a number; received ${JSON.stringify(values[name])}`,
    });
    expect(line).toMatchObject({ outcome: 'error', reason: 'ERR_INTROSPECTION_RESPONSE_INVALID' });
    expect(requests).toBe(2);
  });

  it('denies a token whose nbf is an hour ahead, and does not remember the answer', async () => {
    answer(fakeJwt({ sub: 'alice', scope: 'read', nbf: now() + 3_600, exp: now() + 7_200 }));
    const { first, line, requests } = await askTwice(authorizer());
    expect(first).toEqual({ isAuthorized: false });
    expect(line).toMatchObject({ outcome: 'deny', reason: 'inactive' });
    expect(requests).toBe(2);
  });

  it('allows a token whose nbf is within NOT_BEFORE_SKEW_SECONDS (60 s) ahead', async () => {
    answer(fakeJwt({ sub: 'alice', scope: 'read', nbf: now() + 30, iat: now(), exp: now() + 600 }));
    const { first, requests } = await askTwice(authorizer());
    expect(first).toMatchObject({ isAuthorized: true });
    expect(requests).toBe(1);
  });
});

describe('RFC 9701 mode: NumericDate claims of token_introspection', () => {
  let sign: (introspection: Record<string, unknown>) => Promise<string>;
  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    server.jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] };
    sign = (introspection) =>
      new SignJWT({ token_introspection: introspection })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'token-introspection+jwt' })
        .setIssuer('https://idp.example')
        .setAudience('authorizer')
        .setIssuedAt()
        .sign(privateKey);
  });
  const authorizer = () =>
    createAuthorizer({
      INTROSPECTION_ENDPOINT: server.url,
      INTROSPECTION_RESPONSE_TYPE: 'application/token-introspection+jwt',
      JWKS_URI: server.jwksUri,
      ISSUER: 'https://idp.example',
      CLIENT_CREDENTIALS_SECRET: 'claims/client',
      INTROSPECTION_TIMEOUT_MS: '500',
    });

  it('allows an active token with numeric claims (the signed path works)', async () => {
    answer(
      await sign({ active: true, sub: 'alice', scope: 'read', iat: now(), nbf: now(), exp: now() + 600 }),
      'application/token-introspection+jwt',
    );
    const { first, requests } = await askTwice(authorizer());
    expect(first).toMatchObject({ isAuthorized: true, context: { sub: 'alice' } });
    expect(requests).toBe(1);
  });

  it.each<[string, () => Record<string, unknown>, string]>([
    ['exp as a date string an hour ago', () => ({ exp: hourAgo() }), 'exp'],
    ['exp null', () => ({ exp: null }), 'exp'],
    ['nbf as a string', () => ({ nbf: 'now' }), 'nbf'],
  ])('fails (500), uncached, on %s', async (_name, claims, name) => {
    const values = claims();
    answer(await sign({ active: true, sub: 'alice', scope: 'read', ...values }), 'application/token-introspection+jwt');
    const { first, requests } = await askTwice(authorizer());
    expect(first).toMatchObject({
      code: 'ERR_INTROSPECTION_RESPONSE_INVALID',
      message: `the token_introspection claim: claim ${name} must be a number; received ${JSON.stringify(values[name])}`,
    });
    expect(requests).toBe(2);
  });

  it('denies a token whose nbf is an hour ahead, and does not remember the answer', async () => {
    answer(await sign({ active: true, sub: 'alice', scope: 'read', nbf: now() + 3_600 }), 'application/token-introspection+jwt');
    const { first, line, requests } = await askTwice(authorizer());
    expect(first).toEqual({ isAuthorized: false });
    expect(line).toMatchObject({ outcome: 'deny', reason: 'inactive' });
    expect(requests).toBe(2);
  });
});
