import { hash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { listen, readBody } from '../local/http-server.js';
import type { IntrospectionRecord } from './records.js';

/** What the proxy does to the introspection requests it receives now. */
export type ProxyMode = 'pass' | 'slow' | 'status-5xx' | 'stall' | 'starting';

/**
 * The identity server as the authorizer sees it: an HTTP proxy on 127.0.0.1 in front of the local
 * OAuth server's phantom introspection endpoint, which misbehaves on command (slow answers, 500 and
 * 503, requests that are never answered, a closed port) and records every introspection it
 * receives (the token's SHA-256, never the token; when; what was answered) for the oracle.
 *
 * A restart is played here too: every connection cut, in-flight exchanges included, the port
 * closed, then open but answering 503 while "starting". The local OAuth server keeps its tokens
 * in memory and would lose them on a real restart; an identity server's tokens live in its
 * database and survive one, so its process stays up behind the proxy.
 *
 * It also plays the identity server's client authentication, so that the client secret can rotate:
 * it accepts the one `Authorization` value of the authorizer's current secret (`invalid_client`
 * for any other) and forwards with the credentials the OAuth server was configured with.
 */
export interface FaultProxy {
  readonly url: string;
  mode: ProxyMode;
  /** Extra delay of each answer in `slow` mode, ms. */
  slowMs: number;
  /** The `Authorization` header value the identity server accepts now. */
  acceptedAuthorization: string;
  readonly records: readonly IntrospectionRecord[];
  /** Closes the port (connections refused) and cuts every open connection, or opens it again. */
  setRefusing(refusing: boolean): Promise<void>;
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  /** The OAuth server's phantom introspection endpoint. */
  readonly upstream: string;
  /** The `Authorization` value the OAuth server takes from the authorizer's client. */
  readonly upstreamAuthorization: string;
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const records: IntrospectionRecord[] = [];
  const sockets = new Set<Socket>();
  let fiveHundreds = 0;

  const server = http.createServer(async (request, response) => {
    const body = await readBody(request).catch(() => '');
    const token = new URLSearchParams(body).get('token') ?? '';
    const record: IntrospectionRecord = { tokenHash: hash('sha256', token, 'base64url'), receivedMs: Date.now(), result: 'pending' };
    records.push(record);
    const answer = (status: number, headers: http.OutgoingHttpHeaders, text: string, result: IntrospectionRecord['result']) => {
      if (response.destroyed) return;
      record.result = result;
      record.answeredMs = Date.now();
      response.writeHead(status, headers).end(text);
    };
    const mode = state.mode;
    if (mode === 'stall') {
      record.result = 'fault';
      return; // never answered: the authorizer's deadline ends the wait, and cuts the connection
    }
    if (mode === 'status-5xx') {
      fiveHundreds += 1;
      return answer(fiveHundreds % 2 === 0 ? 503 : 500, { 'content-type': 'text/plain' }, 'identity server failing on purpose', 'fault');
    }
    if (mode === 'starting') {
      return answer(503, { 'content-type': 'text/plain', 'retry-after': '1' }, 'identity server starting', 'fault');
    }
    if (request.headers.authorization !== state.acceptedAuthorization) {
      return answer(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic' }, '{"error":"invalid_client"}', 'rejected');
    }
    if (mode === 'slow' && state.slowMs > 0) await new Promise((resolve) => setTimeout(resolve, state.slowMs));
    forward(body)
      .then(({ status, headers, text }) => {
        const result = status === 200 ? 'active' : status === 204 ? 'inactive' : 'fault';
        const passed: http.OutgoingHttpHeaders = {};
        for (const name of ['content-type', 'cache-control'] as const) if (headers[name] !== undefined) passed[name] = headers[name];
        answer(status, passed, text, result);
      })
      .catch(() => answer(502, { 'content-type': 'text/plain' }, 'bad gateway: the identity server is not answering', 'fault'));
  });
  // An identity server behind a load balancer keeps idle connections a minute (ALB's default 60 s);
  // Node's 5 s default would race the authorizer's keep-alive reuse, a fault of its own.
  server.keepAliveTimeout = 65_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function forward(body: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
    return new Promise((resolve, reject) => {
      const outgoing = http.request(upstream, {
        method: 'POST',
        agent,
        headers: {
          authorization: options.upstreamAuthorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/jwt',
          'content-length': String(Buffer.byteLength(body)),
        },
        timeout: 10_000,
      });
      outgoing.on('timeout', () => outgoing.destroy(new Error('upstream timeout')));
      outgoing.on('error', reject);
      outgoing.on('response', (incoming) => {
        readBody(incoming).then((text) => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, text }), reject);
      });
      outgoing.end(body);
    });
  }

  await listen(server, 0);
  const port = (server.address() as AddressInfo).port;
  const state: FaultProxy = {
    url: `http://127.0.0.1:${port}/phantom/introspection`,
    mode: 'pass',
    slowMs: 0,
    acceptedAuthorization: options.upstreamAuthorization,
    records,
    async setRefusing(refusing) {
      if (refusing) {
        if (!server.listening) return;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
      } else if (!server.listening) {
        await listen(server, port);
      }
    },
    async close() {
      await state.setRefusing(true);
      agent.destroy();
    },
  };
  return state;
}
