import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import Provider, { errors } from 'oidc-provider';
import { closeServer, listen, readBody } from './http-server.js';
import { type SetPush, SetTransmitter, type SetTransmitterOptions } from './set-transmitter.js';

/**
 * A real OAuth server on 127.0.0.1 for tests and the local flow: `oidc-provider` (a certified
 * OpenID provider) issuing opaque access tokens by client credentials, with RFC 7662
 * introspection, RFC 9701 JWT introspection responses and RFC 7009 revocation; plus, at
 * `/phantom/introspection`, a Curity-compatible phantom-token endpoint in front of it (200 with a
 * signed JWT of the token's claims as the body, 204 when inactive, `max-age` = remaining lifetime),
 * signed with the provider's own key so the JWT verifies against the provider's JWKS. With a
 * receiver set (`revocationPush.endpoint` or `setSecurityEventReceiver`), each access token revoked
 * at the RFC 7009 endpoint is announced by a signed Security Event Token pushed there (RFC 8417,
 * RFC 8935; local/set-transmitter.ts), verifiable with the keys at `securityEventJwksUri`.
 */
export interface OAuthServerOptions {
  /** 0 picks a free port. */
  readonly port?: number;
  /** Lifetime of issued access tokens. @default 600 */
  readonly accessTokenTtlSeconds?: number;
  /** The authorizer's own client (it only introspects). */
  readonly authorizerClient?: { readonly id: string; readonly secret: string };
  /** Clients that obtain tokens by client credentials; `ttlSeconds` overrides `accessTokenTtlSeconds` for one. */
  readonly demoClients?: readonly DemoClient[];
  /** Push revocation: where, for whom, and how patiently SETs are delivered (local/set-transmitter.ts). @default - no receiver until `setSecurityEventReceiver` */
  readonly revocationPush?: RevocationPushOptions;
}

export interface RevocationPushOptions extends Omit<SetTransmitterOptions, 'issuer'> {
  /**
   * How long the revocation answer waits for the SET's delivery, milliseconds. 0: it does not wait
   * (delivery runs on, as an identity server that queues its events does); more: it is answered once
   * the SET is delivered (or refused or failed) or this time has passed, whichever comes first, so a
   * slow or hanging receiver delays a revocation by this much at most.
   * @default 0
   */
  readonly holdResponseMs?: number;
}

export interface OAuthServer {
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly introspectionEndpoint: string;
  readonly phantomIntrospectionEndpoint: string;
  readonly revocationEndpoint: string;
  readonly jwksUri: string;
  readonly port: number;
  /**
   * Obtains an opaque access token by client credentials. With a DPoP proof (RFC 9449 §5, for
   * `POST` at `tokenEndpoint`) the token is bound to the proof's key: its introspection (and the
   * phantom JWT) carries `cnf.jkt`.
   */
  token(clientId: string, clientSecret: string, scope: string, dpopProof?: string): Promise<string>;
  revoke(token: string, clientId: string, clientSecret: string): Promise<void>;
  /** The JWKS (`/set-jwks`) whose key signs the pushed SETs: a receiver's `REVOCATION_JWKS_URI`. */
  readonly securityEventJwksUri: string;
  /** Where SETs are pushed from now on, and their `aud` (unchanged when omitted; DEFAULT_SET_AUDIENCE at first); `undefined` stops pushing. */
  setSecurityEventReceiver(endpoint: URL | string | undefined, audience?: string): void;
  /** Every SET pushed so far, with its delivery (attempts, statuses, timing). */
  readonly securityEventPushes: readonly SetPush[];
  /** Resolves when every SET delivery started so far has ended. */
  securityEventsSettled(): Promise<void>;
  close(): Promise<void>;
}

export interface DemoClient {
  readonly id: string;
  readonly secret: string;
  readonly scope: string;
  readonly ttlSeconds?: number;
}

/**
 * The resource (RFC 8707) tokens are issued for when the client names none: their `aud`. The
 * sample app requires it as its audience (bin/sample-stack.ts, SAMPLE_API_AUDIENCE).
 */
export const DEFAULT_RESOURCE = 'https://api.example.com';
/** Another resource a client may ask for, to get a token minted for another API. */
export const OTHER_RESOURCE = 'https://other-api.example.com';

export const DEFAULT_AUTHORIZER_CLIENT = { id: 'phantom-authorizer', secret: 'authorizer secret: +/=&%' };
export const DEFAULT_DEMO_CLIENT: DemoClient = { id: 'demo-client', secret: 'demo-secret', scope: 'read write' };
export const DEFAULT_DEMO_CLIENTS: readonly DemoClient[] = [
  DEFAULT_DEMO_CLIENT,
  { id: 'reader-client', secret: 'reader-secret', scope: 'read' },
];

export async function startOAuthServer(options: OAuthServerOptions = {}): Promise<OAuthServer> {
  const authorizer = options.authorizerClient ?? DEFAULT_AUTHORIZER_CLIENT;
  const demoClients = options.demoClients ?? DEFAULT_DEMO_CLIENTS;
  const ttl = options.accessTokenTtlSeconds ?? 600;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  // A new key, with a new kid, at every start: a restart is a key rotation.
  const signingJwk: JWK = { ...(await exportJWK(privateKey)), kid: `local-${randomUUID().slice(0, 8)}`, alg: 'RS256', use: 'sig' };

  const server = http.createServer();
  await listen(server, options.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: authorizer.id,
        client_secret: authorizer.secret,
        grant_types: [],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        introspection_signed_response_alg: 'RS256',
      },
      ...demoClients.map((client) => ({
        client_id: client.id,
        client_secret: client.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: client.scope,
      })),
    ],
    scopes: ['read', 'write'],
    jwks: { keys: [signingJwk] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      jwtIntrospection: { enabled: true },
      revocation: { enabled: true },
      // RFC 9449: a token request with a DPoP proof gets a token bound to its key (cnf.jkt); no server nonce.
      dPoP: { enabled: true },
      // RFC 8707: every token is issued for a resource, its aud (DEFAULT_RESOURCE unless the client asks for another).
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf ?? DEFAULT_RESOURCE,
        getResourceServerInfo: async (_ctx, resource) => {
          if (resource !== DEFAULT_RESOURCE && resource !== OTHER_RESOURCE) throw new errors.InvalidTarget();
          return { scope: 'read write', audience: resource, accessTokenFormat: 'opaque' as const };
        },
      },
    },
    ttl: {
      ClientCredentials: (_ctx: unknown, _token: unknown, client: { clientId: string }) =>
        demoClients.find((c) => c.id === client.clientId)?.ttlSeconds ?? ttl,
    },
  });
  // The provider's own warnings about development defaults are noise in tests.
  provider.on('server_error', () => {});

  // Push revocation. oidc-provider emits `<kind>.destroyed` with the token when the revocation
  // endpoint destroys it (nothing else destroys access tokens here); an opaque token's `jti` is its
  // value. The SETs of one revocation request are collected through its async context, so that its
  // answer can wait for them (holdResponseMs).
  const transmitter = await SetTransmitter.create({ ...options.revocationPush, issuer });
  const holdResponseMs = options.revocationPush?.holdResponseMs ?? 0;
  const revocationRequest = new AsyncLocalStorage<Promise<SetPush>[]>();
  const onDestroyed = (token: { jti: string }) => {
    const push = transmitter.revoked(token.jti);
    if (push !== undefined) revocationRequest.getStore()?.push(push.done);
  };
  provider.on('access_token.destroyed', onDestroyed);
  provider.on('client_credentials.destroyed', onDestroyed);
  provider.use(async (ctx, next) => {
    if (ctx.path !== '/token/revocation') return next();
    const pushes: Promise<SetPush>[] = [];
    await revocationRequest.run(pushes, next);
    if (pushes.length === 0 || holdResponseMs <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(pushes), new Promise((resolve) => (timer = setTimeout(resolve, holdResponseMs)))]);
    clearTimeout(timer);
  });

  const signingKey = await importJWK(signingJwk, 'RS256');
  const providerCallback = provider.callback();
  const introspectionEndpoint = `${issuer}/token/introspection`;

  /** The Curity-compatible endpoint: introspect as JSON at the provider, answer with a JWT or 204. */
  async function phantomIntrospection(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const body = await readBody(request);
    const upstream = await fetch(introspectionEndpoint, {
      method: 'POST',
      headers: {
        authorization: request.headers.authorization ?? '',
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body,
    });
    const text = await upstream.text();
    if (upstream.status !== 200) {
      response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' }).end(text);
      return;
    }
    const claims = JSON.parse(text) as Record<string, unknown> & { active: boolean; exp?: number };
    if (!claims.active) {
      response.writeHead(204).end();
      return;
    }
    const { active: _active, token_type: _tokenType, ...payload } = claims;
    const jwt = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid: signingJwk.kid as string, typ: 'at+jwt' })
      .sign(signingKey);
    const remaining = typeof claims.exp === 'number' ? Math.max(0, claims.exp - Math.floor(Date.now() / 1000)) : 0;
    response.writeHead(200, { 'content-type': 'application/jwt', 'cache-control': `max-age=${remaining}` }).end(jwt);
  }

  server.on('request', (request, response) => {
    if (request.method === 'GET' && request.url === '/set-jwks') {
      response
        .writeHead(200, { 'content-type': 'application/jwk-set+json', 'cache-control': 'max-age=300' })
        .end(JSON.stringify(transmitter.jwks));
      return;
    }
    if (request.method === 'POST' && request.url === '/phantom/introspection') {
      phantomIntrospection(request, response).catch(() => {
        if (!response.headersSent) response.writeHead(500).end();
      });
      return;
    }
    providerCallback(request, response);
  });

  return {
    issuer,
    port,
    tokenEndpoint: `${issuer}/token`,
    introspectionEndpoint,
    phantomIntrospectionEndpoint: `${issuer}/phantom/introspection`,
    revocationEndpoint: `${issuer}/token/revocation`,
    jwksUri: `${issuer}/jwks`,
    async token(clientId, clientSecret, scope, dpopProof) {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: basic(clientId, clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
          ...(dpopProof === undefined ? {} : { dpop: dpopProof }),
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
      });
      const body = (await response.json()) as { access_token?: string; error?: string };
      if (body.access_token === undefined) throw new Error(`token request failed: ${response.status} ${body.error}`);
      return body.access_token;
    },
    async revoke(token, clientId, clientSecret) {
      const response = await fetch(`${issuer}/token/revocation`, {
        method: 'POST',
        headers: { authorization: basic(clientId, clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
      });
      if (response.status !== 200) throw new Error(`revocation failed: ${response.status}`);
    },
    securityEventJwksUri: `${issuer}/set-jwks`,
    setSecurityEventReceiver: (endpoint, audience) => transmitter.setReceiver(endpoint, audience),
    get securityEventPushes() {
      return transmitter.pushes;
    },
    securityEventsSettled: () => transmitter.settled(),
    close: () => {
      transmitter.stop();
      return closeServer(server);
    },
  };
}

function basic(id: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`;
}
