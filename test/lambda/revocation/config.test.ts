import { describe, expect, it, vi } from 'vitest';
import { DEFAULTS, MAX_FLUSH_STAGES, REVOCATION_LIMITS } from '../../../lambda/environment.js';
import { loadRevocationConfig } from '../../../lambda/revocation/config.js';
import { createRevocationReceiver } from '../../../lambda/revocation/receiver.js';
import { capturedOutput, rememberSecret } from '../../support/log-capture.js';
import { AUDIENCE, answer, deliveryEvent, ISSUER, logSink, TABLE } from './harness.js';

const VALID = {
  REVOCATION_ISSUER: ISSUER,
  REVOCATION_JWKS_URI: 'https://idp.example.com/jwks',
  REVOCATION_AUDIENCE: AUDIENCE,
  SHARED_CACHE_TABLE: TABLE,
};

const loads = (changes: Record<string, string | undefined>) => () => loadRevocationConfig({ ...VALID, ...changes });
const refusal = (message: string) =>
  expect.objectContaining({ code: 'ERR_CONFIGURATION_INVALID', name: 'ConfigurationInvalidError', message });

describe('loadRevocationConfig', () => {
  it('reads the required variables and defaults the optional ones', () => {
    expect(loadRevocationConfig(VALID)).toEqual({
      issuer: ISSUER,
      jwksUri: new URL('https://idp.example.com/jwks'),
      audience: AUDIENCE,
      table: TABLE,
      flushStages: [],
      flushRepeatSeconds: DEFAULTS.revocationFlushRepeatSeconds,
      timeoutMs: DEFAULTS.revocationTimeoutMs,
    });
    expect(DEFAULTS.revocationFlushRepeatSeconds).toBe(DEFAULTS.sharedCacheMemoryTtlSeconds + 1);
  });

  it('reads flush stages, the repeat and the timeout, and a table ARN', () => {
    const arn = 'arn:aws:dynamodb:eu-west-1:111122223333:table/phantom-shared-cache';
    expect(
      loadRevocationConfig({
        ...VALID,
        SHARED_CACHE_TABLE: arn,
        REVOCATION_FLUSH_STAGES: '[{"restApiId":"a1b2c3d4e5","stage":"prod"},{"restApiId":"a1b2c3d4e5","stage":"test_2"}]',
        REVOCATION_FLUSH_REPEAT_SECONDS: '0',
        REVOCATION_TIMEOUT_MS: '9000',
      }),
    ).toMatchObject({
      table: arn,
      flushStages: [
        { restApiId: 'a1b2c3d4e5', stage: 'prod' },
        { restApiId: 'a1b2c3d4e5', stage: 'test_2' },
      ],
      flushRepeatSeconds: 0,
      timeoutMs: 9000,
    });
  });

  it.each(['REVOCATION_ISSUER', 'REVOCATION_JWKS_URI', 'REVOCATION_AUDIENCE', 'SHARED_CACHE_TABLE'])('requires %s', (name) => {
    expect(loads({ [name]: undefined })).toThrow(refusal(`${name} is required`));
    expect(loads({ [name]: '  ' })).toThrow(refusal(`${name} is required`));
  });

  it.each([
    [
      'http://idp.example.com/jwks',
      'REVOCATION_JWKS_URI must use https (plain http only for 127.0.0.1 or localhost); received "http://idp.example.com/jwks"',
    ],
    ['jwks.json', 'REVOCATION_JWKS_URI must be an absolute URL; received "jwks.json"'],
    [
      'https://user:hunter2-password@idp.example.com/jwks',
      'REVOCATION_JWKS_URI must not carry credentials in the URL; received "https://***@idp.example.com/jwks"',
    ],
    [
      'https://idp.example.com:99999/jwks?key=hunter2-password',
      'REVOCATION_JWKS_URI must be an absolute URL; received "https://idp.example.com:99999/jwks?***"',
    ],
  ])('refuses the JWKS URI %s, never echoing a credential', (value, message) => {
    rememberSecret('hunter2-password');
    expect(loads({ REVOCATION_JWKS_URI: value })).toThrow(refusal(message));
  });

  it('accepts a plain-http JWKS on loopback', () => {
    expect(loadRevocationConfig({ ...VALID, REVOCATION_JWKS_URI: 'http://127.0.0.1:8080/jwks' }).jwksUri.href).toBe(
      'http://127.0.0.1:8080/jwks',
    );
  });

  it.each(['ab', 'my table', 'arn:aws:s3:::bucket'])('refuses the table %j', (value) => {
    expect(loads({ SHARED_CACHE_TABLE: value })).toThrow(
      refusal(
        `SHARED_CACHE_TABLE must be a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ . -) or a table ARN; received ${JSON.stringify(value)}`,
      ),
    );
  });

  it.each([
    ['not json', 'REVOCATION_FLUSH_STAGES must be a JSON array; received a value that is not JSON'],
    [
      '{"restApiId":"a1b2c3d4e5","stage":"prod"}',
      `REVOCATION_FLUSH_STAGES must be a JSON array of at most ${MAX_FLUSH_STAGES} {"restApiId","stage"} objects; received {"restApiId":"a1b2c3d4e5","stage":"prod"}`,
    ],
    [
      '[{"restApiId":"A1B2C3D4E5","stage":"prod"}]',
      'REVOCATION_FLUSH_STAGES[0] must be {"restApiId": 10 lower-case letters or digits, "stage": 1 to 128 of A-Z a-z 0-9 _ -}; received {"restApiId":"A1B2C3D4E5","stage":"prod"}',
    ],
    [
      '[{"restApiId":"a1b2c3d4e5","stage":"prod/x"}]',
      'REVOCATION_FLUSH_STAGES[0] must be {"restApiId": 10 lower-case letters or digits, "stage": 1 to 128 of A-Z a-z 0-9 _ -}; received {"restApiId":"a1b2c3d4e5","stage":"prod/x"}',
    ],
    [
      '[{"restApiId":"a1b2c3d4e5","stage":"prod","region":"x"}]',
      'REVOCATION_FLUSH_STAGES[0] must be {"restApiId": 10 lower-case letters or digits, "stage": 1 to 128 of A-Z a-z 0-9 _ -}; received {"restApiId":"a1b2c3d4e5","stage":"prod","region":"x"}',
    ],
    [
      '["a1b2c3d4e5/prod"]',
      'REVOCATION_FLUSH_STAGES[0] must be {"restApiId": 10 lower-case letters or digits, "stage": 1 to 128 of A-Z a-z 0-9 _ -}; received "a1b2c3d4e5/prod"',
    ],
    [
      '[{"restApiId":"a1b2c3d4e5","stage":"prod"},{"restApiId":"a1b2c3d4e5","stage":"prod"}]',
      'REVOCATION_FLUSH_STAGES[1] repeats stage "a1b2c3d4e5/prod"',
    ],
  ])('refuses the flush stages %s', (value, message) => {
    expect(loads({ REVOCATION_FLUSH_STAGES: value })).toThrow(refusal(message));
  });

  it(`refuses more than ${MAX_FLUSH_STAGES} flush stages`, () => {
    const stages = Array.from({ length: MAX_FLUSH_STAGES + 1 }, (_, i) => ({ restApiId: 'a1b2c3d4e5', stage: `s${i}` }));
    expect(loads({ REVOCATION_FLUSH_STAGES: JSON.stringify(stages) })).toThrow(
      /^REVOCATION_FLUSH_STAGES must be a JSON array of at most 20/,
    );
  });

  it.each([
    ['REVOCATION_FLUSH_REPEAT_SECONDS', String(REVOCATION_LIMITS.flushRepeatSeconds.max + 1), 0, 301],
    ['REVOCATION_FLUSH_REPEAT_SECONDS', '-1', 0, 301],
    ['REVOCATION_TIMEOUT_MS', '99', 100, 9000],
    ['REVOCATION_TIMEOUT_MS', '9001', 100, 9000],
    ['REVOCATION_TIMEOUT_MS', '1e3', 100, 9000],
  ])('refuses %s=%s', (name, value, min, max) => {
    expect(loads({ [name]: value })).toThrow(
      refusal(`${name} must be an integer from ${min} to ${max}; received ${JSON.stringify(value)}`),
    );
  });
});

describe('a receiver that cannot start', () => {
  it('answers every delivery 500, logs why once at cold start and on every delivery, and never echoes a credential', async () => {
    const log = logSink();
    const handle = createRevocationReceiver(
      { ...VALID, REVOCATION_JWKS_URI: 'https://jwks-user:hunter2-password@idp.example.com/jwks' },
      { write: log.write },
    );
    const message = 'REVOCATION_JWKS_URI must not carry credentials in the URL; received "https://***@idp.example.com/jwks"';
    expect(log.lines()).toEqual([{ revocation: 'error', reason: 'ERR_CONFIGURATION_INVALID', message }]);
    for (let i = 0; i < 2; i++) {
      expect(answer(await handle(deliveryEvent('a.b.c')))).toEqual({
        status: 500,
        headers: { 'content-type': 'application/json' },
        body: { description: 'the revocation receiver is misconfigured; its log says why' },
      });
    }
    expect(log.lines().slice(1)).toEqual([
      expect.objectContaining({ revocation: 'error', reason: 'ERR_CONFIGURATION_INVALID', status: 500, message }),
      expect.objectContaining({ revocation: 'error', reason: 'ERR_CONFIGURATION_INVALID', status: 500, message }),
    ]);
    expect(log.text.join('')).not.toContain('hunter2');
  });

  it.each([
    [{ AWS_REGION: 'eu west' }, 'AWS_REGION must be a region name; received "eu west"'],
    [
      { AWS_ENDPOINT_URL_DYNAMODB: 'http://ddb.example.com' },
      'the configured DynamoDB endpoint must be https (http only on loopback), without credentials or query; received http://ddb.example.com',
    ],
    [
      {
        REVOCATION_FLUSH_STAGES: '[{"restApiId":"a1b2c3d4e5","stage":"prod"}]',
        AWS_ENDPOINT_URL_API_GATEWAY: 'https://u:hunter2-password@apigw.example.com',
      },
      'the configured API Gateway endpoint must be https (http only on loopback), without credentials or query; received https://***@apigw.example.com',
    ],
  ])('fails at cold start on an AWS setting it cannot use (%j)', async (env, message) => {
    const log = logSink();
    const handle = createRevocationReceiver({ AWS_REGION: 'eu-west-1', ...VALID, ...env }, { write: log.write });
    expect(log.lines()).toEqual([{ revocation: 'error', reason: 'ERR_CONFIGURATION_INVALID', message }]);
    expect(answer(await handle(deliveryEvent('a.b.c'))).status).toBe(500);
  });

  it('is what the handler module exports when the environment is missing', async () => {
    vi.resetModules();
    const saved = { ...process.env };
    for (const name of Object.keys(VALID)) delete process.env[name];
    try {
      const { handler } = await import('../../../lambda/revocation/handler.js');
      expect(answer(await handler(deliveryEvent('a.b.c'))).status).toBe(500);
      expect(capturedOutput()).toContain(
        '{"revocation":"error","reason":"ERR_CONFIGURATION_INVALID","message":"REVOCATION_ISSUER is required"}',
      );
    } finally {
      process.env = saved;
    }
  });
});
