// The AWS SDK's own signer (a dependency of @aws-sdk/client-secrets-manager): an independent implementation to agree with.
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AwsCredentials, canonicalUri, signRequest } from '../../lambda/aws/sigv4.js';
import { Sha256 } from '../support/sha256.js';

/** The `Authorization` header the SDK's signer gives the same request. */
async function sdkAuthorization(
  url: URL,
  headers: Record<string, string>,
  body: string,
  region: string,
  credentials: AwsCredentials,
  date: Date,
) {
  const signer = new SignatureV4({ credentials, region, service: 'secretsmanager', sha256: Sha256, applyChecksum: false });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      path: url.pathname,
      query: {},
      headers: { ...headers, host: url.host },
      body,
    },
    { signingDate: date },
  );
  return signed.headers.authorization;
}

const EXAMPLE_CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: undefined,
};
const JSON_HEADERS = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' };

describe('signRequest: AWS Signature Version 4 with node:crypto', () => {
  it("signs AWS's published get-vanilla example to its published signature", () => {
    const headers = signRequest({
      method: 'GET',
      url: new URL('https://example.amazonaws.com/'),
      headers: {},
      body: '',
      service: 'service',
      region: 'us-east-1',
      credentials: EXAMPLE_CREDENTIALS,
      date: new Date('2015-08-30T12:36:00Z'),
    });
    expect(headers).toEqual({
      host: 'example.amazonaws.com',
      'x-amz-date': '20150830T123600Z',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    });
  });

  it('signs a GetSecretValue request with a session token as the AWS SDK signs it, the token among the signed headers', async () => {
    const url = new URL('https://secretsmanager.eu-west-1.amazonaws.com/');
    const body = JSON.stringify({ SecretId: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:phantom/client-AbCdEf' });
    const credentials = { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret/key+example', sessionToken: 'IQoJb3JpZ2luX2VjE//session==' };
    const date = new Date('2026-12-01T05:09:15Z');
    const headers = signRequest({
      method: 'POST',
      url,
      headers: JSON_HEADERS,
      body,
      service: 'secretsmanager',
      region: 'eu-west-1',
      credentials,
      date,
    });
    expect(headers['x-amz-security-token']).toBe(credentials.sessionToken);
    expect(headers.authorization).toMatch(/SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target,/);
    expect(headers.authorization).toBe(await sdkAuthorization(url, JSON_HEADERS, body, 'eu-west-1', credentials, date));
  });

  it('agrees with the AWS SDK signer on any secret id, key, region, port and time', async () => {
    const text = fc.string({ unit: 'binary', maxLength: 80 });
    await fc.assert(
      fc.asyncProperty(
        text,
        fc.stringMatching(/^[A-Z0-9]{16,20}$/),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.option(fc.string({ minLength: 1, maxLength: 60 }), { nil: undefined }),
        fc.constantFrom('us-east-1', 'cn-north-1', 'eu-isoe-west-1'),
        fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined }),
        fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }),
        async (secretId, accessKeyId, secretAccessKey, sessionToken, region, port, date) => {
          const url = new URL(`https://secretsmanager.${region}.amazonaws.com${port === undefined ? '' : `:${port}`}/`);
          const body = JSON.stringify({ SecretId: secretId });
          const credentials = { accessKeyId, secretAccessKey, sessionToken };
          const headers = signRequest({
            method: 'POST',
            url,
            headers: JSON_HEADERS,
            body,
            service: 'secretsmanager',
            region,
            credentials,
            date,
          });
          expect(headers.authorization).toBe(await sdkAuthorization(url, JSON_HEADERS, body, region, credentials, date));
        },
      ),
      { numRuns: 200 },
    );
  });

  /** A POST to `url` signed by this module and by the AWS SDK's signer: the same Authorization. */
  async function expectSdkSignature(url: URL): Promise<void> {
    const date = new Date('2026-12-07T03:00:00Z');
    const signed = signRequest({
      method: 'POST',
      url,
      headers: JSON_HEADERS,
      body: '{}',
      service: 'secretsmanager',
      region: 'eu-west-1',
      credentials: EXAMPLE_CREDENTIALS,
      date,
    });
    expect(signed.authorization).toBe(await sdkAuthorization(url, JSON_HEADERS, '{}', 'eu-west-1', EXAMPLE_CREDENTIALS, date));
  }

  it.each([
    'https://vpce-0123-abcd.secretsmanager.eu-west-1.vpce.amazonaws.com/prefix/a%20b',
    'https://proxy.example.com/prefix/',
    'https://proxy.example.com/a b/c%2Fd/%7Euser/',
    "https://proxy.example.com/!'()*/+=&$,;:@/",
    'https://proxy.example.com/caf%C3%A9/ä/%e2%82%ac',
    'https://proxy.example.com//double//slashes/',
    'https://proxy.example.com/a/./b/../c/%2E%2E/d',
    'https://proxy.example.com:8443/%25already%2520twice',
  ])('signs a custom endpoint with the path %s as the AWS SDK signer does (each segment encoded again)', async (endpoint) => {
    await expectSdkSignature(new URL(endpoint));
  });

  it('canonicalizes /prefix/a%20b as /prefix/a%2520b', () => {
    expect(canonicalUri('/prefix/a%20b')).toBe('/prefix/a%2520b');
    expect(canonicalUri('/')).toBe('/');
    expect(canonicalUri('')).toBe('/');
  });

  it('agrees with the AWS SDK signer on any path an endpoint URL may have', async () => {
    const segment = fc.string({ unit: 'binary', maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { maxLength: 5 }), fc.boolean(), async (segments, trailingSlash) => {
        const url = new URL(`https://proxy.example.com/${segments.join('/')}${trailingSlash ? '/' : ''}`);
        await expectSdkSignature(url);
      }),
      { numRuns: 300 },
    );
  });

  it('signs header values trimmed, inner runs of spaces collapsed, as the canonical request requires', async () => {
    const url = new URL('https://secretsmanager.us-east-1.amazonaws.com/');
    const headers = { ...JSON_HEADERS, 'x-amz-target': '  secretsmanager.GetSecretValue  ', 'x-extra': 'a   b' };
    const date = new Date('2026-01-01T00:00:00Z');
    const signed = signRequest({
      method: 'POST',
      url,
      headers,
      body: '{}',
      service: 'secretsmanager',
      region: 'us-east-1',
      credentials: EXAMPLE_CREDENTIALS,
      date,
    });
    expect(signed.authorization).toBe(await sdkAuthorization(url, headers, '{}', 'us-east-1', EXAMPLE_CREDENTIALS, date));
  });
});
