import { hash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { createAuthorizer as CreateAuthorizer } from '../lambda/authorizer.js';
import type { LocalSecretsManager } from '../local/secrets-manager.js';

/**
 * Benchmark 1d: decisions on a cached DPoP-bound token, each with a fresh ES256 proof (made
 * before the clock starts, as the client makes it). Measures what a DPoP request adds to a cache
 * hit: jose's proof verification, the key thumbprint, the htu reconstruction, the replay cache.
 */
export async function dpopCachedDecisions(
  createAuthorizer: typeof CreateAuthorizer,
  secrets: LocalSecretsManager,
  count: number,
  time: (call: () => Promise<unknown>) => Promise<number>,
): Promise<number[]> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const now = Math.floor(Date.now() / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = { sub: 'bench-user', scope: 'read', exp: now + 3600, cnf: { jkt: await calculateJwkThumbprint(jwk) } };
  const jwt = `${part({ alg: 'RS256', typ: 'at+jwt' })}.${part(claims)}.${'s'.repeat(342)}`;
  // One introspection only (the token is cached after it): this server may share the event loop.
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/jwt', 'cache-control': 'max-age=3600' }).end(jwt));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  secrets.put('bench-dpop', JSON.stringify({ client_id: 'bench-authorizer', client_secret: 'bench-secret' }));
  const handler = createAuthorizer({
    INTROSPECTION_ENDPOINT: `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`,
    CLIENT_CREDENTIALS_SECRET: 'bench-dpop',
    ROUTE_SCOPES: JSON.stringify({ 'GET /echo': ['read'] }),
    SENDER_CONSTRAINED_TOKENS: 'true',
  });
  const token = 'bench-dpop-token-0123456789abcdef';
  const ath = hash('sha256', token, 'base64url');
  const htu = 'https://abc123.execute-api.eu-west-1.amazonaws.com/echo';
  const events: object[] = [];
  for (let i = 0; i <= count; i++) {
    const proof = await new SignJWT({ jti: randomUUID(), htm: 'GET', htu, iat: now, ath })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
      .sign(privateKey);
    events.push({
      version: '2.0',
      type: 'REQUEST',
      routeKey: 'GET /echo',
      rawPath: '/echo',
      headers: { authorization: `DPoP ${token}`, dpop: proof, host: 'abc123.execute-api.eu-west-1.amazonaws.com' },
      requestContext: { apiId: 'abc123', domainName: 'abc123.execute-api.eu-west-1.amazonaws.com', http: { method: 'GET', path: '/echo' } },
    });
  }
  const [first, ...rest] = events;
  if (!((await handler(first)) as { isAuthorized: boolean }).isAuthorized) throw new Error('the DPoP warm-up was not allowed');
  const samples: number[] = [];
  for (const event of rest) {
    let allowed = false;
    samples.push(await time(async () => (allowed = ((await handler(event)) as { isAuthorized: boolean }).isAuthorized)));
    if (!allowed) throw new Error('a DPoP decision was not an allow');
  }
  await new Promise((resolve) => server.close(resolve));
  return samples;
}
