import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../lambda/authorizer.js';
import { secretsManagerEndpoint } from '../../lambda/aws/secrets-manager.js';
import { loadConfig } from '../../lambda/config.js';
import { DEFAULTS } from '../../lambda/environment.js';
import { redactUrl, redactUserinfo } from '../../lambda/redact-url.js';
import { startLocalSecretsManager } from '../../local/secrets-manager.js';
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

/**
 * Every URL a message names is shown through one helper: userinfo and query hidden. The password
 * below sits in the userinfo, the query or a fragment of values of every URL variable, each
 * refused for some reason; no message and no log line may show it.
 */
describe('a URL in any configuration message is shown without userinfo or query', () => {
  const SECRET = rememberSecret('url-pa55-in-every-message');

  it('shows a value through redactUrl: userinfo, then query or fragment, replaced by ***', () => {
    expect(redactUrl('https://user:pw@api.example.com/v1?api_key=k#f')).toBe('https://***@api.example.com/v1?***');
    expect(redactUrl('https://api.example.com/v1#access_token=t')).toBe('https://api.example.com/v1#***');
    expect(redactUrl('https://api.example.com/v1')).toBe('https://api.example.com/v1');
  });

  it.each<[string, Record<string, string>, string]>([
    [
      'DPOP_PUBLIC_BASE_URLS with a password',
      { DPOP_PUBLIC_BASE_URLS: JSON.stringify({ 'api.example.com': `https://user:${SECRET}@api.example.com/v1` }) },
      'DPOP_PUBLIC_BASE_URLS["api.example.com"] must be an absolute https URL without query, fragment or credentials; received "https://***@api.example.com/v1"',
    ],
    [
      'DPOP_PUBLIC_BASE_URLS with a key in the query',
      { DPOP_PUBLIC_BASE_URLS: JSON.stringify({ 'api.example.com': `https://api.example.com/v1?key=${SECRET}` }) },
      'DPOP_PUBLIC_BASE_URLS["api.example.com"] must be an absolute https URL without query, fragment or credentials; received "https://api.example.com/v1?***"',
    ],
    [
      'DPOP_PUBLIC_BASE_URLS with a token in the fragment',
      { DPOP_PUBLIC_BASE_URLS: JSON.stringify({ 'api.example.com': `https://api.example.com/#${SECRET}` }) },
      'DPOP_PUBLIC_BASE_URLS["api.example.com"] must be an absolute https URL without query, fragment or credentials; received "https://api.example.com/#***"',
    ],
    [
      'DPOP_PUBLIC_BASE_URLS with the URL nested in an object',
      { DPOP_PUBLIC_BASE_URLS: JSON.stringify({ 'api.example.com': { url: `https://u:${SECRET}@api.example.com` } }) },
      'DPOP_PUBLIC_BASE_URLS["api.example.com"] must be an absolute https URL without query, fragment or credentials; received {"url":"https://***@api.example.com"}',
    ],
    [
      'DPOP_PUBLIC_BASE_URLS as a JSON string instead of an object',
      { DPOP_PUBLIC_BASE_URLS: JSON.stringify(`https://u:${SECRET}@api.example.com`) },
      'DPOP_PUBLIC_BASE_URLS must be a JSON object; received "https://***@api.example.com"',
    ],
    [
      'DPOP_PUBLIC_BASE_URLS with a URL as its key',
      { DPOP_PUBLIC_BASE_URLS: JSON.stringify({ [`https://u:${SECRET}@api.example.com`]: 3 }) },
      'DPOP_PUBLIC_BASE_URLS["https://***@api.example.com"] must be an absolute https URL without query, fragment or credentials; received 3',
    ],
    [
      'INTROSPECTION_ENDPOINT with a key in the query',
      { INTROSPECTION_ENDPOINT: `http://idp.example.com/introspect?api_key=${SECRET}` },
      'INTROSPECTION_ENDPOINT must use https (plain http only for 127.0.0.1 or localhost); received "http://idp.example.com/introspect?***"',
    ],
    [
      'JWKS_URI with a password and a query',
      { JWKS_URI: `https://u:${SECRET}@idp.example.com:99999/jwks?k=${SECRET}` },
      'JWKS_URI must be an absolute URL; received "https://***@idp.example.com:99999/jwks?***"',
    ],
    [
      'API_AUDIENCES with a URL where a string belongs',
      { API_AUDIENCES: JSON.stringify({ abc: [`https://u:${SECRET}@orders.example.com`] }) },
      'API_AUDIENCES["abc"] must be a non-empty string; received ["https://***@orders.example.com"]',
    ],
  ])('%s', (_name, overrides, message) => {
    expect(() => loadConfig({ ...base, ...overrides })).toThrow(expect.objectContaining({ code: 'ERR_CONFIGURATION_INVALID', message }));
  });

  it('prints no such password in the cold-start line or any invocation line', async () => {
    const before = capturedOutput().length;
    const values = [
      { DPOP_PUBLIC_BASE_URLS: JSON.stringify({ 'api.example.com': `https://user:${SECRET}@api.example.com` }) },
      { DPOP_PUBLIC_BASE_URLS: JSON.stringify({ 'api.example.com': `https://api.example.com/?k=${SECRET}` }) },
      { INTROSPECTION_ENDPOINT: `https://idp.example.com:0x/introspect?k=${SECRET}` },
      { JWKS_URI: `ftp://u:${SECRET}@idp.example.com/jwks` },
    ];
    for (const overrides of values) {
      const authorizer = createAuthorizer({ ...base, ...overrides });
      await expect(authorizer(httpApiEvent('Bearer some-token'))).rejects.toMatchObject({ code: 'ERR_CONFIGURATION_INVALID' });
    }
    await new Promise((resolve) => setImmediate(resolve));
    const printed = capturedOutput().slice(before);
    expect(printed.match(/ERR_CONFIGURATION_INVALID/g)).toHaveLength(2 * values.length);
    expect(printed).toContain('***');
    expect(printed).not.toContain(SECRET);
  });
});

describe('CLIENT_CREDENTIALS_SECRET: a secret ARN or name, never shown', () => {
  it.each([
    'phantom/client',
    'a',
    'x'.repeat(512),
    'team+ops=1.2@corp-x_y',
    'arn:aws:secretsmanager:eu-west-1:123456789012:secret:phantom/client-AbC123',
    'arn:aws:secretsmanager:eu-west-1:123456789012:secret:phantom/client',
    'arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:c-AbC123',
    'arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:c',
    'arn:aws-iso-b:secretsmanager:us-isob-east-1:123456789012:secret:c',
    'arn:aws-eusc:secretsmanager:eusc-de-east-1:123456789012:secret:c',
  ])('accepts %s', (value) => {
    expect(loadConfig({ ...base, CLIENT_CREDENTIALS_SECRET: value }).clientCredentialsSecret).toBe(value);
  });

  const pasted = rememberSecret('client-secret-pasted-into-the-wrong-field');
  it.each([
    ['the secret JSON itself', JSON.stringify({ client_id: 'authorizer', client_secret: pasted })],
    ['a name of 513 characters', `${pasted}${'x'.repeat(513 - pasted.length)}`],
    ['a name with a space', `${pasted} x`],
    ['a name with a colon', `${pasted}:x`],
    ['an ARN of another service', `arn:aws:s3:::${pasted}`],
    ['an ARN with a short account', `arn:aws:secretsmanager:eu-west-1:1234:secret:${pasted}`],
    ['an ARN without a region', `arn:aws:secretsmanager::123456789012:secret:${pasted}`],
    ['an ARN with a bad name', `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${pasted}!`],
  ])('refuses %s, naming the rule and the length, never the value', (_name, value) => {
    expect(() => loadConfig({ ...base, CLIENT_CREDENTIALS_SECRET: value })).toThrow(
      expect.objectContaining({
        code: 'ERR_CONFIGURATION_INVALID',
        message: `CLIENT_CREDENTIALS_SECRET must be a Secrets Manager secret ARN (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>) or a secret name (1 to 512 ASCII letters, digits and /_+=.@-); received ${value.length} characters that are neither (not shown: the value may be the secret itself)`,
      }),
    );
  });

  it('prints neither a refused value nor a valid name that Secrets Manager does not know, on any line', async () => {
    const secrets = await startLocalSecretsManager();
    const previous = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
    try {
      const before = capturedOutput().length;
      const refused = createAuthorizer({ ...base, CLIENT_CREDENTIALS_SECRET: JSON.stringify({ client_id: 'a', client_secret: pasted }) });
      await expect(refused(httpApiEvent('Bearer some-token'))).rejects.toMatchObject({ code: 'ERR_CONFIGURATION_INVALID' });
      // A client secret made only of name characters passes as a name: Secrets Manager has no such secret.
      const unknown = createAuthorizer({ ...base, CLIENT_CREDENTIALS_SECRET: pasted });
      await expect(unknown(httpApiEvent('Bearer some-token'))).rejects.toMatchObject({
        code: 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE',
        message: 'could not read the secret CLIENT_CREDENTIALS_SECRET names: ResourceNotFoundException',
      });
      await new Promise((resolve) => setImmediate(resolve));
      const printed = capturedOutput().slice(before);
      expect(printed).toContain('ResourceNotFoundException');
      expect(printed).not.toContain(pasted);
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
      else process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = previous;
      await secrets.close();
    }
  });
});

describe('no configuration message ever shows a password or key written into a URL', () => {
  it('holds for any URL variable and any value with the secret in its userinfo, query or fragment', () => {
    const noise = fc.string({ unit: fc.constantFrom('a', 'Z', '9', '.', '-', ':', '/', '@', '?', '#', ' ', '%', '\\', '['), maxLength: 8 });
    const secret = fc.stringMatching(/^[a-z0-9]{12}$/).map((s) => `PW${s}`);
    const value = fc
      .tuple(
        fc.constantFrom('https://', 'http://', 'ftp://', 'https:/', 'https:\\\\', ''),
        noise,
        secret,
        noise,
        noise,
        fc.integer({ min: 0, max: 2 }),
      )
      .map(([scheme, before, pw, host, after, where]) => {
        if (where === 0) return { pw, url: `${scheme}${before}:${pw}@${host}${after}` };
        return { pw, url: `${scheme}${host}${before}${where === 1 ? '?k=' : '#'}${pw}${after}` };
      });
    const variables = fc.constantFrom<(url: string) => Record<string, string>>(
      (url) => ({ INTROSPECTION_ENDPOINT: url }),
      (url) => ({ JWKS_URI: url }),
      (url) => ({ DPOP_PUBLIC_BASE_URLS: JSON.stringify({ 'api.example.com': url }) }),
      (url) => ({ DPOP_PUBLIC_BASE_URLS: JSON.stringify({ 'api.example.com': [url] }) }),
      (url) => ({ DPOP_PUBLIC_BASE_URLS: JSON.stringify(url) }),
      (url) => ({ API_AUDIENCES: JSON.stringify({ abc: { url } }) }),
    );
    fc.assert(
      fc.property(value, variables, ({ pw, url }, variable) => {
        try {
          loadConfig({ ...base, ...variable(url) });
        } catch (error) {
          expect((error as Error).message).not.toContain(pw);
        }
        for (const name of ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_SECRETS_MANAGER']) {
          try {
            secretsManagerEndpoint({ [name]: url }, 'eu-west-1');
          } catch (error) {
            expect((error as Error).message).not.toContain(pw);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
