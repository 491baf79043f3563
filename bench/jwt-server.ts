import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A minimal introspection endpoint in its own process for the benchmarks: answers every POST
 * with the same JWT (application/jwt, max-age=300), so the authorizer and a bare client pay the
 * same server cost. Prints its port on stdout.
 */
const now = Math.floor(Date.now() / 1000);
const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = `${part({ alg: 'RS256', kid: 'bench', typ: 'at+jwt' })}.${part({
  iss: 'https://idp.example.com',
  sub: 'bench-user',
  client_id: 'bench-client',
  scope: 'read write',
  iat: now,
  exp: now + 3600,
  jti: 'a'.repeat(22),
})}.${'s'.repeat(342)}`;

const server = http.createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, {
      'content-type': 'application/jwt',
      'cache-control': 'max-age=300',
      'content-length': Buffer.byteLength(jwt),
    });
    response.end(jwt);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.on('disconnect', () => process.exit(0));
