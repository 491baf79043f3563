import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
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
  | 'inactive-204'
  | 'body';

/** An unsigned JWS-shaped token with the given claims; the application/jwt mode does not verify it. */
export function fakeJwt(claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'RS256', typ: 'at+jwt' }): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part(header)}.${part(claims)}.${Buffer.from('signature').toString('base64url')}`;
}

/**
 * A real HTTP server on 127.0.0.1 that misbehaves on purpose, one mode at a time. It records each
 * request so tests can prove which inputs reached it and in what form.
 */
export interface FaultServer {
  readonly url: string;
  /** `GET` here answers with `jwks` when it is set. */
  readonly jwksUri: string;
  mode: FaultMode;
  /** Modes for the next requests, taken in order before `mode` applies. */
  next: FaultMode[];
  /** Milliseconds each answer waits before it starts (0: at once). */
  delayMs: number;
  /** What mode `body` answers: 200, `content-type` as given, this body. */
  body: { readonly contentType: string; readonly text: string };
  /** When set, `GET /jwks` answers with this JWKS whatever the mode. */
  jwks: object | undefined;
  readonly requests: { readonly headers: http.IncomingHttpHeaders; readonly body: string }[];
  close(): Promise<void>;
}

export async function startFaultServer(): Promise<FaultServer> {
  const state: Pick<FaultServer, 'mode' | 'next' | 'delayMs' | 'body' | 'jwks'> = {
    mode: 'status-500',
    next: [],
    delayMs: 0,
    body: { contentType: 'application/jwt', text: '' },
    jwks: undefined,
  };
  const requests: FaultServer['requests'][number][] = [];
  const server = http.createServer(async (request, response) => {
    const body = await readBody(request);
    requests.push({ headers: request.headers, body });
    if (request.url === '/jwks' && state.jwks !== undefined) {
      return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(state.jwks));
    }
    const mode = state.next.shift() ?? state.mode;
    if (state.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
    const now = Math.floor(Date.now() / 1000);
    switch (mode) {
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
      case 'body':
        return void response.writeHead(200, { 'content-type': state.body.contentType }).end(state.body.text);
    }
  });
  await listen(server, 0);
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, {
    url: `${origin}/introspect`,
    jwksUri: `${origin}/jwks`,
    requests,
    close: () => closeServer(server),
  });
}

/**
 * A TCP listener on 127.0.0.1 that accepts connections and, while `silent`, never answers (as an
 * endpoint behind a VPC without a route to it does): the client's own deadline must end the wait.
 * While not silent it forwards each connection byte for byte to `forwardTo` (`host:port`); turning
 * it silent cuts those connections, so the next request, even over keep-alive, meets the silence.
 */
export interface SilentListener {
  readonly url: string;
  silent: boolean;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

export async function startSilentListener(forwardTo?: string): Promise<SilentListener> {
  const held = new Set<net.Socket>();
  const forwarded = new Set<net.Socket>();
  let silent = forwardTo === undefined;
  let accepted = 0;
  const track = (set: Set<net.Socket>, socket: net.Socket) => {
    set.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => set.delete(socket));
  };
  const server = net.createServer((socket) => {
    accepted += 1;
    if (silent || forwardTo === undefined) {
      track(held, socket);
      socket.resume(); // read and drop what the client sends; never write a byte
      return;
    }
    const [host, port] = forwardTo.split(':') as [string, string];
    const upstream = net.connect(Number(port), host);
    track(forwarded, socket);
    track(forwarded, upstream);
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const destroyAll = (set: Set<net.Socket>) => {
    for (const socket of set) socket.destroy();
  };
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get silent() {
      return silent;
    },
    set silent(value: boolean) {
      silent = value;
      if (value) destroyAll(forwarded);
    },
    get accepted() {
      return accepted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        destroyAll(held);
        destroyAll(forwarded);
        server.close(() => resolve());
      }),
  };
}
