import { describe, expect, it } from 'vitest';
import { awsEndpoint } from '../../lambda/aws/aws-json-client.js';
import { DYNAMODB } from '../../lambda/aws/dynamodb.js';
import { canonicalUri } from '../../lambda/aws/sigv4.js';

/**
 * Behaviour of the signed AWS calls' endpoint rules and canonical path that the mutation run left
 * open (docs/mutation-testing.md): which configured endpoints are believed, how flags and regions
 * are read, and the path segments SigV4 drops or applies.
 */
const endpoint = (env: Record<string, string>, region = 'eu-west-1') => awsEndpoint(DYNAMODB, env, region);
const refusal = (env: Record<string, string>, region = 'eu-west-1') => {
  try {
    endpoint(env, region);
  } catch (error) {
    return error as Error & { name: string };
  }
  throw new Error('expected the endpoint to be refused');
};

describe('a configured endpoint', () => {
  it.each(['http://localhost:8000/', 'http://[::1]:8000/', 'http://127.0.0.1:8000/'])(
    'accepts plain http on the loopback name %s',
    (url) => {
      expect(endpoint({ AWS_ENDPOINT_URL_DYNAMODB: url }).href).toBe(url);
    },
  );

  it.each(['http://localhost.example.com:8000/', 'http://10.0.0.1:8000/'])('refuses plain http off loopback: %s', (url) => {
    expect(refusal({ AWS_ENDPOINT_URL_DYNAMODB: url })).toMatchObject({ name: 'InvalidConfiguration' });
  });

  it.each([
    ['a user name alone', 'https://user@dynamodb.example.com/'],
    ['a password alone', 'https://:secret-password@dynamodb.example.com/'],
  ])('refuses an endpoint carrying %s, without echoing it', (_what, url) => {
    const error = refusal({ AWS_ENDPOINT_URL_DYNAMODB: url });
    expect(error.message).toMatch(/without credentials or query/);
    expect(error.message).not.toContain('secret-password');
  });
});

describe('flags and regions', () => {
  it('reads an empty AWS_USE_FIPS_ENDPOINT and AWS_USE_DUALSTACK_ENDPOINT as false', () => {
    expect(endpoint({ AWS_USE_FIPS_ENDPOINT: '', AWS_USE_DUALSTACK_ENDPOINT: '' }).host).toBe('dynamodb.eu-west-1.amazonaws.com');
  });

  it('names at most 20 characters of a flag it cannot read', () => {
    const error = refusal({ AWS_USE_FIPS_ENDPOINT: `yes${'x'.repeat(40)}` });
    expect(error.message).toContain(`"yes${'x'.repeat(17)}"`);
    expect(error.message).not.toContain('x'.repeat(18));
  });

  it('names at most 40 characters of a region it cannot read', () => {
    const error = refusal({}, `EU_${'W'.repeat(60)}`);
    expect(error.message).toContain(`"EU_${'W'.repeat(37)}"`);
    expect(error.message).not.toContain('W'.repeat(38));
  });
});

describe('the canonical path SigV4 signs', () => {
  it('drops empty and . segments', () => {
    expect(canonicalUri('/prefix//a/./b/')).toBe('/prefix/a/b/');
  });

  it('applies .. segments', () => {
    expect(canonicalUri('/prefix/a/../b')).toBe('/prefix/b');
    expect(canonicalUri('/../a')).toBe('/a');
  });
});
