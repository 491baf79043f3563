import { createHash, createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { TOKEN_REVOKED_EVENT } from '../../../lambda/shared-cache/table-format.js';
import { closeServer, listen, readBody } from '../../../local/http-server.js';
import { rememberSecret } from '../../support/log-capture.js';
import { Sha256 } from '../../support/sha256.js';

export { Sha256 };

/**
 * The revocation receiver's peers as real servers on 127.0.0.1 — the issuer's JWKS, a DynamoDB
 * stand-in, API Gateway's control plane — and real SETs signed with jose.
 */

export const ISSUER = 'https://idp.example.com';
export const AUDIENCE = 'https://api.example.com/revocation';
export const TABLE = 'phantom-shared-cache';
export const CREDENTIALS = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDLOCAL', AWS_SECRET_ACCESS_KEY: 'local-secret-key' };

interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

async function serve(handle: (request: RecordedRequest, response: http.ServerResponse) => void) {
  const requests: RecordedRequest[] = [];
  const server = http.createServer(async (incoming, response) => {
    const request = { method: incoming.method ?? '', path: incoming.url ?? '', headers: incoming.headers, body: await readBody(incoming) };
    requests.push(request);
    handle(request, response);
  });
  await listen(server, 0);
  return { server, requests, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A signing key of the issuer: its private key and its public JWK as the JWKS lists it. */
export interface IssuerKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  readonly jwk: JWK;
}

export async function issuerKey(kid: string, alg = 'ES256'): Promise<IssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** The issuer's JWKS on 127.0.0.1: `keys` may change between requests; `status` other than 200 fails the fetch. */
export async function startJwksServer(keys: IssuerKey[]) {
  const state = { keys, status: 200 };
  const { server, requests, url } = await serve((_request, response) => {
    if (state.status !== 200) return void response.writeHead(state.status).end('unavailable');
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys.map((key) => key.jwk) }));
  });
  return {
    state,
    requests,
    uri: `${url}/jwks`,
    close: () => closeServer(server),
  };
}

/**
 * A DynamoDB stand-in: PutItem in AWS JSON 1.0 on an in-memory table, with the two conditions the
 * receiver writes (`attribute_not_exists(pk)`, `claimId = :claim`) evaluated as DynamoDB does. It
 * records each request; `next` scripts answers (`lost`: the write is done, the answer is a 500).
 */
export async function startDynamoDbStandIn() {
  const items = new Map<string, Record<string, { S?: string; N?: string }>>();
  const next: ({ status: number; type: string } | 'ok' | 'lost')[] = [];
  const fail = (response: http.ServerResponse, status: number, type: string): void => {
    response
      .writeHead(status, { 'content-type': 'application/x-amz-json-1.0' })
      .end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: 'stand-in' }));
  };
  const { server, requests, url } = await serve((request, response) => {
    const scripted = next.shift();
    if (typeof scripted === 'object') return fail(response, scripted.status, scripted.type);
    const input = JSON.parse(request.body) as {
      TableName: string;
      Item: Record<string, { S?: string; N?: string }>;
      ConditionExpression?: string;
      ExpressionAttributeValues?: Record<string, { S?: string }>;
    };
    if (input.TableName !== TABLE) return fail(response, 400, 'ResourceNotFoundException');
    const key = input.Item.pk?.S ?? '';
    const existing = items.get(key);
    if (input.ConditionExpression !== undefined) {
      if (input.ConditionExpression !== 'attribute_not_exists(pk) OR claimId = :claim') return fail(response, 400, 'ValidationException');
      const mine = existing?.claimId?.S === input.ExpressionAttributeValues?.[':claim']?.S;
      if (existing !== undefined && !mine) return fail(response, 400, 'ConditionalCheckFailedException');
    }
    items.set(key, input.Item);
    if (scripted === 'lost') return fail(response, 500, 'InternalServerError');
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
  });
  return { items, next, requests, url, close: () => closeServer(server) };
}

/** API Gateway's control plane: records each request and answers `status` (202: flushed). */
export async function startApiGatewayStandIn() {
  const state = { status: 202, next: [] as number[] };
  const { server, requests, url } = await serve((_request, response) => {
    const status = state.next.shift() ?? state.status;
    if (status === 202) return void response.writeHead(202).end();
    response
      .writeHead(status, {
        'content-type': 'application/json',
        'x-amzn-errortype': status === 404 ? 'NotFoundException:http://internal.amazon.com/' : 'TooManyRequestsException',
      })
      .end('{"message":"stand-in"}');
  });
  return { state, requests, url, close: () => closeServer(server) };
}

export type JwksServer = Awaited<ReturnType<typeof startJwksServer>>;
export type DynamoDbStandIn = Awaited<ReturnType<typeof startDynamoDbStandIn>>;
export type ApiGatewayStandIn = Awaited<ReturnType<typeof startApiGatewayStandIn>>;

/** The receiver's peers, running: the issuer's JWKS and the DynamoDB stand-in. */
export interface ReceiverPeers {
  readonly jwks: JwksServer;
  readonly dynamo: DynamoDbStandIn;
  /**
   * Puts every peer back as it started: no recorded requests, no scripted answers, an empty table,
   * the JWKS listing the keys it started with and answering 200, API Gateway answering 202.
   */
  reset(): void;
  close(): Promise<void>;
}

/** {@link ReceiverPeers} with API Gateway's control plane, for a receiver that flushes stages. */
export interface FlushingReceiverPeers extends ReceiverPeers {
  readonly apiGateway: ApiGatewayStandIn;
}

/**
 * Starts the receiver's peers on 127.0.0.1: a JWKS listing `keys`, the DynamoDB stand-in and, with
 * `apiGateway`, API Gateway's control plane.
 */
export async function startReceiverPeers(keys: IssuerKey[]): Promise<ReceiverPeers>;
export async function startReceiverPeers(keys: IssuerKey[], options: { apiGateway: true }): Promise<FlushingReceiverPeers>;
export async function startReceiverPeers(
  keys: IssuerKey[],
  options: { apiGateway?: boolean } = {},
): Promise<ReceiverPeers & { readonly apiGateway?: ApiGatewayStandIn }> {
  const listed = [...keys];
  const jwks = await startJwksServer([...listed]);
  const dynamo = await startDynamoDbStandIn();
  const apiGateway = options.apiGateway ? await startApiGatewayStandIn() : undefined;
  return {
    jwks,
    dynamo,
    apiGateway,
    reset: () => {
      jwks.requests.length = 0;
      jwks.state.keys = [...listed];
      jwks.state.status = 200;
      dynamo.requests.length = 0;
      dynamo.next.length = 0;
      dynamo.items.clear();
      if (apiGateway === undefined) return;
      apiGateway.requests.length = 0;
      apiGateway.state.status = 202;
      apiGateway.state.next = [];
    },
    close: async () => {
      await Promise.all([jwks.close(), dynamo.close(), apiGateway?.close()]);
    },
  };
}

/**
 * A random opaque access token and its SHA-256, base64url: both remembered, as neither may be
 * printed (a log line names the token by `tokenId`, the hash's first 12 hex characters, only).
 */
export function accessToken(): { token: string; hash: string } {
  const token = rememberSecret(randomBytes(32).toString('base64url'));
  return { token, hash: rememberSecret(createHash('sha256').update(token).digest('base64url')) };
}

/** The claims of a SET revoking the token whose hash is `hash`, its `sub_id` a top-level claim. */
export function revocationClaims(hash: string, nowSeconds = Math.floor(Date.now() / 1000)): JWTPayload {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    iat: nowSeconds,
    jti: randomBytes(12).toString('hex'),
    sub_id: { format: 'opaque', id: hash },
    events: { [TOKEN_REVOKED_EVENT]: {} },
  };
}

/** A SET signed with `key` (remembered: it must never be printed). */
export async function signSet(claims: JWTPayload, key: IssuerKey, header: Record<string, unknown> = {}): Promise<string> {
  const set = await new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'secevent+jwt', ...header })
    .sign(key.privateKey);
  return rememberSecret(set);
}

/** A JWS made by hand: any header, any signature bytes. */
export function handMadeJws(header: object, claims: object, signature: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return rememberSecret(`${part(header)}.${part(claims)}.${signature}`);
}

/** A SET signed with HMAC-SHA256 (`HS256`) under `secret`. */
export function hmacSet(claims: object, secret: string, kid: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part({ alg: 'HS256', kid, typ: 'secevent+jwt' })}.${part(claims)}`;
  return rememberSecret(`${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`);
}

/** A function URL event (payload format 2.0) delivering `body`. */
export function deliveryEvent(
  body: string | undefined,
  options: { method?: string; contentType?: string | null; base64?: boolean } = {},
): LambdaFunctionURLEvent {
  const contentType = options.contentType === undefined ? 'application/secevent+jwt' : options.contentType;
  const base64 = options.base64 ?? true;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: { host: 'abc123.lambda-url.eu-west-1.on.aws', ...(contentType === null ? {} : { 'content-type': contentType }) },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abc123',
      domainName: 'abc123.lambda-url.eu-west-1.on.aws',
      domainPrefix: 'abc123',
      http: { method: options.method ?? 'POST', path: '/', protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'transmitter' },
      requestId: randomBytes(8).toString('hex'),
      routeKey: '$default',
      stage: '$default',
      time: '07/Dec/2026:06:00:00 +0000',
      timeEpoch: Date.now(),
    },
    body: body === undefined ? undefined : base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: body !== undefined && base64,
  };
}

/** The structured result, with its JSON body parsed. */
export function answer(result: unknown): { status: number; headers: Record<string, unknown>; body: unknown } {
  const { statusCode, headers, body } = result as APIGatewayProxyStructuredResultV2;
  return { status: statusCode ?? 0, headers: (headers ?? {}) as Record<string, unknown>, body: body ? JSON.parse(body) : body };
}

/** The receiver's environment for these servers. */
export function receiverEnv(jwksUri: string, dynamoDb: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...CREDENTIALS,
    REVOCATION_ISSUER: ISSUER,
    REVOCATION_JWKS_URI: jwksUri,
    REVOCATION_AUDIENCE: AUDIENCE,
    SHARED_CACHE_TABLE: TABLE,
    REVOCATION_TIMEOUT_MS: '1000',
    AWS_ENDPOINT_URL_DYNAMODB: dynamoDb,
    ...extra,
  };
}

/**
 * The receiver's log lines (its `write` option), parsed; printed as well, so the setup's check that
 * no remembered token, SET or hash reached the output covers them.
 */
export function logSink() {
  const text: string[] = [];
  return {
    write: (line: string) => {
      text.push(line);
      process.stdout.write(line);
    },
    text,
    lines: () => text.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** The `x-amz-date` header as a Date. */
export function amzDate(value: unknown): Date {
  return new Date(String(value).replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
}
