import { createHash } from 'node:crypto';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULTS, MAX_FLUSH_STAGES } from '../../../lambda/environment.js';
import { loadRevocationConfig } from '../../../lambda/revocation/config.js';
import { MAX_SET_BYTES, readDelivery } from '../../../lambda/revocation/delivery.js';
import {
  RevocationUnavailableError,
  SecurityEventRefusedError,
  SecurityEventReplayedError,
  StageFlushFailedError,
} from '../../../lambda/revocation/errors.js';
import { createRevocationReceiver } from '../../../lambda/revocation/receiver.js';
import { RevocationTable } from '../../../lambda/revocation/revocation-table.js';
import { StageFlusher } from '../../../lambda/revocation/stage-flush.js';
import { emfProblems, extractMetrics } from '../../../local/emf-validator.js';
import {
  type ApiGatewayStandIn,
  AUDIENCE,
  accessToken,
  answer,
  CREDENTIALS,
  type DynamoDbStandIn,
  deliveryEvent,
  type FlushingReceiverPeers,
  ISSUER,
  type IssuerKey,
  issuerKey,
  type JwksServer,
  logSink,
  receiverEnv,
  revocationClaims,
  signSet,
  startReceiverPeers,
  TABLE,
} from './harness.js';

const VALID = {
  REVOCATION_ISSUER: ISSUER,
  REVOCATION_JWKS_URI: 'https://idp.example.com/jwks',
  REVOCATION_AUDIENCE: AUDIENCE,
  SHARED_CACHE_TABLE: TABLE,
};
const loads = (changes: Record<string, string | undefined>) => () => loadRevocationConfig({ ...VALID, ...changes });
const refusal = (message: string) =>
  expect.objectContaining({ code: 'ERR_CONFIGURATION_INVALID', name: 'ConfigurationInvalidError', message });
const tableRefusal = (value: string) =>
  refusal(
    `SHARED_CACHE_TABLE must be a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ . -) or a table ARN; received ${JSON.stringify(value)}`,
  );
const stageRefusal = (entry: object) =>
  refusal(
    `REVOCATION_FLUSH_STAGES[0] must be {"restApiId": 10 lower-case letters or digits, "stage": 1 to 128 of A-Z a-z 0-9 _ -}; received ${JSON.stringify(entry)}`,
  );
const METRICS_ENV = { POWERTOOLS_METRICS_NAMESPACE: 'Revocation', POWERTOOLS_SERVICE_NAME: 'receiver' };

let key: IssuerKey;
let peers: FlushingReceiverPeers;
let jwks: JwksServer;
let dynamo: DynamoDbStandIn;
let apiGateway: ApiGatewayStandIn;

beforeAll(async () => {
  key = await issuerKey('es-1', 'ES256');
  peers = await startReceiverPeers([key], { apiGateway: true });
  ({ jwks, dynamo, apiGateway } = peers);
});
afterAll(() => peers.close());
beforeEach(() => peers.reset());
afterEach(() => {
  vi.restoreAllMocks();
});

/** A receiver of these stand-ins, its log lines kept (and printed, for the setup's checks). */
const receiver = (extra: Record<string, string> = {}, options: { now?: () => number } = {}) => {
  const log = logSink();
  return { handle: createRevocationReceiver(receiverEnv(jwks.uri, dynamo.url, extra), { write: log.write, ...options }), log };
};
/** A SET the issuer signed, padded with trailing spaces (which the receiver trims) to `bytes` bytes. */
const paddedSet = async (bytes: number) => {
  const set = await signSet(revocationClaims(accessToken().hash), key);
  return set + ' '.repeat(bytes - set.length);
};
/** The log line's text as CloudWatch receives it. */
const lineText = (text: string | undefined) => (text ?? '').trimEnd();

describe('the receiver’s configuration, refused at start-up naming the variable', () => {
  it.each([
    ['aws-cn', 'arn:aws-cn:dynamodb:cn-north-1:111122223333:table/phantom-shared-cache'],
    ['aws-us-gov', 'arn:aws-us-gov:dynamodb:us-gov-west-1:111122223333:table/phantom-shared-cache'],
    ['aws (a region numbered 12)', 'arn:aws:dynamodb:ap-southeast-12:111122223333:table/phantom-shared-cache'],
  ])('accepts a table ARN of the %s partition', (_partition, arn) => {
    expect(loadRevocationConfig({ ...VALID, SHARED_CACHE_TABLE: arn }).table).toBe(arn);
  });

  it.each([
    'x:arn:aws:dynamodb:eu-west-1:111122223333:table/phantom-shared-cache',
    'arn:aws:dynamodb:eu-west-1:111122223333:table/phantom-shared-cache/stream/2026-12-07',
  ])('refuses a table ARN with anything before or after it: %s', (value) => {
    expect(loads({ SHARED_CACHE_TABLE: value })).toThrow(tableRefusal(value));
  });

  it('refuses a flush stage whose REST API id has 11 characters', () => {
    const entry = { restApiId: 'a1b2c3d4e5f', stage: 'prod' };
    expect(loads({ REVOCATION_FLUSH_STAGES: JSON.stringify([entry]) })).toThrow(stageRefusal(entry));
  });

  it.each([
    ['a user name only', 'https://jwks-user@idp.example.com/jwks'],
    ['a password only', 'https://:hunter2-password@idp.example.com/jwks'],
  ])('refuses a JWKS URI carrying %s', (_what, value) => {
    expect(loads({ REVOCATION_JWKS_URI: value })).toThrow(
      refusal('REVOCATION_JWKS_URI must not carry credentials in the URL; received "https://***@idp.example.com/jwks"'),
    );
  });

  it.each(['http://localhost:8080/jwks', 'http://[::1]:8080/jwks'])('accepts the plain-http loopback JWKS URI %s', (value) => {
    expect(loadRevocationConfig({ ...VALID, REVOCATION_JWKS_URI: value }).jwksUri.href).toBe(value);
  });

  it.each(['ftp://127.0.0.1/jwks', 'ws://localhost:8080/jwks'])('refuses the loopback JWKS URI %s, neither https nor http', (value) => {
    expect(loads({ REVOCATION_JWKS_URI: value })).toThrow(
      refusal(`REVOCATION_JWKS_URI must use https (plain http only for 127.0.0.1 or localhost); received ${JSON.stringify(value)}`),
    );
  });

  it('takes REVOCATION_FLUSH_STAGES of white space only as no stages', () => {
    expect(loadRevocationConfig({ ...VALID, REVOCATION_FLUSH_STAGES: ' \n\t ' }).flushStages).toEqual([]);
  });

  it(`accepts exactly ${MAX_FLUSH_STAGES} flush stages`, () => {
    const stages = Array.from({ length: MAX_FLUSH_STAGES }, (_, i) => ({ restApiId: 'a1b2c3d4e5', stage: `s${i}` }));
    expect(loadRevocationConfig({ ...VALID, REVOCATION_FLUSH_STAGES: JSON.stringify(stages) }).flushStages).toEqual(stages);
  });

  it('takes an empty REVOCATION_TIMEOUT_MS and REVOCATION_FLUSH_REPEAT_SECONDS as their defaults', () => {
    expect(loadRevocationConfig({ ...VALID, REVOCATION_TIMEOUT_MS: '', REVOCATION_FLUSH_REPEAT_SECONDS: '' })).toMatchObject({
      timeoutMs: DEFAULTS.revocationTimeoutMs,
      flushRepeatSeconds: DEFAULTS.revocationFlushRepeatSeconds,
    });
  });
});

describe('the delivery’s bounds and headers (RFC 8935 §2)', () => {
  const tooLarge = { err: 'invalid_request', description: `the body is larger than ${MAX_SET_BYTES} bytes` };

  it(`accepts a SET of exactly ${MAX_SET_BYTES} bytes, sent as it is and base64-encoded (202)`, async () => {
    const { handle } = receiver();
    for (const base64 of [false, true]) {
      const body = await paddedSet(MAX_SET_BYTES);
      expect(Buffer.byteLength(body)).toBe(MAX_SET_BYTES);
      expect(answer(await handle(deliveryEvent(body, { base64 }))).status).toBe(202);
    }
  });

  it('refuses a base64 body that decodes to one byte over the limit (400 invalid_request)', async () => {
    const { handle } = receiver();
    const body = await paddedSet(MAX_SET_BYTES + 1);
    expect(Buffer.from(body).toString('base64').length).toBe(Math.ceil(MAX_SET_BYTES / 3) * 4);
    expect(answer(await handle(deliveryEvent(body)))).toMatchObject({ status: 400, body: tooLarge });
    expect(dynamo.requests).toHaveLength(0);
  });

  it(`refuses a base64 body one character longer than ${Math.ceil(MAX_SET_BYTES / 3) * 4}, before decoding it, though its decoder would skip that line break`, async () => {
    const { handle } = receiver();
    const event = deliveryEvent(await paddedSet(MAX_SET_BYTES));
    event.body = `${event.body}\n`;
    expect(answer(await handle(event))).toMatchObject({ status: 400, body: tooLarge });
    expect(dynamo.requests).toHaveLength(0);
  });

  it.each([
    ['without requestContext', (event: LambdaFunctionURLEvent) => ({ ...event, requestContext: undefined })],
    [
      'whose requestContext has no http',
      (event: LambdaFunctionURLEvent) => ({ ...event, requestContext: { ...event.requestContext, http: undefined } }),
    ],
  ])('answers an event %s 405 invalid_request, not 500', async (_name, change) => {
    const { handle } = receiver();
    const event = change(deliveryEvent('aaa.bbb.ccc')) as unknown as LambdaFunctionURLEvent;
    expect(answer(await handle(event))).toEqual({
      status: 405,
      headers: { 'content-type': 'application/json', allow: 'POST' },
      body: { err: 'invalid_request', description: 'a SET is delivered with POST; received "undefined"' },
    });
  });

  it('names at most 16 characters of a refused method', async () => {
    const { handle } = receiver();
    const result = answer(await handle(deliveryEvent('aaa.bbb.ccc', { method: 'PROPFIND-EXTENDED-METHOD' })));
    expect(result).toMatchObject({
      status: 405,
      body: { err: 'invalid_request', description: 'a SET is delivered with POST; received "PROPFIND-EXTENDE"' },
    });
  });

  it('names at most 80 characters of a refused Content-Type', async () => {
    const { handle } = receiver();
    const contentType = `text/plain; boundary=${'b'.repeat(100)}`;
    const result = answer(await handle(deliveryEvent('aaa.bbb.ccc', { contentType })));
    expect(result).toMatchObject({
      status: 400,
      body: {
        err: 'invalid_request',
        description: `Content-Type must be application/secevent+jwt; received "${contentType.slice(0, 80)}"`,
      },
    });
  });

  it('takes a Content-Type with white space before its parameters (202)', async () => {
    const { handle } = receiver();
    const set = await signSet(revocationClaims(accessToken().hash), key);
    expect(answer(await handle(deliveryEvent(set, { contentType: 'application/secevent+jwt ; charset=utf-8' }))).status).toBe(202);
  });

  it('finds a Content-Type header whose name is not lower-cased (202)', async () => {
    const { handle } = receiver();
    const event = deliveryEvent(await signSet(revocationClaims(accessToken().hash), key), { contentType: null });
    event.headers = { ...event.headers, 'Content-Type': 'application/secevent+jwt' };
    expect(answer(await handle(event)).status).toBe(202);
  });

  it('takes an empty Content-Type header as none (400 invalid_request)', async () => {
    const { handle } = receiver();
    expect(answer(await handle(deliveryEvent('aaa.bbb.ccc', { contentType: '' })))).toMatchObject({
      status: 400,
      body: { err: 'invalid_request', description: 'Content-Type must be application/secevent+jwt; received none' },
    });
  });
});

describe('the errors callers switch on', () => {
  it('refuses a delivery with a SecurityEventRefusedError: code ERR_SET_REFUSED, its err and status', () => {
    let refused: unknown;
    try {
      readDelivery(deliveryEvent('aaa.bbb.ccc', { method: 'GET' }));
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(SecurityEventRefusedError);
    expect(refused).toMatchObject({ code: 'ERR_SET_REFUSED', name: 'SecurityEventRefusedError', err: 'invalid_request', status: 405 });
  });

  it('names a replay SecurityEventReplayedError, a refusal (ERR_SET_REFUSED, 400 invalid_request)', () => {
    const replay = new SecurityEventReplayedError();
    expect(replay).toBeInstanceOf(SecurityEventRefusedError);
    expect(replay).toMatchObject({ code: 'ERR_SET_REFUSED', name: 'SecurityEventReplayedError', err: 'invalid_request', status: 400 });
  });

  it('fails a mark the table cannot take with RevocationUnavailableError (ERR_REVOCATION_UNAVAILABLE)', async () => {
    const table = new RevocationTable(TABLE, 1_000, { ...CREDENTIALS, AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1' });
    const failure = await table.markRevoked(accessToken().hash, Date.now()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RevocationUnavailableError);
    expect(failure).toMatchObject({ code: 'ERR_REVOCATION_UNAVAILABLE', name: 'RevocationUnavailableError' });
  });

  it('reports a stage it cannot flush as StageFlushFailedError (ERR_STAGE_FLUSH_FAILED)', async () => {
    const flusher = new StageFlusher([{ restApiId: 'a1b2c3d4e5', stage: 'prod' }], 1_000, { AWS_REGION: 'eu-west-1' });
    const failures = await flusher.flushAll();
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(StageFlushFailedError);
    expect(failures[0]).toMatchObject({ code: 'ERR_STAGE_FLUSH_FAILED', name: 'StageFlushFailedError' });
  });
});

describe('the receiver’s log lines as CloudWatch reads them', () => {
  it('counts a delivery by service and outcome and by service and reason, and publishes totalMs in milliseconds', async () => {
    const { handle, log } = receiver(METRICS_ENV);
    await handle(deliveryEvent('aaa.bbb.ccc', { method: 'GET' }));
    const [text] = log.text;
    expect(emfProblems(lineText(text))).toEqual([]);
    const totalMs = log.lines()[0]?.totalMs;
    expect(typeof totalMs).toBe('number');
    expect(extractMetrics(lineText(text))).toEqual([
      {
        namespace: 'Revocation',
        name: 'RevocationDeliveries',
        unit: 'Count',
        dimensions: { service: 'receiver', revocation: 'refused' },
        values: [1],
      },
      {
        namespace: 'Revocation',
        name: 'RevocationDeliveries',
        unit: 'Count',
        dimensions: { service: 'receiver', reason: 'invalid_request' },
        values: [1],
      },
      { namespace: 'Revocation', name: 'totalMs', unit: 'Milliseconds', dimensions: { service: 'receiver' }, values: [totalMs] },
    ]);
  });

  it('counts a misconfigured receiver’s deliveries in a valid record without totalMs', async () => {
    const log = logSink();
    const handle = createRevocationReceiver({ ...METRICS_ENV, ...VALID, SHARED_CACHE_TABLE: 'ab' }, { write: log.write });
    expect(answer(await handle(deliveryEvent('aaa.bbb.ccc'))).status).toBe(500);
    const text = lineText(log.text[1]);
    expect(emfProblems(text)).toEqual([]);
    expect(extractMetrics(text).map(({ name, dimensions }) => [name, dimensions])).toEqual([
      ['RevocationDeliveries', { service: 'receiver', revocation: 'error' }],
      ['RevocationDeliveries', { service: 'receiver', reason: 'ERR_CONFIGURATION_INVALID' }],
    ]);
  });

  it('publishes StageFlushFailures, a Count by service, on the warning line of a stage it could not flush', async () => {
    apiGateway.state.status = 404;
    const { handle, log } = receiver({
      ...METRICS_ENV,
      REVOCATION_FLUSH_STAGES: '[{"restApiId":"a1b2c3d4e5","stage":"prod"}]',
      REVOCATION_FLUSH_REPEAT_SECONDS: '0',
      AWS_ENDPOINT_URL_API_GATEWAY: apiGateway.url,
    });
    expect(answer(await handle(deliveryEvent(await signSet(revocationClaims(accessToken().hash), key)))).status).toBe(202);
    const warning = log.text.find((text) => text.startsWith('{"warning"'));
    expect(emfProblems(lineText(warning))).toEqual([]);
    expect(extractMetrics(lineText(warning))).toEqual([
      { namespace: 'Revocation', name: 'StageFlushFailures', unit: 'Count', dimensions: { service: 'receiver' }, values: [1] },
    ]);
  });

  it('names the token and the SET of a refused duplicate, and how long it took', async () => {
    const { handle, log } = receiver();
    const { hash } = accessToken();
    const claims = revocationClaims(hash);
    const set = await signSet(claims, key);
    expect(answer(await handle(deliveryEvent(set))).status).toBe(202);
    expect(answer(await handle(deliveryEvent(set))).status).toBe(400);
    const setHash = createHash('sha256').update(`${ISSUER} ${claims.jti}`).digest('base64url');
    expect(log.lines()[1]).toMatchObject({
      revocation: 'refused',
      reason: 'duplicate',
      tokenId: Buffer.from(hash, 'base64url').subarray(0, 6).toString('hex'),
      setId: Buffer.from(setHash, 'base64url').subarray(0, 6).toString('hex'),
      totalMs: expect.any(Number),
    });
  });

  it('logs totalMs as the milliseconds from the delivery’s start to its answer, rounded to the microsecond', async () => {
    const { handle, log } = receiver();
    vi.spyOn(performance, 'now').mockReturnValueOnce(1_000).mockReturnValueOnce(1_012.3456);
    await handle(deliveryEvent('aaa.bbb.ccc', { method: 'GET' }));
    expect(log.lines()[0]).toMatchObject({ revocation: 'refused', totalMs: 12.346 });
  });
});

describe('the receiver at work', () => {
  it('answers an unexpected failure 500, asking for the SET again, and logs it as ERR_INTERNAL', async () => {
    const { handle, log } = receiver(
      {},
      {
        now: () => {
          throw new Error('the clock failed');
        },
      },
    );
    expect(answer(await handle(deliveryEvent('aaa.bbb.ccc')))).toEqual({
      status: 500,
      headers: { 'content-type': 'application/json' },
      body: { description: 'the revocation receiver failed; deliver the SET again' },
    });
    expect(log.lines()[0]).toMatchObject({ revocation: 'error', reason: 'ERR_INTERNAL', status: 500, message: 'the clock failed' });
  });

  it('waits REVOCATION_FLUSH_REPEAT_SECONDS on a timer between the two flushes when no sleep is given', async () => {
    const realSetTimeout = globalThis.setTimeout;
    const waits: number[] = [];
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      if (ms !== 1_000) return realSetTimeout(callback, ms, ...args);
      waits.push(apiGateway.requests.length);
      return realSetTimeout(callback, 0, ...args);
    }) as typeof setTimeout);
    const { handle } = receiver({
      REVOCATION_TIMEOUT_MS: '2000',
      REVOCATION_FLUSH_STAGES: '[{"restApiId":"a1b2c3d4e5","stage":"prod"},{"restApiId":"f6g7h8i9j0","stage":"v2_beta"}]',
      REVOCATION_FLUSH_REPEAT_SECONDS: '1',
      AWS_ENDPOINT_URL_API_GATEWAY: apiGateway.url,
    });
    expect(answer(await handle(deliveryEvent(await signSet(revocationClaims(accessToken().hash), key)))).status).toBe(202);
    expect(waits, 'one 1 000 ms wait, after the first round flushed both stages').toEqual([2]);
    expect(apiGateway.requests).toHaveLength(4);
  });
});
