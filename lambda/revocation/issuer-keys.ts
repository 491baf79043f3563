import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import { MAX_RESPONSE_BYTES } from '../environment.js';
import { httpRequest } from '../http-client.js';
import { loadJose } from '../jose-loader.js';

/**
 * After a fetch of the JWKS, how long an unknown `kid` is answered from the keys in hand without
 * fetching again, milliseconds. Anyone may POST to the receiver and a SET's header is theirs to
 * write, so unknown kids could otherwise make every delivery a JWKS fetch: this bounds what they can
 * force to one fetch per instance per 10 s. A real key rotation arriving inside that window is
 * answered 503 (`Retry-After`), not refused: the transmitter delivers again and finds the new key.
 */
export const JWKS_REFETCH_COOLDOWN_MS = 10_000;

/** How long a JWKS is used before it is fetched again regardless, milliseconds (jose's default). */
export const JWKS_MAX_AGE_MS = 10 * 60_000;

/**
 * The issuer's signing keys from `REVOCATION_JWKS_URI`, through jose's remote key set (loaded the way
 * the authorizer loads it, `loadJose()`, started at cold start): cached, fetched again on an unknown
 * `kid` at most once per {@link JWKS_REFETCH_COOLDOWN_MS}, each fetch through the project's HTTP
 * client (keep-alive, `timeoutMs`, a {@link MAX_RESPONSE_BYTES} body cap).
 */
export class IssuerKeys {
  readonly getKey: Promise<JWTVerifyGetKey & { jwks(): JSONWebKeySet | undefined }>;
  private fetchCount = 0;

  constructor(
    readonly uri: URL,
    timeoutMs: number,
  ) {
    this.getKey = loadJose().then(({ createRemoteJWKSet, customFetch }) =>
      createRemoteJWKSet(uri, {
        timeoutDuration: timeoutMs,
        cooldownDuration: JWKS_REFETCH_COOLDOWN_MS,
        cacheMaxAge: JWKS_MAX_AGE_MS,
        [customFetch]: (url: string, options: { headers: Headers }) => this.fetch(url, options, timeoutMs),
      }),
    );
    // A failure to load is reported by the verification that awaits it, not as an unhandled rejection.
    this.getKey.catch(() => {});
  }

  /** How many times the JWKS has been fetched (attempts included): tells whether a verification fetched it. */
  get fetches(): number {
    return this.fetchCount;
  }

  private async fetch(url: string, options: { headers: Headers }, timeoutMs: number): Promise<Response> {
    this.fetchCount++;
    const response = await httpRequest(new URL(url), {
      method: 'GET',
      headers: Object.fromEntries(options.headers),
      timeoutMs,
      maxBytes: MAX_RESPONSE_BYTES,
    });
    return new Response(response.body, { status: response.status });
  }
}
