import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, listen, readBody } from '../../local/http-server.js';

export type FaultMode =
  | 'reset'
  | 'stall'
  | 'status-500'
  | 'status-503'
  | 'status-302'
  | 'html'
  | 'huge'
  | 'invalid-client'
  | 'jwt-chunked'
  | 'jwt-expired'
  | 'inactive-json'
  | 'inactive-204';

/** An unsigned JWS-shaped token with the given claims; the application/jwt mode does not verify it. */
export function fakeJwt(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'at+jwt' })}.${part(claims)}.${Buffer.from('signature').toString('base64url')}`;
}

/**
 * A real HTTP server on 127.0.0.1 that misbehaves on purpose, one mode at a time. It records each
 * request so tests can prove which inputs reached it and in what form.
 */
export interface FaultServer {
  readonly url: string;
  mode: FaultMode;
  readonly requests: { readonly headers: http.IncomingHttpHeaders; readonly body: string }[];
  close(): Promise<void>;
}

export async function startFaultServer(): Promise<FaultServer> {
  const state: { mode: FaultMode } = { mode: 'status-500' };
  const requests: FaultServer['requests'][number][] = [];
  const server = http.createServer(async (request, response) => {
    const body = await readBody(request);
    requests.push({ headers: request.headers, body });
    const now = Math.floor(Date.now() / 1000);
    switch (state.mode) {
      case 'reset':
        response.writeHead(200, { 'content-type': 'application/jwt', 'content-length': '500' });
        response.write('eyJhbGciOi');
        setTimeout(() => response.socket?.destroy(), 5);
        return;
      case 'stall':
        return; // never answers; the client's deadline must end it
      case 'status-500':
        return void response.writeHead(500).end('internal error');
      case 'status-503':
        return void response.writeHead(503, { 'retry-after': '1' }).end();
      case 'status-302':
        return void response.writeHead(302, { location: 'http://127.0.0.1:1/' }).end();
      case 'html':
        return void response.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Login</body></html>');
      case 'huge': {
        response.writeHead(200, { 'content-type': 'application/jwt' }); // chunked, no Content-Length
        const block = 'A'.repeat(64 * 1024);
        for (let i = 0; i < 48 && !response.destroyed; i++) response.write(block);
        return void response.end();
      }
      case 'invalid-client':
        return void response
          .writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic' })
          .end('{"error":"invalid_client"}');
      case 'jwt-chunked': {
        const jwt = fakeJwt({ sub: 'alice', client_id: 'demo-client', scope: 'read write', exp: now + 120 });
        response.writeHead(200, { 'content-type': 'application/jwt', 'cache-control': 'max-age=60' });
        response.write(jwt.slice(0, 20));
        setTimeout(() => response.end(jwt.slice(20)), 5);
        return;
      }
      case 'jwt-expired':
        return void response
          .writeHead(200, { 'content-type': 'application/jwt' })
          .end(fakeJwt({ sub: 'alice', scope: 'read', exp: now - 5 }));
      case 'inactive-json':
        return void response.writeHead(200, { 'content-type': 'application/json' }).end('{"active":false}');
      case 'inactive-204':
        return void response.writeHead(204).end();
    }
  });
  await listen(server, 0);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`,
    get mode() {
      return state.mode;
    },
    set mode(mode: FaultMode) {
      state.mode = mode;
    },
    requests,
    close: () => closeServer(server),
  };
}
