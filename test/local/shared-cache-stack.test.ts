import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_PREFIX, TOKEN_ITEM } from '../../lambda/shared-cache/table-format.js';
import { DEFAULT_DEMO_CLIENT, type LocalSharedCache, type LocalStack, startLocalStack } from '../../local/local-stack.js';
import { localRestApiId, type Resources, readFunctions, readTables } from '../../local/template.js';
import { rememberSecret } from '../support/log-capture.js';

/**
 * `SHARED_CACHE=true npm start`'s flow (startLocalStack with `sharedCache`): the sample app with the
 * shared introspection cache and push revocation, its table in the local DynamoDB endpoint, the
 * revocation receiver behind its function URL, the OAuth server pushing a SET there on revocation,
 * and the REST stage flushed through the local API Gateway endpoint. One stack for the file; the
 * cases run in order on one token. Short caches so that the HTTP API's bound passes within the test:
 * decisions cached 10 s by both gateways, 2 s in an instance's memory.
 */
const RESULTS_TTL_SECONDS = 10;
const MEMORY_TTL_SECONDS = 2;

interface Decision {
  readonly instance: number;
  readonly line: Record<string, unknown>;
}

/**
 * Introspections the OAuth server received, counted where it receives them: every request its HTTP
 * server starts (Node's `http.server.request.start` channel; the server runs in this process) to
 * the phantom introspection endpoint.
 */
let introspectionsAtServer = 0;
const countIntrospection = (message: unknown) => {
  const request = (message as { request: http.IncomingMessage }).request;
  if (request.url === '/phantom/introspection' && request.socket.localPort === stack?.oauth.port) introspectionsAtServer += 1;
};

let stack: LocalStack;
let shared: LocalSharedCache;
let outdir: string;
const decisions: Decision[] = [];
let token: string;
let tokenHash: string;
/** When the receiver's mark of the token was seen in the table. */
let markedAt: number;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'phantom-shared-cache-'));
  stack = await startLocalStack({
    port: 0,
    restPort: 0,
    oauthPort: 0,
    outdir,
    sharedCache: true,
    sharedCacheMemoryTtlSeconds: MEMORY_TTL_SECONDS,
    // Room for a new instance's first table call on this shared machine (its connection): the case
    // below counts introspections, and a late table costs one by design.
    sharedCacheTimeoutMs: 2_000,
    resultsCacheTtlSeconds: RESULTS_TTL_SECONDS,
    onLog: (source, line, instance) => {
      process.stdout.write(`${line}\n`);
      if (!source.startsWith('PhantomToken') || source.includes('RevocationReceiver') || !line.startsWith('{')) return;
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed.outcome !== undefined) decisions.push({ instance, line: parsed });
    },
  });
  shared = stack.sharedCache as LocalSharedCache;
  subscribe('http.server.request.start', countIntrospection);
  token = rememberSecret(await stack.oauth.token(DEFAULT_DEMO_CLIENT.id, DEFAULT_DEMO_CLIENT.secret, 'read write'));
  tokenHash = createHash('sha256').update(token).digest('base64url');
}, 180_000);

afterAll(async () => {
  unsubscribe('http.server.request.start', countIntrospection);
  await stack?.close();
  if (outdir !== undefined) rmSync(outdir, { recursive: true, force: true });
});

/** The decision lines' `tokenId` of a token: the first 12 hex characters of its SHA-256. */
const tokenId = () => Buffer.from(tokenHash.slice(0, 8), 'base64url').toString('hex');
const decisionsOfToken = () => decisions.filter((d) => d.line.tokenId === tokenId());

async function status(url: string, method = 'GET'): Promise<number> {
  const response = await fetch(url, { method, headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(20_000) });
  await response.arrayBuffer();
  return response.status;
}

/** Asks every `everyMs` until `denied` answers true; resolves with when the deny came, or rejects past `limitMs`. */
async function firstDeny(ask: () => Promise<boolean>, everyMs: number, limitMs: number): Promise<number> {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    const sent = Date.now();
    if (await ask()) return sent;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`no deny within ${limitMs} ms`);
}

describe('npm start with SHARED_CACHE=true', () => {
  it('refuses a SHARED_CACHE that is neither true nor false, before starting anything', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', resolve(__dirname, '../../local/start.ts')], {
      env: { ...process.env, SHARED_CACHE: 'yes', PORT: '0', OAUTH_PORT: '0', REST_PORT: '0' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('error: SHARED_CACHE must be true or false (default false); received "yes".');
  });

  it('synthesizes the table, the receiver and the flushable REST stage, with the bounds it documents', () => {
    expect(shared.table).toMatch(/^local-PhantomTokenSharedCacheTable[A-Z0-9]+$/);
    expect(shared.revocationReceiverUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(shared.revocationReceiverUrl).not.toBe(stack.backendUrl);
    expect(shared.memoryTtlSeconds).toBe(MEMORY_TTL_SECONDS);
    expect(shared.flushRepeatSeconds).toBe(MEMORY_TTL_SECONDS + 1);
    expect(shared.revocationBoundSeconds).toEqual({ rest: MEMORY_TTL_SECONDS + 1, http: RESULTS_TTL_SECONDS + MEMORY_TTL_SECONDS });
  });

  it('introspects a token once across several authorizer instances: the others read the table', async () => {
    await stack.authorizerRunner.prewarm(4);
    const before = introspectionsAtServer;
    expect(await status(`${stack.url}/echo`)).toBe(200);
    expect(shared.dynamodb.item(shared.table, KEY_PREFIX.token + tokenHash)?.[TOKEN_ITEM.state]).toEqual({ S: 'active' });
    // At once, on both APIs and both scopes' routes: cache keys API Gateway has not seen, so the
    // authorizer runs for each, on the instances that are idle.
    const answers = await Promise.all([
      status(`${stack.restUrl}/echo`),
      status(`${stack.restUrl}/echo`, 'POST'),
      status(`${stack.url}/echo`, 'POST'),
      status(`${stack.restUrl}/backend`),
      status(`${stack.url}/backend`),
    ]);
    expect(answers).toEqual([200, 200, 200, 200, 200]);
    await new Promise((resolve) => setTimeout(resolve, 500)); // the last decision lines cross the pipe
    const seen = decisionsOfToken();
    const instances = new Set(seen.map((d) => d.instance));
    const introspected = seen.filter((d) => d.line.introspectionMs !== undefined);
    const fromTable = seen.filter((d) => d.line.sharedCache === 'hit');
    process.stdout.write(
      `shared cache: ${seen.length} decisions of the token on ${instances.size} instances; ${introspected.length} introspection, ${fromTable.length} table hits (sharedCacheMs ${fromTable.map((d) => d.line.sharedCacheMs).join(', ')})\n`,
    );
    expect(instances.size).toBeGreaterThanOrEqual(2);
    expect(fromTable.length).toBeGreaterThanOrEqual(1);
    expect(introspected).toHaveLength(1);
    // The one token of this case, introspected once, at the OAuth server too.
    expect(introspectionsAtServer - before).toBe(1);
  });

  it('marks a token revoked at the OAuth server in the table, and each API denies it within its documented bound', async () => {
    // Both gateways hold an allow of the token now (cached 10 s), and some instance may hold it in memory.
    expect(await status(`${stack.restUrl}/echo`)).toBe(200);
    expect(await status(`${stack.url}/echo`)).toBe(200);
    await stack.oauth.revoke(token, DEFAULT_DEMO_CLIENT.id, DEFAULT_DEMO_CLIENT.secret);
    const revokedAt = Date.now();
    markedAt = await firstDeny(
      async () => shared.dynamodb.item(shared.table, KEY_PREFIX.token + tokenHash)?.[TOKEN_ITEM.state]?.S === 'revoked',
      25,
      10_000,
    );
    const [restDenied, httpDenied] = await Promise.all([
      firstDeny(async () => (await status(`${stack.restUrl}/echo`)) === 401, 100, 30_000),
      firstDeny(async () => (await status(`${stack.url}/echo`)) === 403, 250, 30_000),
    ]);
    await stack.oauth.securityEventsSettled();
    const [push] = stack.oauth.securityEventPushes;
    process.stdout.write(
      `push revocation: marked ${markedAt - revokedAt} ms after the RFC 7009 answer; first deny REST +${restDenied - revokedAt} ms, HTTP API +${httpDenied - revokedAt} ms; ` +
        `REST stage flushed at +${shared.apiGateway.flushes.map((f) => f.atMs - revokedAt).join(', +')} ms\n`,
    );
    expect(push).toMatchObject({ outcome: 'delivered', tokenHash });
    // Within the documented bound from the mark (1 s for this machine's own latencies) …
    const slackMs = 1_000;
    expect(restDenied - markedAt).toBeLessThanOrEqual(shared.revocationBoundSeconds.rest * 1000 + slackMs);
    expect(httpDenied - markedAt).toBeLessThanOrEqual(shared.revocationBoundSeconds.http * 1000 + slackMs);
    // … and on REST sooner than its cached allow would have expired: the flush ended it.
    expect(restDenied - revokedAt).toBeLessThan(RESULTS_TTL_SECONDS * 1000);
    expect(shared.apiGateway.flushes).toEqual([expect.objectContaining({ stage: 'prod' }), expect.objectContaining({ stage: 'prod' })]);
    const [first, second] = shared.apiGateway.flushes.map((flush) => flush.atMs) as [number, number];
    expect(second - first).toBeGreaterThanOrEqual(shared.flushRepeatSeconds * 1000);
  }, 60_000);

  it('denies the revoked token on every route of both APIs after their bounds, without asking the OAuth server again', async () => {
    const before = decisionsOfToken().filter((d) => d.line.introspectionMs !== undefined).length;
    const untilPast = (seconds: number) =>
      new Promise((resolve) => setTimeout(resolve, Math.max(0, markedAt + seconds * 1000 - Date.now())));
    await untilPast(shared.revocationBoundSeconds.rest);
    expect(await status(`${stack.restUrl}/echo`, 'POST')).toBe(401);
    expect(await status(`${stack.restUrl}/backend`)).toBe(401);
    // POST /echo's decision (another cache entry: another scope) was cached by the HTTP API before the revocation.
    await untilPast(shared.revocationBoundSeconds.http);
    expect(await status(`${stack.url}/echo`, 'POST')).toBe(403);
    expect(await status(`${stack.url}/backend`)).toBe(403);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const seen = decisionsOfToken();
    expect(seen.filter((d) => d.line.introspectionMs !== undefined)).toHaveLength(before);
    expect(seen.some((d) => d.line.sharedCache === 'revoked')).toBe(true);
  }, 30_000);

  it('serves FlushStageAuthorizersCache only, signed, for a stage it knows', async () => {
    const flush = (path: string, headers: Record<string, string>) =>
      fetch(`${shared.apiGateway.endpoint}${path}`, { method: 'DELETE', headers }).then(async (r) => ({
        status: r.status,
        type: r.headers.get('x-amzn-errortype'),
        body: await r.text(),
      }));
    const signed = {
      authorization:
        'AWS4-HMAC-SHA256 Credential=local/20261207/us-east-1/apigateway/aws4_request, SignedHeaders=host;x-amz-date, Signature=' +
        '0'.repeat(64),
      'x-amz-date': '20261207T000000Z',
    };
    const restApiId = shared.apiGateway.flushes[0]?.restApiId ?? '';
    expect(await flush(`/restapis/${restApiId}/stages/prod/cache/authorizers`, {})).toMatchObject({
      status: 403,
      type: 'MissingAuthenticationTokenException',
    });
    expect(await flush(`/restapis/${restApiId}/stages/beta/cache/authorizers`, signed)).toMatchObject({
      status: 404,
      type: 'NotFoundException',
    });
    const before = shared.apiGateway.flushes.length;
    expect(await flush(`/restapis/${restApiId}/stages/prod/cache/authorizers`, signed)).toEqual({ status: 202, type: null, body: '' });
    expect(shared.apiGateway.flushes).toHaveLength(before + 1);
  });
});

describe('template.ts: the resources the shared cache adds, as the local flow stands them in', () => {
  const resources: Resources = {
    Cache: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      },
    },
    Named: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'my-table', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] } },
    Api: { Type: 'AWS::ApiGateway::RestApi', Properties: {} },
    Stage: { Type: 'AWS::ApiGateway::Stage', Properties: { RestApiId: { Ref: 'Api' }, StageName: 'prod' } },
    Fn: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Code: { S3Key: 'abc.zip' },
        Environment: {
          Variables: {
            TABLE: { Ref: 'Cache' },
            NAMED: { Ref: 'Named' },
            TABLE_ARN: { 'Fn::GetAtt': ['Cache', 'Arn'] },
            STAGES: { 'Fn::Join': ['', ['[{"restApiId":"', { Ref: 'Api' }, '","stage":"', { Ref: 'Stage' }, '"}]']] },
          },
        },
      },
    },
  };

  it('resolves a Ref to a table to its deterministic local name, and its ARN, in a function environment', () => {
    const env = readFunctions(resources, '/assembly').get('Fn')?.environment;
    expect(env).toMatchObject({
      TABLE: 'local-Cache',
      NAMED: 'my-table',
      TABLE_ARN: 'arn:aws:dynamodb:us-east-1:000000000000:table/local-Cache',
    });
    expect(readTables(resources)).toEqual([
      {
        logicalId: 'Cache',
        tableName: 'local-Cache',
        keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        ttlAttribute: 'expiresAt',
      },
      {
        logicalId: 'Named',
        tableName: 'my-table',
        keySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        attributeDefinitions: [],
        ttlAttribute: undefined,
      },
    ]);
  });

  it('resolves a REST API to a 10-character id shaped as API Gateway makes them, and a stage to its name', () => {
    const env = readFunctions(resources, '/assembly').get('Fn')?.environment;
    expect(localRestApiId('Api')).toMatch(/^[a-z0-9]{10}$/);
    expect(JSON.parse(env?.STAGES ?? '')).toEqual([{ restApiId: localRestApiId('Api'), stage: 'prod' }]);
  });
});
