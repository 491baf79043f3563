import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, listen, readBody } from './http-server.js';

/**
 * A protocol-level Secrets Manager endpoint on 127.0.0.1 (AWS JSON 1.1: `POST /` with
 * `X-Amz-Target: secretsmanager.<Operation>`), for the real `@aws-sdk/client-secrets-manager`
 * client pointed at it through `AWS_ENDPOINT_URL_SECRETS_MANAGER`. It serves `CreateSecret`,
 * `GetSecretValue` (by name or ARN) and `PutSecretValue`. It checks that a request carries a
 * Signature Version 4 `Authorization` header for Secrets Manager (`MissingAuthenticationToken`,
 * 403, without one; `IncompleteSignature`, 400, when it is malformed or scoped to another
 * service), not the signature itself: it knows no secret keys. Where `moto_server` is installed
 * the tests also run against it, with its signature checks on (test/moto).
 */
export interface LocalSecretsManager {
  readonly endpoint: string;
  /** How many GetSecretValue calls it has answered. */
  readonly reads: number;
  /** Answer every call with a 500 while true, to test an unavailable Secrets Manager. */
  failing: boolean;
  /** Milliseconds every answer waits before it is sent (0: at once), to test a slow Secrets Manager. */
  delayMs: number;
  /** Error answers for the next calls, taken in order before any other answer (`{ status: 400, type: 'ThrottlingException' }`). */
  next: { readonly status: number; readonly type: string }[];
  /** The `Authorization` header of the last call. */
  readonly lastAuthorization: string | undefined;
  put(name: string, secretString: string): string;
  close(): Promise<void>;
}

interface Secret {
  readonly arn: string;
  readonly name: string;
  secretString: string;
  versionId: string;
}

/** `AWS4-HMAC-SHA256 Credential=<key>/<yyyymmdd>/<region>/secretsmanager/aws4_request, SignedHeaders=…host…, Signature=<64 hex>`. */
const SIGV4_AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=[A-Za-z0-9]+\/\d{8}\/[a-z0-9-]+\/secretsmanager\/aws4_request, SignedHeaders=[a-z0-9;-]*\bhost\b[a-z0-9;-]*, Signature=[0-9a-f]{64}$/;

export async function startLocalSecretsManager(port = 0, region = 'us-east-1'): Promise<LocalSecretsManager> {
  const secrets = new Map<string, Secret>();
  let reads = 0;
  let lastAuthorization: string | undefined;
  const find = (id: unknown) => [...secrets.values()].find((s) => s.name === id || s.arn === id);
  const put = (name: string, secretString: string): string => {
    const existing = secrets.get(name);
    if (existing) {
      existing.secretString = secretString;
      existing.versionId = randomUUID();
      return existing.arn;
    }
    const arn = `arn:aws:secretsmanager:${region}:000000000000:secret:${name}-${randomUUID().slice(0, 6)}`;
    secrets.set(name, { arn, name, secretString, versionId: randomUUID() });
    return arn;
  };

  const server = http.createServer(async (request, response) => {
    const body = JSON.parse((await readBody(request)) || '{}') as Record<string, unknown>;
    const target = String(request.headers['x-amz-target'] ?? '');
    const reply = (status: number, payload: unknown) =>
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(payload));
    if (state.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
    if (state.failing) return reply(500, { __type: 'InternalServiceError', message: 'local endpoint set to fail' });
    const scripted = state.next.shift();
    if (scripted !== undefined) return reply(scripted.status, { __type: scripted.type, message: 'scripted answer of the local endpoint' });
    lastAuthorization = request.headers.authorization;
    if (lastAuthorization === undefined) {
      return reply(403, { __type: 'MissingAuthenticationToken', message: 'the request carries no Authorization header' });
    }
    if (!SIGV4_AUTHORIZATION.test(lastAuthorization) || request.headers['x-amz-date'] === undefined) {
      return reply(400, { __type: 'IncompleteSignature', message: 'the request signature does not conform to AWS standards' });
    }
    switch (target) {
      case 'secretsmanager.CreateSecret':
      case 'secretsmanager.PutSecretValue': {
        const name = target.endsWith('CreateSecret') ? body.Name : (find(body.SecretId)?.name ?? body.SecretId);
        const arn = put(String(name), String(body.SecretString));
        const secret = find(arn) as Secret;
        return reply(200, { ARN: arn, Name: secret.name, VersionId: secret.versionId });
      }
      case 'secretsmanager.GetSecretValue': {
        reads += 1;
        const secret = find(body.SecretId);
        if (!secret)
          return reply(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
        return reply(200, {
          ARN: secret.arn,
          Name: secret.name,
          SecretString: secret.secretString,
          VersionId: secret.versionId,
          VersionStages: ['AWSCURRENT'],
          CreatedDate: Date.now() / 1000,
        });
      }
      default:
        return reply(400, { __type: 'UnknownOperationException', message: `unsupported operation ${target}` });
    }
  });
  await listen(server, port);
  const state: LocalSecretsManager = {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get reads() {
      return reads;
    },
    failing: false,
    delayMs: 0,
    next: [],
    get lastAuthorization() {
      return lastAuthorization;
    },
    put,
    close: () => closeServer(server),
  };
  return state;
}
