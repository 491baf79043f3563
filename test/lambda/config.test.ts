import { describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../lambda/authorizer.js';
import { loadConfig, redactUserinfo } from '../../lambda/config.js';
import { DEFAULTS } from '../../lambda/environment.js';
import { httpApiEvent } from '../support/fixtures.js';
import { capturedOutput, rememberSecret } from '../support/log-capture.js';

const base = { INTROSPECTION_ENDPOINT: 'https://idp.example.com/introspect', CLIENT_CREDENTIALS_SECRET: 'phantom/client' };

describe('loadConfig: the environment contract, validated once', () => {
  it('applies the documented defaults', () => {
    expect(loadConfig(base)).toMatchObject({
      responseType: DEFAULTS.introspectionResponseType,
      realm: 'api',
      cacheMaxTtlSeconds: 300,
      cacheMaxEntries: 10_000,
      negativeCacheTtlSeconds: 10,
      introspectionTimeoutMs: 3_000,
      decisionBudgetMs: 6_500,
      secretRefreshSeconds: 300,
    });
  });

  it('gives a decision 2 × INTROSPECTION_TIMEOUT_MS + 500 ms, inside the function timeout of 2 × it + 1 s', () => {
    expect(loadConfig({ ...base, INTROSPECTION_TIMEOUT_MS: '1000' })).toMatchObject({
      introspectionTimeoutMs: 1_000,
      decisionBudgetMs: 2_500,
    });
    expect(loadConfig({ ...base, INTROSPECTION_TIMEOUT_MS: '9000' }).decisionBudgetMs).toBe(18_500);
  });

  it.each<[string, Record<string, string>, string]>([
    ['a missing endpoint', { INTROSPECTION_ENDPOINT: '' }, 'INTROSPECTION_ENDPOINT is required'],
    ['a missing secret', { CLIENT_CREDENTIALS_SECRET: ' ' }, 'CLIENT_CREDENTIALS_SECRET is required'],
    [
      'plain http to a remote host',
      { INTROSPECTION_ENDPOINT: 'http://idp.example.com/i' },
      'INTROSPECTION_ENDPOINT must use https (plain http only for 127.0.0.1 or localhost); received "http://idp.example.com/i"',
    ],
    [
      'credentials in the URL, without repeating them',
      { INTROSPECTION_ENDPOINT: 'http://client:s3cret@idp.example.com/i' },
      'INTROSPECTION_ENDPOINT must not carry credentials in the URL; received "http://***@idp.example.com/i"',
    ],
    [
      'an unknown response type',
      { INTROSPECTION_RESPONSE_TYPE: 'application/json' },
      'INTROSPECTION_RESPONSE_TYPE must be one of application/jwt, application/token-introspection+jwt; received "application/json"',
    ],
    [
      'RFC 9701 without a JWKS URI',
      { INTROSPECTION_RESPONSE_TYPE: 'application/token-introspection+jwt' },
      'JWKS_URI is required when INTROSPECTION_RESPONSE_TYPE is application/token-introspection+jwt',
    ],
    ['a TTL out of range', { CACHE_MAX_TTL_SECONDS: '3601' }, 'CACHE_MAX_TTL_SECONDS must be an integer from 0 to 3600; received "3601"'],
    [
      'a non-integer timeout',
      { INTROSPECTION_TIMEOUT_MS: '1.5e3' },
      'INTROSPECTION_TIMEOUT_MS must be an integer from 100 to 9000; received "1.5e3"',
    ],
    ['route scopes that are not JSON', { ROUTE_SCOPES: '{GET /x: read}' }, 'ROUTE_SCOPES must be JSON'],
    [
      'route scopes with a bad key',
      { ROUTE_SCOPES: '{"/x":["read"]}' },
      'ROUTE_SCOPES key must be "$default" or "METHOD /path"; received "/x"',
    ],
    [
      'route scopes with a bad scope',
      { ROUTE_SCOPES: '{"GET /x":["re ad"]}' },
      'ROUTE_SCOPES["GET /x"] must be an array of RFC 6749 scope tokens; received ["re ad"]',
    ],
    ['a realm with a quote', { REALM: 'a"b' }, 'REALM must be printable ASCII without " or \\; received "a\\"b"'],
  ])('rejects %s', (_name, overrides, message) => {
    const error = (() => {
      try {
        loadConfig({ ...base, ...overrides });
      } catch (caught) {
        return caught as Error & { code?: string };
      }
      throw new Error('loadConfig accepted an invalid environment');
    })();
    expect(error.message).toBe(message);
    expect(error.code).toBe('ERR_CONFIGURATION_INVALID');
    expect(error.message).not.toContain('s3cret');
  });
});

/** URL values that carry a password, each malformed in another way; every message must hide it. */
const PASSWORD = rememberSecret('pa55word-in-url');
const malformedWithPassword: [string, string, string][] = [
  [
    'a port out of range',
    `https://user:${PASSWORD}@idp.example.com:99999/x`,
    'must be an absolute URL; received "https://***@idp.example.com:99999/x"',
  ],
  [
    'a space in the host',
    `https://user:${PASSWORD}@idp example.com/x`,
    'must be an absolute URL; received "https://***@idp example.com/x"',
  ],
  [
    'no scheme',
    `user:${PASSWORD}@idp.example.com/x`,
    'must use https (plain http only for 127.0.0.1 or localhost); received "user:***@idp.example.com/x"',
  ],
  [
    'a / in the password',
    `https://user:${PASSWORD}/x@idp.example.com:99999`,
    'must be an absolute URL; received "https://***@idp.example.com:99999"',
  ],
  [
    'a ? and an @ in the password',
    `https://user:${PASSWORD}?@x@idp.example.com:0x`,
    'must be an absolute URL; received "https://***@idp.example.com:0x"',
  ],
  [
    'one slash and plain http',
    `http:/user:${PASSWORD}@idp.example.com/x`,
    'must not carry credentials in the URL; received "http:/***@idp.example.com/x"',
  ],
  ['backslashes', `https:\\\\user:${PASSWORD}@[::1/x`, 'must be an absolute URL; received "https:\\\\\\\\***@[::1/x"'],
];

describe('a password in a URL variable never reaches a message or a log line', () => {
  it.each(malformedWithPassword)('INTROSPECTION_ENDPOINT with %s', (_name, value, message) => {
    expect(() => loadConfig({ ...base, INTROSPECTION_ENDPOINT: value })).toThrow(`INTROSPECTION_ENDPOINT ${message}`);
  });

  it.each(malformedWithPassword)('JWKS_URI with %s', (_name, value, message) => {
    expect(() => loadConfig({ ...base, JWKS_URI: value })).toThrow(`JWKS_URI ${message}`);
  });

  it("logs the cold-start line and every invocation's line without it", async () => {
    const before = capturedOutput().length;
    for (const [, value] of malformedWithPassword) {
      const authorizer = createAuthorizer({ ...base, INTROSPECTION_ENDPOINT: value });
      await expect(authorizer(httpApiEvent('Bearer some-token'))).rejects.toSatisfy(
        (error: Error) => (error as { code?: string }).code === 'ERR_CONFIGURATION_INVALID' && !error.message.includes(PASSWORD),
      );
    }
    await new Promise((resolve) => setImmediate(resolve));
    const printed = capturedOutput().slice(before);
    expect(printed.match(/ERR_CONFIGURATION_INVALID/g)).toHaveLength(2 * malformedWithPassword.length);
    expect(printed).not.toContain(PASSWORD);
  });

  it('hides everything from the scheme to the last @, and leaves a value without @ alone', () => {
    expect(redactUserinfo('https://a:b@c@host:1/p?q#f')).toBe('https://***@host:1/p?q#f');
    expect(redactUserinfo('https://idp.example.com:99999/x')).toBe('https://idp.example.com:99999/x');
    expect(redactUserinfo('@only')).toBe('***@only');
  });
});
