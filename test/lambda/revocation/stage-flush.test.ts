import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRevocationReceiver } from '../../../lambda/revocation/receiver.js';
import { apiGatewayEndpoint, StageFlusher } from '../../../lambda/revocation/stage-flush.js';
import { warningLines } from '../../support/log-capture.js';
import {
  type ApiGatewayStandIn,
  accessToken,
  amzDate,
  answer,
  CREDENTIALS,
  type DynamoDbStandIn,
  deliveryEvent,
  type FlushingReceiverPeers,
  type IssuerKey,
  issuerKey,
  type JwksServer,
  logSink,
  receiverEnv,
  revocationClaims,
  Sha256,
  signSet,
  startReceiverPeers,
} from './harness.js';

describe('apiGatewayEndpoint: where FlushStageAuthorizersCache goes', () => {
  // API Gateway's endpoint rules (the SDK's ruleset): apigateway[-fips].<region>.<dnsSuffix | dualStackDnsSuffix>.
  it.each([
    ['us-east-1', false, false, 'https://apigateway.us-east-1.amazonaws.com/'],
    ['eu-west-1', true, false, 'https://apigateway-fips.eu-west-1.amazonaws.com/'],
    ['eu-west-1', false, true, 'https://apigateway.eu-west-1.api.aws/'],
    ['us-east-2', true, true, 'https://apigateway-fips.us-east-2.api.aws/'],
    ['cn-north-1', false, false, 'https://apigateway.cn-north-1.amazonaws.com.cn/'],
    ['cn-north-1', false, true, 'https://apigateway.cn-north-1.api.amazonwebservices.com.cn/'],
    ['us-gov-west-1', false, false, 'https://apigateway.us-gov-west-1.amazonaws.com/'],
    ['us-gov-west-1', true, false, 'https://apigateway-fips.us-gov-west-1.amazonaws.com/'],
    ['us-iso-east-1', false, false, 'https://apigateway.us-iso-east-1.c2s.ic.gov/'],
    ['eusc-de-east-1', false, false, 'https://apigateway.eusc-de-east-1.amazonaws.eu/'],
  ])('resolves %s (FIPS %s, dual stack %s) to %s', (region, fips, dualStack, expected) => {
    const env = { AWS_USE_FIPS_ENDPOINT: String(fips), AWS_USE_DUALSTACK_ENDPOINT: String(dualStack) };
    expect(apiGatewayEndpoint(env, region).href).toBe(expected);
  });

  it('takes AWS_ENDPOINT_URL_API_GATEWAY before AWS_ENDPOINT_URL, and not DynamoDB’s', () => {
    expect(
      apiGatewayEndpoint(
        { AWS_ENDPOINT_URL: 'https://all.example.com', AWS_ENDPOINT_URL_API_GATEWAY: 'https://apigw.example.com/' },
        'eu-west-1',
      ).href,
    ).toBe('https://apigw.example.com/');
    expect(apiGatewayEndpoint({ AWS_ENDPOINT_URL: 'https://all.example.com' }, 'eu-west-1').href).toBe('https://all.example.com/');
    expect(apiGatewayEndpoint({ AWS_ENDPOINT_URL_DYNAMODB: 'https://ddb.example.com' }, 'eu-west-1').href).toBe(
      'https://apigateway.eu-west-1.amazonaws.com/',
    );
  });
});

let key: IssuerKey;
let peers: FlushingReceiverPeers;
let jwks: JwksServer;
let dynamo: DynamoDbStandIn;
let apiGateway: ApiGatewayStandIn;

beforeAll(async () => {
  key = await issuerKey('es-1');
  peers = await startReceiverPeers([key], { apiGateway: true });
  ({ jwks, dynamo, apiGateway } = peers);
});
afterAll(() => peers.close());
beforeEach(() => peers.reset());

const STAGES = '[{"restApiId":"a1b2c3d4e5","stage":"prod"},{"restApiId":"f6g7h8i9j0","stage":"v2_beta"}]';

function receiver(extra: Record<string, string> = {}) {
  const log = logSink();
  const sleeps: number[] = [];
  const handle = createRevocationReceiver(
    receiverEnv(jwks.uri, dynamo.url, { REVOCATION_FLUSH_STAGES: STAGES, AWS_ENDPOINT_URL_API_GATEWAY: apiGateway.url, ...extra }),
    {
      write: log.write,
      sleep: async (ms) => {
        sleeps.push(ms);
        // The second round must start after the first has ended: nothing is in flight while waiting.
        expect(apiGateway.requests).toHaveLength(2);
      },
    },
  );
  return { handle, log, sleeps };
}

const deliver = async (handle: ReturnType<typeof receiver>['handle']) =>
  answer(await handle(deliveryEvent(await signSet(revocationClaims(accessToken().hash), key))));

describe('flushing REST stages’ authorizer caches after a revocation', () => {
  it('flushes each stage, waits REVOCATION_FLUSH_REPEAT_SECONDS, flushes each again, then answers 202', async () => {
    const { handle, sleeps, log } = receiver();
    expect((await deliver(handle)).status).toBe(202);
    expect(sleeps).toEqual([6_000]);
    expect(apiGateway.requests.map(({ method, path }) => `${method} ${path}`).sort()).toEqual([
      'DELETE /restapis/a1b2c3d4e5/stages/prod/cache/authorizers',
      'DELETE /restapis/a1b2c3d4e5/stages/prod/cache/authorizers',
      'DELETE /restapis/f6g7h8i9j0/stages/v2_beta/cache/authorizers',
      'DELETE /restapis/f6g7h8i9j0/stages/v2_beta/cache/authorizers',
    ]);
    expect(log.lines()).toEqual([expect.objectContaining({ revocation: 'marked', status: 202, flushFailures: 0 })]);
  });

  it('flushes once, without waiting, with REVOCATION_FLUSH_REPEAT_SECONDS=0', async () => {
    const { handle, sleeps } = receiver({ REVOCATION_FLUSH_REPEAT_SECONDS: '0' });
    expect((await deliver(handle)).status).toBe(202);
    expect(sleeps).toEqual([]);
    expect(apiGateway.requests).toHaveLength(2);
  });

  it('signs each flush for apigateway in the region, exactly as the AWS SDK signer signs it', async () => {
    const credentials = { accessKeyId: 'ASIAFLUSH', secretAccessKey: 'flush/secret+key', sessionToken: 'IQoJflush//session==' };
    const flusher = new StageFlusher([{ restApiId: 'a1b2c3d4e5', stage: 'prod' }], 2_000, {
      AWS_REGION: 'eu-central-1',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
      AWS_ENDPOINT_URL: apiGateway.url,
    });
    expect(await flusher.flushAll()).toEqual([]);
    const [request] = apiGateway.requests;
    if (request === undefined) throw new Error('no request reached the stand-in');
    const { authorization, 'x-amz-date': date, connection: _c, 'x-amz-security-token': token, ...unsigned } = request.headers;
    expect(token).toBe(credentials.sessionToken);
    expect(request.body).toBe('');
    expect(authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=ASIAFLUSH\/\d{8}\/eu-central-1\/apigateway\/aws4_request, SignedHeaders=accept;host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    const signer = new SignatureV4({ credentials, region: 'eu-central-1', service: 'apigateway', sha256: Sha256, applyChecksum: false });
    const expected = await signer.sign(
      {
        method: 'DELETE',
        protocol: 'http:',
        hostname: '127.0.0.1',
        path: '/restapis/a1b2c3d4e5/stages/prod/cache/authorizers',
        query: {},
        headers: unsigned as Record<string, string>,
        body: '',
      },
      { signingDate: amzDate(date) },
    );
    expect(authorization).toBe(expected.headers.authorization);
  });

  it('keeps the configured endpoint’s path before the resource path', async () => {
    const flusher = new StageFlusher([{ restApiId: 'a1b2c3d4e5', stage: 'prod' }], 2_000, {
      ...CREDENTIALS,
      AWS_ENDPOINT_URL_API_GATEWAY: `${apiGateway.url}/apigw`,
    });
    expect(await flusher.flushAll()).toEqual([]);
    expect(apiGateway.requests[0]?.path).toBe('/apigw/restapis/a1b2c3d4e5/stages/prod/cache/authorizers');
  });

  it('retries a throttled flush, and succeeds', async () => {
    apiGateway.state.next = [429];
    const flusher = new StageFlusher([{ restApiId: 'a1b2c3d4e5', stage: 'prod' }], 2_000, {
      ...CREDENTIALS,
      AWS_ENDPOINT_URL: apiGateway.url,
    });
    expect(await flusher.flushAll()).toEqual([]);
    expect(apiGateway.requests).toHaveLength(2);
  });

  it('still answers 202 when a stage cannot be flushed, with a warning line and a StageFlushFailures metric per failure', async () => {
    apiGateway.state.status = 404;
    const { handle, log } = receiver();
    expect((await deliver(handle)).status).toBe(202);
    // 404 is final: one request per stage and round.
    expect(apiGateway.requests).toHaveLength(4);
    const lines = log.lines();
    expect(lines.filter((line) => line.warning !== undefined).map((line) => [line.warning, line.message, line.StageFlushFailures])).toEqual(
      [
        [
          'ERR_STAGE_FLUSH_FAILED',
          expect.stringMatching(
            /^could not flush the authorizer cache of REST API \w{10} stage \w+: 127\.0\.0\.1:\d+ answered 404 NotFoundException$/,
          ),
          1,
        ],
        ['ERR_STAGE_FLUSH_FAILED', expect.any(String), 1],
        ['ERR_STAGE_FLUSH_FAILED', expect.any(String), 1],
        ['ERR_STAGE_FLUSH_FAILED', expect.any(String), 1],
      ],
    );
    expect(lines.at(-1)).toMatchObject({ revocation: 'marked', status: 202, flushFailures: 4 });
    // Printed too: the setup checks every warning line there as an EMF record.
    expect((await warningLines()).filter((line) => line.warning === 'ERR_STAGE_FLUSH_FAILED').length).toBeGreaterThanOrEqual(4);
  });

  it('reports a flush nobody answers as failed, within its timeout', async () => {
    const { handle, log } = receiver({ AWS_ENDPOINT_URL_API_GATEWAY: 'http://127.0.0.1:1', REVOCATION_FLUSH_REPEAT_SECONDS: '0' });
    expect((await deliver(handle)).status).toBe(202);
    expect(log.lines().filter((line) => line.warning !== undefined)).toHaveLength(2);
  });

  it('does not flush for a refused or replayed SET', async () => {
    const { handle } = receiver();
    const set = await signSet(revocationClaims(accessToken().hash), key);
    expect(answer(await handle(deliveryEvent(set))).status).toBe(202);
    apiGateway.requests.length = 0;
    expect(answer(await handle(deliveryEvent(set))).status).toBe(400);
    expect(answer(await handle(deliveryEvent(set, { method: 'GET' }))).status).toBe(405);
    expect(apiGateway.requests).toHaveLength(0);
  });
});
