import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

/**
 * A DPoP client in a few lines (RFC 9449), against `SENDER_CONSTRAINED_TOKENS=true npm start`:
 * makes a key pair, gets an access token bound to it from the OAuth server (a proof for POST at
 * the token endpoint), then calls the API with a fresh proof per request (method, URL, the
 * token's hash), and shows what a thief holding only the token gets. Prints statuses, never the token.
 *
 *   npx tsx scripts/dpop-example.ts [api URL] [token endpoint]
 *   (defaults http://127.0.0.1:3000/echo and http://127.0.0.1:3001/token; client demo-client / demo-secret)
 */
async function main(): Promise<void> {
  const api = process.argv[2] ?? 'http://127.0.0.1:3000/echo';
  const tokenEndpoint = process.argv[3] ?? 'http://127.0.0.1:3001/token';

  // 1. The client's key: the private key never leaves the client; the public JWK goes in every proof.
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);

  /** A proof for one request: signed by the key, naming method and URL, and (to an API) the token's hash. */
  async function proof(htm: string, htu: string, accessToken?: string): Promise<string> {
    const ath = accessToken === undefined ? undefined : await sha256(accessToken);
    return new SignJWT({ jti: randomUUID(), htm, htu, iat: Math.floor(Date.now() / 1000), ...(ath ? { ath } : {}) })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: jwk as JWK })
      .sign(privateKey);
  }

  // 2. A token bound to that key: the token request carries a proof.
  const tokenResponse = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('demo-client:demo-secret').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      dpop: await proof('POST', tokenEndpoint),
    },
    body: 'grant_type=client_credentials&scope=read',
  });
  const { access_token: token, token_type: tokenType } = (await tokenResponse.json()) as { access_token?: string; token_type?: string };
  if (token === undefined) throw new Error(`the token request failed with status ${tokenResponse.status}`);
  console.log(`token_type ${tokenType}, bound to key thumbprint (cnf.jkt) ${await calculateJwkThumbprint(jwk)}`);

  // 3. Each API call: Authorization: DPoP <token>, and a fresh proof in the DPoP header.
  const call = async (label: string, headers: Record<string, string>) => console.log(`${(await fetch(api, { headers })).status}  ${label}`);
  const first = await proof('GET', api, token);
  await call('DPoP token with a fresh proof', { authorization: `DPoP ${token}`, dpop: first });
  await call('DPoP token with another fresh proof', { authorization: `DPoP ${token}`, dpop: await proof('GET', api, token) });
  await call('the same proof again (replay)', { authorization: `DPoP ${token}`, dpop: first });
  await call('the token alone, as Bearer (a thief without the key)', { authorization: `Bearer ${token}` });
  await call('the token with the DPoP scheme but no proof', { authorization: `DPoP ${token}` });
}

async function sha256(value: string): Promise<string> {
  return Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value))).toString('base64url');
}

// An async main, not top-level await: the project is CommonJS.
main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
