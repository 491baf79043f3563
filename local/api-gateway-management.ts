import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, listen, readBody } from './http-server.js';

/**
 * A protocol-level API Gateway control-plane endpoint on 127.0.0.1 with one operation,
 * `FlushStageAuthorizersCache` (`DELETE /restapis/{restapi_id}/stages/{stage_name}/cache/authorizers`,
 * answered 202 with an empty body, as
 * https://docs.aws.amazon.com/apigateway/latest/api/API_FlushStageAuthorizersCache.html documents it),
 * for the revocation receiver pointed at it through `AWS_ENDPOINT_URL_API_GATEWAY`: the stage's
 * local REST gateway forgets its cached authorizer answers, as API Gateway's flush does. A stage it
 * does not know is 404 `NotFoundException`. Like the Secrets Manager endpoint it checks that a
 * request carries a Signature Version 4 `Authorization` header scoped to `apigateway`
 * (`MissingAuthenticationTokenException`, 403, without one; `IncompleteSignatureException`, 400,
 * when malformed), not the signature itself. HTTP APIs have no such operation, and none is served.
 */
export interface FlushableStage {
  /** Forgets the stage's cached authorizer answers (LocalRestApiGateway.clearCache). */
  clearCache(): void;
}

export interface StageFlush {
  readonly restApiId: string;
  readonly stage: string;
  /** When the cache was cleared, `Date.now()`. */
  readonly atMs: number;
}

export interface LocalApiGatewayManagement {
  readonly endpoint: string;
  /** Every flush answered 202, in order. */
  readonly flushes: readonly StageFlush[];
  /** Makes a REST API stage flushable under the id a function's environment names it by (template.ts, localRestApiId). */
  register(restApiId: string, stage: string, target: FlushableStage): void;
  close(): Promise<void>;
}

/** `AWS4-HMAC-SHA256 Credential=<key>/<yyyymmdd>/<region>/apigateway/aws4_request, SignedHeaders=…host…, Signature=<64 hex>`. */
const SIGV4_AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=[A-Za-z0-9]+\/\d{8}\/[a-z0-9-]+\/apigateway\/aws4_request, SignedHeaders=[a-z0-9;-]*\bhost\b[a-z0-9;-]*, Signature=[0-9a-f]{64}$/;

const FLUSH_PATH = /^\/restapis\/([^/]+)\/stages\/([^/]+)\/cache\/authorizers$/;

export async function startLocalApiGatewayManagement(port = 0): Promise<LocalApiGatewayManagement> {
  const stages = new Map<string, FlushableStage>();
  const flushes: StageFlush[] = [];

  const server = http.createServer(async (request, response) => {
    await readBody(request).catch(() => '');
    const reply = (status: number, type?: string, message?: string): void => {
      const headers: http.OutgoingHttpHeaders = { 'x-amzn-requestid': randomUUID() };
      if (type === undefined) response.writeHead(status, headers).end();
      else
        response
          .writeHead(status, { ...headers, 'content-type': 'application/json', 'x-amzn-errortype': type })
          .end(JSON.stringify({ message }));
    };
    const authorization = request.headers.authorization;
    if (authorization === undefined) return reply(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    if (!SIGV4_AUTHORIZATION.test(authorization) || request.headers['x-amz-date'] === undefined)
      return reply(400, 'IncompleteSignatureException', 'the request signature does not conform to AWS standards');
    const path = new URL(request.url ?? '/', 'http://local').pathname;
    const match = FLUSH_PATH.exec(path);
    if (request.method !== 'DELETE' || match === null)
      return reply(
        404,
        'UnknownOperationException',
        `this local endpoint serves FlushStageAuthorizersCache only; received ${request.method} ${path}`,
      );
    const [, restApiId = '', stage = ''] = match.map((part) => decodeURIComponent(part));
    const target = stages.get(`${restApiId}/${stage}`);
    if (target === undefined) return reply(404, 'NotFoundException', 'Invalid Stage identifier specified');
    target.clearCache();
    flushes.push({ restApiId, stage, atMs: Date.now() });
    return reply(202);
  });
  await listen(server, port);
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    flushes,
    register(restApiId, stage, target) {
      stages.set(`${restApiId}/${stage}`, target);
    },
    close: () => closeServer(server),
  };
}
