/**
 * Configuration edges, a header, the credentials' failure message, an error's name and a method
 * outside the seven on a route cached per route: tests written from the survivors of the mutation
 * run (docs/mutation-testing.md, "Need a test"), each checked against its mutant applied by hand.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyResponse } from '../../lambda/authorizer-response.js';
import { parseAuthorizationHeader } from '../../lambda/bearer-token.js';
import { ClientCredentialsProvider } from '../../lambda/client-credentials.js';
import { loadConfig } from '../../lambda/config.js';
import { DPOP_ALGORITHMS } from '../../lambda/environment.js';
import { DynamoDbReplayStore } from '../../lambda/sender-constraints/replay-dynamodb.js';
import { planRouteTable } from '../../lib/route-table-plan.js';
import { policyDecision, readPolicy } from '../../local/iam-policy.js';
import { httpApiEvent } from '../support/fixtures.js';
import { decisionLines, rememberSecret } from '../support/log-capture.js';
import { type Peers, startPeers } from '../support/peers.js';

const base = { INTROSPECTION_ENDPOINT: 'https://idp.example.com/introspect', CLIENT_CREDENTIALS_SECRET: 'phantom/client' };
const BASE_URL_RULE = 'must be an absolute https URL without query, fragment or credentials';

/** The configuration's public base URLs with one domain mapped to `url`. */
const baseUrls = (url: string) => ({ ...base, DPOP_PUBLIC_BASE_URLS: JSON.stringify({ 'api.example.com': url }) });

describe('loadConfig: SHARED_CACHE_TABLE as a table ARN', () => {
  it.each([
    'arn:aws:dynamodb:eu-west-1:123456789012:table/phantom-cache',
    'arn:aws-cn:dynamodb:cn-north-1:123456789012:table/phantom-cache',
    'arn:aws-us-gov:dynamodb:us-gov-west-1:123456789012:table/phantom-cache',
    'arn:aws-iso-b:dynamodb:us-isob-east-1:123456789012:table/phantom-cache',
    'arn:aws:dynamodb:ap-southeast-10:123456789012:table/phantom-cache',
  ])('accepts the ARN %s (every partition, a region of several parts or two digits)', (arn) => {
    expect(loadConfig({ ...base, SHARED_CACHE_TABLE: arn }).sharedCacheTable).toBe(arn);
  });

  it.each([
    ['a prefix before arn:', 'xarn:aws:dynamodb:eu-west-1:123456789012:table/phantom-cache'],
    ['an index after the table', 'arn:aws:dynamodb:eu-west-1:123456789012:table/phantom-cache/index/by-user'],
    ['a stream after the table', 'arn:aws:dynamodb:eu-west-1:123456789012:table/phantom-cache/stream/2026-12-07T00:00:00.000'],
  ])('refuses an ARN with %s, naming the variable', (_what, arn) => {
    expect(() => loadConfig({ ...base, SHARED_CACHE_TABLE: arn })).toThrow(/^SHARED_CACHE_TABLE must be a DynamoDB table name/);
  });
});

describe('loadConfig: an empty optional variable is as good as unset', () => {
  it('reads an empty SHARED_CACHE_TABLE as no shared cache', () => {
    expect(loadConfig({ ...base, SHARED_CACHE_TABLE: '' }).sharedCacheTable).toBeUndefined();
  });

  it('reads an empty API_AUDIENCES and an empty DPOP_PUBLIC_BASE_URLS as empty maps', () => {
    const config = loadConfig({ ...base, API_AUDIENCES: '', DPOP_PUBLIC_BASE_URLS: '' });
    expect(config.apiAudiences.size).toBe(0);
    expect(config.dpopPublicBaseUrls.size).toBe(0);
  });

  it.each(['', '   '])('reads DPOP_ALGORITHMS %j as every algorithm the function knows', (value) => {
    expect(loadConfig({ ...base, DPOP_ALGORITHMS: value }).dpopAlgorithms).toEqual(DPOP_ALGORITHMS);
  });
});

describe('loadConfig: a JSON map refuses an empty key', () => {
  it('refuses API_AUDIENCES with an empty API id, naming the key', () => {
    expect(() => loadConfig({ ...base, API_AUDIENCES: '{"":"orders"}' })).toThrow(
      expect.objectContaining({
        name: 'ConfigurationInvalidError',
        message: 'API_AUDIENCES[""] must be a non-empty string; received "orders"',
      }),
    );
  });

  it('refuses DPOP_PUBLIC_BASE_URLS with an empty domain, naming the key', () => {
    expect(() => loadConfig({ ...base, DPOP_PUBLIC_BASE_URLS: '{"":"https://api.example.com"}' })).toThrow(
      `DPOP_PUBLIC_BASE_URLS[""] ${BASE_URL_RULE}; received "https://api.example.com"`,
    );
  });
});

describe('loadConfig: DPOP_PUBLIC_BASE_URLS takes https, and plain http only on loopback', () => {
  it.each(['http://127.0.0.1:8080/v1', 'http://localhost:3000', 'http://[::1]:8443/base'])('accepts the loopback base URL %s', (url) => {
    expect(loadConfig(baseUrls(url)).dpopPublicBaseUrls.get('api.example.com')).toBe(url);
  });

  it.each([
    ['a value that is no URL', 'not a url', '"not a url"'],
    ['plain http off loopback', 'http://api.example.com', '"http://api.example.com"'],
    ['another scheme on 127.0.0.1', 'ftp://127.0.0.1/v1', '"ftp://127.0.0.1/v1"'],
    ['a websocket scheme on localhost', 'ws://localhost:8080', '"ws://localhost:8080"'],
    ['a user name alone', 'https://deployer@api.example.com/v1', '"https://***@api.example.com/v1"'],
  ])('refuses %s, naming the domain and the rule', (_what, url, shown) => {
    expect(() => loadConfig(baseUrls(url))).toThrow(
      expect.objectContaining({
        name: 'ConfigurationInvalidError',
        message: `DPOP_PUBLIC_BASE_URLS["api.example.com"] ${BASE_URL_RULE}; received ${shown}`,
      }),
    );
  });

  it('refuses a password without a user name, without showing it', () => {
    const password = rememberSecret('base-url-pa55-alone');
    expect(() => loadConfig(baseUrls(`https://:${password}@api.example.com/v1`))).toThrow(
      `DPOP_PUBLIC_BASE_URLS["api.example.com"] ${BASE_URL_RULE}; received "https://***@api.example.com/v1"`,
    );
  });
});

describe('parseAuthorizationHeader: DPoP credentials are one token68', () => {
  it('refuses "DPoP a b" as malformed, where "DPoP b" parses', () => {
    expect(parseAuthorizationHeader('DPoP a b')).toEqual({ ok: false, reason: 'malformed' });
    expect(parseAuthorizationHeader('DPoP b')).toEqual({ ok: true, scheme: 'DPoP', token: 'b' });
  });

  it('takes "DPoP" and its token apart by one or more spaces (RFC 9449 §7.1)', () => {
    expect(parseAuthorizationHeader('DPoP  b64token')).toEqual({ ok: true, scheme: 'DPoP', token: 'b64token' });
  });

  it('refuses "DPoP" alone as malformed DPoP, not as another scheme', () => {
    expect(parseAuthorizationHeader('DPoP')).toEqual({ ok: false, reason: 'malformed' });
  });

  it('reads a Bearer token that ends in "dpop" as Bearer: the scheme is the header\'s first word', () => {
    expect(parseAuthorizationHeader('Bearer abcdpop')).toEqual({ ok: true, scheme: 'Bearer', token: 'abcdpop' });
  });
});

describe('ClientCredentialsProvider: a read it cannot even ask says why', () => {
  it('gives the InvalidConfiguration detail of an unusable Secrets Manager endpoint in its message', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = 'sm.example.com';
    try {
      await expect(new ClientCredentialsProvider('reader/client', 300, 1_000).get()).rejects.toMatchObject({
        name: 'ClientCredentialsUnavailableError',
        code: 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE',
        message:
          'could not read the secret CLIENT_CREDENTIALS_SECRET names: InvalidConfiguration (the configured Secrets Manager endpoint URL is not an absolute URL; received sm.example.com)',
      });
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
      else process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = saved;
    }
  });
});

describe('ReplayStoreUnavailableError: a shared replay store that cannot say fails by name', () => {
  it('rejects a claim it cannot even ask with ReplayStoreUnavailableError, by name and code', async () => {
    const store = new DynamoDbReplayStore('replay', 1_000, {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
    });
    const refusal = await store.claim('proof-key', Date.now() / 1000 + 60).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toMatchObject({ name: 'ReplayStoreUnavailableError', code: 'ERR_REPLAY_STORE_UNAVAILABLE' });
    expect(String(refusal)).toMatch(/^ReplayStoreUnavailableError: could not record a DPoP proof in DynamoDB table replay: /);
  });
});

describe('the authorizer: a method outside the seven on a route cached per route', () => {
  const STAGE = 'arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/';
  const SEVEN = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];
  let dir: string;
  let peers: Peers;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mutation-config-test-'));
    peers = await startPeers();
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await peers?.close();
  });

  it('denies PURGE yet answers the token’s cacheable Allow of the seven methods, not a Deny of the stage', async () => {
    const plan = planRouteTable(new Map([['ANY /x', ['read']]]), [
      { name: 'Api', guardedRouteKeys: ['ANY /x'], allRouteKeys: new Set(['ANY /x']), lookup: 'http' },
    ]);
    const table = JSON.parse(plan.json);
    for (const route of table.routes) route.group = 'route';
    const file = join(dir, 'per-route.json');
    writeFileSync(file, JSON.stringify(table));
    const event = httpApiEvent(`Bearer ${await peers.token('read')}`, 'ANY /x') as { requestContext: { http: object } };
    const purge = {
      ...event,
      routeArn: `${STAGE}PURGE/x`,
      requestContext: { ...event.requestContext, http: { ...event.requestContext.http, method: 'PURGE' } },
    };
    const answer = (await peers.authorizer({ ROUTE_SCOPES: '', ROUTE_TABLE_FILE: file })(purge)) as PolicyResponse;
    rememberSecret(answer.context?.jwt as string);
    expect((await decisionLines()).at(-1)).toMatchObject({ outcome: 'deny', reason: 'unknown_method', routeKey: 'ANY /x' });
    expect(answer.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: SEVEN.map((method) => `${STAGE}${method}/*`) },
    ]);
    expect(policyDecision(readPolicy(answer) ?? [], `${STAGE}PURGE/x`)).toBe('implicit-deny');
  });
});
