import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KEY_PREFIX, TABLE_KEY, TOKEN_ITEM } from '../lambda/shared-cache/table-format.js';
import { closeServer, listen, readBody } from '../local/http-server.js';
import type { RevocationMark } from './records.js';

/**
 * The moment each revocation mark reached the table, for the oracle: a pass-through proxy on
 * 127.0.0.1 in front of the local DynamoDB endpoint, given to the revocation receiver alone as its
 * `AWS_ENDPOINT_URL_DYNAMODB` (the authorizers call the endpoint directly, so their table reads are
 * measured without it). A `PutItem` of a `token#` item in state `revoked` answered 200 is recorded
 * when that answer passes: the mark was in the table by then. Requests and answers pass unchanged
 * (the local endpoint checks the signature's form, not its value, so the changed `host` is harmless).
 */
export interface MarkRecorder {
  readonly endpoint: string;
  readonly marks: readonly RevocationMark[];
  close(): Promise<void>;
}

export async function startMarkRecorder(upstream: string): Promise<MarkRecorder> {
  const target = new URL(upstream);
  const marks: RevocationMark[] = [];
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer(async (request, response) => {
    const body = await readBody(request);
    const tokenHash = revokedTokenOf(String(request.headers['x-amz-target'] ?? ''), body);
    const headers = { ...request.headers, host: target.host };
    const outgoing = http.request(target, { method: request.method, path: request.url, headers, agent }, (answer) => {
      readBody(answer).then(
        (text) => {
          if (tokenHash !== undefined && answer.statusCode === 200) marks.push({ tokenHash, markedMs: Date.now() });
          response.writeHead(answer.statusCode ?? 502, answer.headers).end(text);
        },
        () => response.destroy(),
      );
    });
    outgoing.on('error', () => response.destroy());
    outgoing.end(body);
  });
  await listen(server, 0);
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    marks,
    async close() {
      await closeServer(server);
      agent.destroy();
    },
  };
}

/** The token hash of a PutItem that writes a revocation mark; undefined for any other call. */
function revokedTokenOf(target: string, body: string): string | undefined {
  if (!target.endsWith('.PutItem')) return undefined;
  try {
    const item = (JSON.parse(body) as { Item?: Record<string, { S?: unknown }> }).Item ?? {};
    const key = item[TABLE_KEY]?.S;
    if (item[TOKEN_ITEM.state]?.S !== 'revoked' || typeof key !== 'string' || !key.startsWith(KEY_PREFIX.token)) return undefined;
    return key.slice(KEY_PREFIX.token.length);
  } catch {
    return undefined;
  }
}
