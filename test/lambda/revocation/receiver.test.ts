import { createHash } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRevocationReceiver } from '../../../lambda/revocation/receiver.js';
import { SET_IAT_WINDOW_SECONDS } from '../../../lambda/revocation/security-event.js';
import { REVOCATION_MARK_SECONDS, TOKEN_REVOKED_EVENT } from '../../../lambda/shared-cache/table-format.js';
import { emfProblems } from '../../../local/emf-validator.js';
import { capturedOutput } from '../../support/log-capture.js';
import {
  AUDIENCE,
  accessToken,
  amzDate,
  answer,
  type DynamoDbStandIn,
  deliveryEvent,
  ISSUER,
  type IssuerKey,
  issuerKey,
  type JwksServer,
  logSink,
  type ReceiverPeers,
  receiverEnv,
  revocationClaims,
  Sha256,
  signSet,
  startReceiverPeers,
  TABLE,
} from './harness.js';

let key: IssuerKey;
let rsaKey: IssuerKey;
let peers: ReceiverPeers;
let jwks: JwksServer;
let dynamo: DynamoDbStandIn;

beforeAll(async () => {
  key = await issuerKey('es-1', 'ES256');
  rsaKey = await issuerKey('rs-1', 'RS256');
  peers = await startReceiverPeers([key, rsaKey]);
  ({ jwks, dynamo } = peers);
});
afterAll(() => peers.close());
beforeEach(() => peers.reset());

const receiver = (extra: Record<string, string> = {}, now?: () => number) => {
  const log = logSink();
  return { handle: createRevocationReceiver(receiverEnv(jwks.uri, dynamo.url, extra), { write: log.write, now }), log };
};

describe('a SET delivery that revokes a token', () => {
  it('marks the token revoked, records the SET, and answers 202 with an empty body', async () => {
    const { handle, log } = receiver();
    const { hash } = accessToken();
    const claims = revocationClaims(hash);
    const before = Date.now();
    const result = await handle(deliveryEvent(await signSet(claims, key)));
    expect(result).toEqual({ statusCode: 202, body: '' });
    expect(dynamo.requests.map((request) => request.headers['x-amz-target'])).toEqual([
      'DynamoDB_20120810.PutItem',
      'DynamoDB_20120810.PutItem',
    ]);
    const [mark, record] = dynamo.requests.map((request) => JSON.parse(request.body));
    expect(mark).toEqual({
      TableName: TABLE,
      Item: {
        pk: { S: `token#${hash}` },
        state: { S: 'revoked' },
        expiresAt: { N: expect.stringMatching(/^\d+$/) },
        expiresAtMs: { N: expect.stringMatching(/^\d+$/) },
      },
    });
    const expiresAtMs = Number(mark.Item.expiresAtMs.N);
    expect(expiresAtMs).toBeGreaterThanOrEqual(before + REVOCATION_MARK_SECONDS * 1000);
    expect(expiresAtMs).toBeLessThanOrEqual(Date.now() + REVOCATION_MARK_SECONDS * 1000);
    expect(Number(mark.Item.expiresAt.N)).toBe(Math.ceil(expiresAtMs / 1000));
    const setHash = createHash('sha256').update(`${ISSUER} ${claims.jti}`).digest('base64url');
    const claimId = { S: expect.stringMatching(/^[0-9a-f-]{36}$/) };
    expect(record).toEqual({
      TableName: TABLE,
      Item: { pk: { S: `set#${setHash}` }, expiresAt: { N: String((claims.iat as number) + SET_IAT_WINDOW_SECONDS + 60) }, claimId },
      ConditionExpression: 'attribute_not_exists(pk) OR claimId = :claim',
      ExpressionAttributeValues: { ':claim': claimId },
    });
    expect(record.ExpressionAttributeValues[':claim']).toEqual(record.Item.claimId);
    expect(log.lines()).toEqual([
      expect.objectContaining({
        revocation: 'marked',
        reason: 'ok',
        status: 202,
        tokenId: Buffer.from(hash, 'base64url').subarray(0, 6).toString('hex'),
        setId: Buffer.from(setHash, 'base64url').subarray(0, 6).toString('hex'),
      }),
    ]);
  });

  it('signs each PutItem for dynamodb in the region, exactly as the AWS SDK signer signs it', async () => {
    const credentials = { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret/key+example', sessionToken: 'IQoJb3JpZ2luX2VjE//session==' };
    const { handle } = receiver({
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
    });
    expect(answer(await handle(deliveryEvent(await signSet(revocationClaims(accessToken().hash), key)))).status).toBe(202);
    expect(dynamo.requests).toHaveLength(2);
    for (const request of dynamo.requests) {
      const {
        authorization,
        'x-amz-date': date,
        connection: _c,
        'content-length': _l,
        'x-amz-security-token': token,
        ...unsigned
      } = request.headers;
      expect(token).toBe(credentials.sessionToken);
      expect(authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, /);
      const signer = new SignatureV4({ credentials, region: 'eu-west-1', service: 'dynamodb', sha256: Sha256, applyChecksum: false });
      const expected = await signer.sign(
        {
          method: 'POST',
          protocol: 'http:',
          hostname: '127.0.0.1',
          path: '/',
          query: {},
          headers: unsigned as Record<string, string>,
          body: request.body,
        },
        { signingDate: amzDate(date) },
      );
      expect(authorization).toBe(expected.headers.authorization);
    }
  });

  it('accepts the token named as the event’s subject (CAEP style) instead of a top-level sub_id', async () => {
    const { handle } = receiver();
    const { hash } = accessToken();
    const { sub_id: _s, ...claims } = revocationClaims(hash);
    claims.events = { [TOKEN_REVOKED_EVENT]: { subject: { format: 'opaque', id: hash }, reason_admin: { en: 'revoked' } } };
    expect(answer(await handle(deliveryEvent(await signSet(claims, key)))).status).toBe(202);
    expect(dynamo.items.get(`token#${hash}`)?.state).toEqual({ S: 'revoked' });
  });

  it('ignores events of other types beside its own, and still marks the token', async () => {
    const { handle } = receiver();
    const { hash } = accessToken();
    const claims = revocationClaims(hash);
    claims.events = {
      'https://schemas.openid.net/secevent/caep/event-type/session-revoked': { subject: { format: 'opaque', id: 'session-1' } },
      [TOKEN_REVOKED_EVENT]: {},
    };
    expect(answer(await handle(deliveryEvent(await signSet(claims, key)))).status).toBe(202);
    expect(dynamo.items.has(`token#${hash}`)).toBe(true);
  });

  it.each(['secevent+jwt', 'application/secevent+jwt', 'SECEVENT+JWT', 'Application/SecEvent+JWT'])('accepts typ %s', async (typ) => {
    const { handle } = receiver();
    expect(answer(await handle(deliveryEvent(await signSet(revocationClaims(accessToken().hash), key, { typ })))).status).toBe(202);
  });

  it('verifies an RS256 SET with the issuer’s RSA key, and an aud array holding the receiver', async () => {
    const { handle } = receiver();
    const claims = { ...revocationClaims(accessToken().hash), aud: ['https://other.example.com', AUDIENCE] };
    expect(answer(await handle(deliveryEvent(await signSet(claims, rsaKey)))).status).toBe(202);
  });

  it('takes a body that is not base64-encoded, and a Content-Type with parameters in any case', async () => {
    const { handle } = receiver();
    const set = await signSet(revocationClaims(accessToken().hash), key);
    expect(
      answer(await handle(deliveryEvent(`${set}\r\n`, { base64: false, contentType: 'Application/SecEvent+JWT; charset=utf-8' }))).status,
    ).toBe(202);
  });

  it('writes log lines that are valid CloudWatch EMF records and carry no SET, token or token hash', async () => {
    const { handle, log } = receiver({ POWERTOOLS_METRICS_NAMESPACE: 'Revocation', POWERTOOLS_SERVICE_NAME: 'receiver' });
    const { hash, token } = accessToken();
    const set = await signSet(revocationClaims(hash), key);
    await handle(deliveryEvent(set));
    await handle(deliveryEvent(set));
    expect(log.text).toHaveLength(2);
    for (const line of log.text) {
      expect(emfProblems(line.trimEnd())).toEqual([]);
      for (const secret of [set, token, hash, hash.slice(0, 20)]) expect(line).not.toContain(secret);
    }
    expect(log.lines().map((line) => [line.revocation, line.reason, line.service, line.RevocationDeliveries])).toEqual([
      ['marked', 'ok', 'receiver', 1],
      ['refused', 'duplicate', 'receiver', 1],
    ]);
    expect(capturedOutput()).not.toContain(set);
  });
});

describe('replays', () => {
  it('refuses a second delivery of the same SET as a duplicate (400 invalid_request)', async () => {
    const { handle, log } = receiver();
    const set = await signSet(revocationClaims(accessToken().hash), key);
    expect(answer(await handle(deliveryEvent(set))).status).toBe(202);
    expect(answer(await handle(deliveryEvent(set)))).toEqual({
      status: 400,
      headers: { 'content-type': 'application/json' },
      body: { err: 'invalid_request', description: 'duplicate: a SET with this iss and jti was received before' },
    });
    expect(log.lines().map((line) => line.reason)).toEqual(['ok', 'duplicate']);
  });

  it('refuses a SET re-signed with a new iat but the same iss and jti', async () => {
    const { handle } = receiver();
    const claims = revocationClaims(accessToken().hash);
    expect(answer(await handle(deliveryEvent(await signSet(claims, key)))).status).toBe(202);
    const again = await signSet({ ...claims, iat: (claims.iat as number) - 5 }, key);
    expect(answer(await handle(deliveryEvent(again))).body).toMatchObject({ err: 'invalid_request' });
  });

  it('recognises its own write when the answer to the SET’s PutItem was lost, and answers 202', async () => {
    const { handle } = receiver();
    dynamo.next.push('ok', 'lost');
    expect(answer(await handle(deliveryEvent(await signSet(revocationClaims(accessToken().hash), key)))).status).toBe(202);
    const [, first, retried] = dynamo.requests;
    expect(dynamo.requests).toHaveLength(3);
    expect(retried?.body).toBe(first?.body);
  });

  it('answers 503 when the SET cannot be recorded, and marks and records it when delivered again', async () => {
    const { handle } = receiver();
    const { hash } = accessToken();
    const set = await signSet(revocationClaims(hash), key);
    dynamo.next.push('ok', { status: 400, type: 'AccessDeniedException' });
    const failed = answer(await handle(deliveryEvent(set)));
    expect(failed.status).toBe(503);
    expect(dynamo.items.has(`token#${hash}`)).toBe(true);
    expect(answer(await handle(deliveryEvent(set))).status).toBe(202);
    expect(dynamo.requests).toHaveLength(4);
  });
});

describe('when the table cannot be reached', () => {
  it('answers 503, not 202 or 400, when the table does not exist, after one request', async () => {
    const { handle, log } = receiver({ SHARED_CACHE_TABLE: 'missing-table' });
    const result = answer(await handle(deliveryEvent(await signSet(revocationClaims(accessToken().hash), key))));
    expect(result).toEqual({
      status: 503,
      headers: { 'content-type': 'application/json' },
      body: { description: 'the SET could not be verified or recorded now; deliver it again' },
    });
    expect(dynamo.requests).toHaveLength(1);
    expect(log.lines()[0]).toMatchObject({
      revocation: 'error',
      reason: 'ERR_REVOCATION_UNAVAILABLE',
      status: 503,
      message: 'could not mark a token revoked in DynamoDB table missing-table: ResourceNotFoundException',
    });
  });

  it('answers 503 when nothing listens at the DynamoDB endpoint', async () => {
    const log = logSink();
    const handle = createRevocationReceiver(receiverEnv(jwks.uri, 'http://127.0.0.1:1'), { write: log.write });
    expect(answer(await handle(deliveryEvent(await signSet(revocationClaims(accessToken().hash), key)))).status).toBe(503);
    expect(log.lines()[0]).toMatchObject({ reason: 'ERR_REVOCATION_UNAVAILABLE', message: expect.stringContaining('ECONNREFUSED') });
  });

  it('retries throttling and a 500, then answers 202', async () => {
    const { handle } = receiver();
    dynamo.next.push({ status: 400, type: 'ProvisionedThroughputExceededException' }, { status: 500, type: 'InternalServerError' });
    expect(answer(await handle(deliveryEvent(await signSet(revocationClaims(accessToken().hash), key)))).status).toBe(202);
    expect(dynamo.requests).toHaveLength(4);
  });

  it('answers 503 without credentials, saying so in its log', async () => {
    const { handle, log } = receiver({ AWS_ACCESS_KEY_ID: '' });
    expect(answer(await handle(deliveryEvent(await signSet(revocationClaims(accessToken().hash), key)))).status).toBe(503);
    expect(log.lines()[0]?.message).toBe(
      'could not mark a token revoked in DynamoDB table phantom-shared-cache: CredentialsMissing (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (Lambda sets them to the execution role session))',
    );
  });
});
