import { describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../lambda/authorizer.js';
import { readAuthorizerEvent } from '../../lambda/authorizer-event.js';
import { denyInvalidToken, simpleAnswer } from '../../lambda/authorizer-response.js';
import { loadConfig } from '../../lambda/config.js';
import {
  AuthorizerEventInvalidError,
  ClientCredentialsRejectedError,
  ClientCredentialsUnavailableError,
  ConfigurationInvalidError,
  errorCode,
  IntrospectionRequestFailedError,
  IntrospectionResponseInvalidError,
} from '../../lambda/errors.js';
import { roundMs, writeDecisionLog } from '../../lambda/observability/decision-log.js';
import { redactUserinfo } from '../../lambda/redact-url.js';
import { httpApiEvent, httpApiV1Event, restEvent } from '../support/fixtures.js';
import { decisionLines } from '../support/log-capture.js';

/**
 * Reading the event and shaping the answer: behaviours mutation testing found without a test
 * that pins them (see README, Development, Mutation testing).
 */
describe('readAuthorizerEvent', () => {
  it.each([
    [null, 'authorizer event must be an object'],
    ['REQUEST', 'authorizer event must be an object'],
    [{}, 'authorizer event type must be REQUEST; received undefined'],
    [{ type: 'TOKEN' }, 'authorizer event type must be REQUEST; received "TOKEN"'],
    [{ type: 'REQUEST', version: '2.0', routeKey: 7 }, 'payload 2.0 authorizer event must carry a routeKey'],
    [
      { type: 'REQUEST', methodArn: 'arn', httpMethod: 'GET' },
      'REST and payload 1.0 authorizer events must carry methodArn, httpMethod and resource',
    ],
    [
      { type: 'REQUEST', methodArn: 'arn', resource: '/x' },
      'REST and payload 1.0 authorizer events must carry methodArn, httpMethod and resource',
    ],
    [
      { type: 'REQUEST', httpMethod: 'GET', resource: '/x' },
      'REST and payload 1.0 authorizer events must carry methodArn, httpMethod and resource',
    ],
  ])('rejects %j', (event, message) => {
    expect(() => readAuthorizerEvent(event)).toThrow(expect.objectContaining({ code: 'ERR_EVENT_INVALID', message }));
  });

  it('reads an HTTP API payload 2.0 event as simple, keyed by its routeKey', () => {
    expect(readAuthorizerEvent(httpApiEvent('Bearer abc', 'ANY /x'))).toEqual({
      format: 'simple',
      routeKey: 'ANY /x',
      authorization: 'Bearer abc',
      methodArn: undefined,
      httpMethod: undefined,
      resource: undefined,
      apiId: 'api-id',
      presentation: {
        dpop: undefined,
        method: 'GET',
        domainName: 'id.execute-api.us-east-1.amazonaws.com',
        path: '/x',
        clientCertPem: 'CERT_CONTENT',
      },
    });
  });

  it('reads REST and payload 1.0 events as policy, keyed by method and resource', () => {
    expect(readAuthorizerEvent(restEvent('Bearer abc', 'POST', '/orders/{id}', '/orders/7'))).toEqual({
      format: 'policy',
      routeKey: 'POST /orders/{id}',
      authorization: 'Bearer abc',
      methodArn: 'arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/POST/orders/7',
      httpMethod: 'POST',
      resource: '/orders/{id}',
      apiId: 's4x3opwd6i',
      presentation: {
        dpop: undefined,
        method: 'POST',
        domainName: '....execute-api.us-east-1.amazonaws.com',
        path: '/request',
        clientCertPem: undefined,
      },
    });
    expect(readAuthorizerEvent(httpApiV1Event('Bearer abc'))).toMatchObject({ format: 'policy', routeKey: 'GET /request' });
  });

  it('joins every Authorization value with commas, whatever the header case, multiValueHeaders first', () => {
    const event = (headers: unknown, multiValueHeaders: unknown) => ({
      type: 'REQUEST',
      version: '2.0',
      routeKey: '$default',
      headers,
      multiValueHeaders,
    });
    const read = (headers: unknown, multi: unknown) => readAuthorizerEvent(event(headers, multi)).authorization;
    expect(read({ Authorization: 'Bearer a', authorization: 'Bearer b' }, undefined)).toBe('Bearer a,Bearer b');
    expect(read({ authorization: 'Bearer h' }, { AUTHORIZATION: ['Bearer m1', 'Bearer m2'] })).toBe('Bearer m1,Bearer m2');
    expect(read({ authorization: 'Bearer h' }, { authorization: undefined })).toBe('Bearer h');
    expect(read({ authorization: 'Bearer h' }, {})).toBe('Bearer h');
    expect(read({ authorizations: 'Bearer x', authorizatio: 'Bearer y', 'x-authorization': 'Bearer z' }, null)).toBeUndefined();
    expect(read({ authorization: undefined }, null)).toBeUndefined();
    expect(read(null, null)).toBeUndefined();
  });
});

describe('authorizer answers', () => {
  const context = { jwt: 'h.p.s' };

  it('answers HTTP API payload 2.0 without a route table with simple responses, and an invalid REST token with Unauthorized', () => {
    const request = readAuthorizerEvent(httpApiEvent('Bearer abc'));
    expect(simpleAnswer(true, context)).toEqual({ isAuthorized: true, context });
    expect(simpleAnswer(false, context)).toStrictEqual({ isAuthorized: false });
    expect(denyInvalidToken(request)).toEqual({ isAuthorized: false });
    expect(() => denyInvalidToken(readAuthorizerEvent(restEvent('Bearer abc', 'GET', '/x')))).toThrow(/^Unauthorized$/);
  });
});

describe('decision lines', () => {
  it('round milliseconds to three decimals', () => {
    expect(roundMs(1.23456)).toBe(1.235);
    expect(roundMs(0.0004)).toBe(0);
  });

  it('print a token as the first 12 hex characters of its hash, and nothing of a line without one', async () => {
    writeDecisionLog({ outcome: 'deny', reason: 'missing', routeKey: 'GET /line-test' });
    writeDecisionLog({ outcome: 'deny', reason: 'inactive', routeKey: 'GET /line-test', tokenHash: '_-8AAQID_x' });
    const lines = (await decisionLines()).filter((line) => line.routeKey === 'GET /line-test');
    expect(lines).toEqual([
      { outcome: 'deny', reason: 'missing', routeKey: 'GET /line-test' },
      { outcome: 'deny', reason: 'inactive', routeKey: 'GET /line-test', tokenId: 'ffef00010203' },
    ]);
  });
});

describe('an unexpected failure', () => {
  it('fails (500) with reason ERR_INTERNAL in its line, not a code of the authorizer', async () => {
    const unusedSecretsManager = { getSecretString: () => Promise.reject(new Error('not called in this test')) };
    const authorizer = createAuthorizer(
      { INTROSPECTION_ENDPOINT: 'http://127.0.0.1:9/introspect', CLIENT_CREDENTIALS_SECRET: 'unused' },
      unusedSecretsManager,
    );
    const headers = new Proxy(
      {},
      {
        ownKeys() {
          throw new TypeError('headers cannot be listed');
        },
      },
    );
    await expect(authorizer({ type: 'REQUEST', version: '2.0', routeKey: 'GET /internal-test', headers })).rejects.toThrow(
      'headers cannot be listed',
    );
    expect((await decisionLines()).at(-1)).toMatchObject({
      outcome: 'error',
      reason: 'ERR_INTERNAL',
      message: 'headers cannot be listed',
    });
  });
});

describe('endpoint URLs', () => {
  const config = (endpoint: string) => () => loadConfig({ INTROSPECTION_ENDPOINT: endpoint, CLIENT_CREDENTIALS_SECRET: 's' });

  it.each(['http://127.0.0.1:8080/introspect', 'http://localhost:8080/introspect', 'http://[::1]:8080/introspect'])(
    'accepts plain http on the loopback host of %s',
    (endpoint) => {
      expect(config(endpoint)().introspectionEndpoint.href).toBe(endpoint);
    },
  );

  it.each(['http://user@127.0.0.1/introspect', 'http://:pass@127.0.0.1/introspect'])(
    'rejects a user or a password alone in %s',
    (endpoint) => {
      expect(config(endpoint)).toThrow(
        expect.objectContaining({
          code: 'ERR_CONFIGURATION_INVALID',
          message: expect.stringMatching(
            /^INTROSPECTION_ENDPOINT must not carry credentials in the URL; received "http:\/\/\*\*\*@127\.0\.0\.1\/introspect"$/,
          ),
        }),
      );
    },
  );

  it('rejects another scheme even on the loopback host', () => {
    expect(config('ftp://127.0.0.1/introspect')).toThrow(
      'INTROSPECTION_ENDPOINT must use https (plain http only for 127.0.0.1 or localhost); received "ftp://127.0.0.1/introspect"',
    );
  });

  it('reads an empty number variable as unset', () => {
    expect(
      loadConfig({ INTROSPECTION_ENDPOINT: 'https://idp.example', CLIENT_CREDENTIALS_SECRET: 's', CACHE_MAX_TTL_SECONDS: '' }),
    ).toMatchObject({
      cacheMaxTtlSeconds: 300,
    });
  });
});

describe('redactUserinfo', () => {
  it.each([
    ['https://user:pw@idp.example/x', 'https://***@idp.example/x'],
    ['a:@b', 'a:***@b'],
    ['1user:pw@host', '***@host'],
    ['junk http://user:pw@host', '***@host'],
    ['https://idp.example/x', 'https://idp.example/x'],
  ])('shows %j as %j', (value, shown) => {
    expect(redactUserinfo(value)).toBe(shown);
  });
});

describe('errors', () => {
  it.each([
    [ConfigurationInvalidError, 'ConfigurationInvalidError', 'ERR_CONFIGURATION_INVALID'],
    [IntrospectionRequestFailedError, 'IntrospectionRequestFailedError', 'ERR_INTROSPECTION_REQUEST_FAILED'],
    [IntrospectionResponseInvalidError, 'IntrospectionResponseInvalidError', 'ERR_INTROSPECTION_RESPONSE_INVALID'],
    [ClientCredentialsRejectedError, 'ClientCredentialsRejectedError', 'ERR_CLIENT_CREDENTIALS_REJECTED'],
    [ClientCredentialsUnavailableError, 'ClientCredentialsUnavailableError', 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE'],
    [AuthorizerEventInvalidError, 'AuthorizerEventInvalidError', 'ERR_EVENT_INVALID'],
  ])('%o is named %s and carries %s', (ErrorClass, name, code) => {
    const error = new ErrorClass('message');
    expect(error).toMatchObject({ name, code, message: 'message' });
    expect(errorCode(error)).toBe(code);
  });
});
