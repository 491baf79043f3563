import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../lambda/authorizer.js';
import { parseBearerHeader } from '../../lambda/bearer-token.js';
import { MAX_TOKEN_LENGTH } from '../../lambda/environment.js';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../local/secrets-manager.js';
import { type FaultServer, fakeJwt, startFaultServer } from '../support/fault-server.js';
import { httpApiEvent, restEvent } from '../support/fixtures.js';

const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

describe('parseBearerHeader (RFC 6750 §2.1)', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['BEARER abc', 'abc'],
    ['Bearer   abc', 'abc'],
    ['Bearer a-b.c_d~e+f/g==', 'a-b.c_d~e+f/g=='],
  ])('accepts %j', (header, token) => {
    expect(parseBearerHeader(header)).toEqual({ ok: true, token });
  });

  it.each([
    [undefined, 'missing'],
    ['', 'missing'],
    ['Basic Bearer abc', 'not_bearer'],
    ['Basic dXNlcjpwYXNz', 'not_bearer'],
    ['Bearerabc', 'not_bearer'],
    ['Token abc', 'not_bearer'],
    [' Bearer abc', 'not_bearer'],
    ['Bearer', 'malformed'],
    ['Bearer ', 'malformed'],
    ['Bearer abc def', 'malformed'],
    ['Bearer abc ', 'malformed'],
    ['Bearer\tabc', 'not_bearer'],
    ['Bearer abc,Bearer def', 'malformed'],
    ['Bearer abc, Bearer def', 'malformed'],
    ['Bearer ab%2Dc', 'malformed'],
    ['Bearer =abc', 'malformed'],
    ['Bearer ab=c', 'malformed'],
    ['Bearer abc\n', 'malformed'],
    ['Bearer äbc', 'malformed'],
    [`Bearer ${'a'.repeat(MAX_TOKEN_LENGTH + 1)}`, 'too_long'],
  ])('rejects %j as %s', (header, reason) => {
    expect(parseBearerHeader(header)).toEqual({ ok: false, reason });
  });

  it('accepts a token of exactly the size limit', () => {
    expect(parseBearerHeader(`Bearer ${'a'.repeat(MAX_TOKEN_LENGTH)}`)).toMatchObject({ ok: true });
  });

  it('accepts exactly the headers of the grammar (property)', () => {
    const b64char = fc.constantFrom(...'ABCXYZabcxyz0189-._~+/'.split(''));
    const valid = fc
      .tuple(
        fc.constantFrom('Bearer', 'bearer', 'BEARER', 'BeArEr'),
        fc.integer({ min: 1, max: 3 }),
        fc.array(b64char, { minLength: 1, maxLength: 64 }),
        fc.integer({ min: 0, max: 2 }),
      )
      .map(([scheme, spaces, chars, pad]) => ({
        header: `${scheme}${' '.repeat(spaces)}${chars.join('')}${'='.repeat(pad)}`,
        token: `${chars.join('')}${'='.repeat(pad)}`,
      }));
    fc.assert(
      fc.property(valid, ({ header, token }) => {
        expect(parseBearerHeader(header)).toEqual({ ok: true, token });
      }),
    );
  });

  it('never accepts a header outside the grammar (property)', () => {
    const anyHeader = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.string({ maxLength: 40 }).map((s) => `Bearer ${s}`),
      fc.string({ maxLength: 40 }).map((s) => `${s} Bearer abc`),
      fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 })).map(([a, b]) => `Bearer ${a},Bearer ${b}`),
    );
    fc.assert(
      fc.property(anyHeader, (header) => {
        const result = parseBearerHeader(header);
        const inGrammar =
          /^bearer +/i.test(header) &&
          B64TOKEN.test(header.replace(/^bearer +/i, '')) &&
          header.replace(/^bearer +/i, '').length <= MAX_TOKEN_LENGTH;
        expect(result.ok).toBe(inGrammar);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('malformed headers never reach the OAuth server', () => {
  let server: FaultServer;
  let secrets: LocalSecretsManager;
  let authorizer: ReturnType<typeof createAuthorizer>;
  beforeAll(async () => {
    server = await startFaultServer();
    server.mode = 'jwt-chunked';
    secrets = await startLocalSecretsManager();
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
    secrets.put('c', JSON.stringify({ client_id: 'authorizer', client_secret: 'top-secret-value' }));
    authorizer = createAuthorizer({ INTROSPECTION_ENDPOINT: server.url, CLIENT_CREDENTIALS_SECRET: 'c', CACHE_MAX_TTL_SECONDS: '0' });
  });
  afterAll(async () => {
    await server.close();
    await secrets.close();
  });

  it('denies every header outside the grammar without a request, for HTTP API and REST (property)', async () => {
    const outside = fc.string({ maxLength: 60 }).filter((h) => !(/^bearer +/i.test(h) && B64TOKEN.test(h.replace(/^bearer +/i, ''))));
    await fc.assert(
      fc.asyncProperty(outside, async (header) => {
        expect(await authorizer(httpApiEvent(header))).toEqual({ isAuthorized: false });
        await expect(authorizer(restEvent(header))).rejects.toThrow(/^Unauthorized$/);
      }),
      { numRuns: 300 },
    );
    expect(server.requests).toHaveLength(0);
  });

  it('denies a REST request with two Authorization headers without a request', async () => {
    await expect(authorizer(restEvent(['Bearer abc', 'Bearer def']))).rejects.toThrow(/^Unauthorized$/);
    expect(server.requests).toHaveLength(0);
  });

  it('sends a valid token form-urlencoded, with a type hint and Basic client authentication', async () => {
    expect(await authorizer(httpApiEvent('Bearer a+b/c=='))).toMatchObject({ isAuthorized: true });
    const request = server.requests.at(-1);
    expect(request?.body).toBe('token=a%2Bb%2Fc%3D%3D&token_type_hint=access_token');
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request?.headers.accept).toBe('application/jwt');
    expect(request?.headers.authorization).toBe(`Basic ${Buffer.from('authorizer:top-secret-value').toString('base64')}`);
    expect(fakeJwt({})).toMatch(/\./);
  });
});
