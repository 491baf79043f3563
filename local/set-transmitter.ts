import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { TOKEN_REVOKED_EVENT } from '../lambda/shared-cache/table-format.js';

/**
 * The local OAuth server's Security Event Token transmitter (local/oauth-server.ts): on each
 * revoked access token, a SET (RFC 8417) naming it, pushed to the receiver by RFC 8935.
 *
 * The SET: JWS signed ES256 with a key of this transmitter's own (generated at start, published at
 * the OAuth server's `/set-jwks`), header `typ: secevent+jwt`; claims `iss` (the OAuth server's
 * issuer), `aud`, `iat`, `jti` (random), `events: { TOKEN_REVOKED_EVENT: {} }` and the RFC 9493
 * subject `sub_id: { format: 'opaque', id: <SHA-256 of the token, base64url> }`; no `exp` (RFC 8417
 * §2.2 leaves it out of SETs, and the project's receiver refuses one). A key of its own rather
 * than the provider's: the provider's key signs access-token JWTs and introspection answers, and
 * RFC 8417 §4 asks that a SET never be mistaken for either; the receiver is configured with
 * this JWKS URL.
 *
 * Delivery (RFC 8935 §2): `POST` with `Content-Type: application/secevent+jwt` and
 * `Accept: application/json`; 202 is success; a 400 (with `{"err", "description"}`) or any other
 * 4xx is a refusal, not retried; a 5xx, 429, a network error or no answer within
 * `attemptTimeoutMs` is retried, the same SET (same `jti`, so a receiver deduplicates), up to
 * `maxAttempts` attempts, waiting `backoffMs` × 2^(n−1) before retry n, or the receiver's
 * `Retry-After` when it asks for longer and that is at most `maxRetryDelayMs`. Delivery therefore
 * ends within maxAttempts × attemptTimeoutMs + the waits (by default 4 × 2 s + 0.25 + 0.5 + 1 s
 * ≈ 9.75 s, longer only by a Retry-After up to 10 s each). A receiver that refuses a retry as a
 * duplicate after an attempt that went unanswered most likely received the first one: the attempts
 * are all recorded.
 */
export interface SetTransmitterOptions {
  /** The SETs' `iss`: the OAuth server's issuer. */
  readonly issuer: string;
  /** Where SETs are pushed; none until `setReceiver`. */
  readonly endpoint?: URL | string;
  /** The SETs' `aud`: the receiver's identifier. @default DEFAULT_SET_AUDIENCE */
  readonly audience?: string;
  /** Milliseconds one attempt (connect, send, answer) may take. @default 2000 */
  readonly attemptTimeoutMs?: number;
  /** Attempts per SET, the first included (1: never retried). @default 4 */
  readonly maxAttempts?: number;
  /** Milliseconds before the first retry, doubling for each next one. @default 250 */
  readonly backoffMs?: number;
  /** The longest `Retry-After` honoured, milliseconds; a receiver asking for more ends the delivery (failed). @default 10000 */
  readonly maxRetryDelayMs?: number;
}

/** The audience SETs carry unless told otherwise: the sample API's revocation receiver. */
export const DEFAULT_SET_AUDIENCE = 'https://api.example.com/revocation';

/** One delivery attempt: when, how long, and the receiver's status or the failure's name. */
export interface SetPushAttempt {
  readonly startedAtMs: number;
  readonly durationMs: number;
  /** The HTTP status the receiver answered. */
  readonly status?: number;
  /** Why there was no answer: `TimeoutError`, `ECONNREFUSED`, `ECONNRESET`, … */
  readonly error?: string;
}

/** One SET and its delivery, for tests and the soak's figures. */
export interface SetPush {
  readonly jti: string;
  /** `sub_id.id`: SHA-256 of the revoked token, base64url (never the token). */
  readonly tokenHash: string;
  readonly endpoint: string;
  /** When the token was revoked (the SET made), ms since the epoch. */
  readonly revokedAtMs: number;
  /** `delivered` (202), `refused` (a 4xx: not retried), `failed` (attempts or time exhausted), or `pending`. */
  readonly outcome: 'pending' | 'delivered' | 'refused' | 'failed';
  readonly attempts: readonly SetPushAttempt[];
  /** When the delivery ended, ms since the epoch. */
  readonly settledAtMs?: number;
  /** RFC 8935 §2.3 `err` and `description` of a refusal, when the receiver gave them. */
  readonly err?: string;
  readonly description?: string;
  /** Resolves (never rejects) when the delivery has ended. */
  readonly done: Promise<SetPush>;
}

type MutablePush = { -readonly [K in keyof SetPush]: SetPush[K] } & { attempts: SetPushAttempt[] };
type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

export const SET_CONTENT_TYPE = 'application/secevent+jwt';

export class SetTransmitter {
  private endpoint: URL | undefined;
  private audience: string;
  private readonly records: SetPush[] = [];
  private readonly attemptTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly stopping = new AbortController();

  private constructor(
    private readonly options: SetTransmitterOptions,
    private readonly privateKey: SigningKey,
    /** The public JWKS receivers verify SETs with. */
    readonly jwks: { readonly keys: readonly JWK[] },
  ) {
    this.endpoint = options.endpoint === undefined ? undefined : new URL(options.endpoint);
    this.audience = options.audience ?? DEFAULT_SET_AUDIENCE;
    this.attemptTimeoutMs = positive(options.attemptTimeoutMs ?? 2_000, 'attemptTimeoutMs');
    this.maxAttempts = positive(options.maxAttempts ?? 4, 'maxAttempts');
    this.backoffMs = options.backoffMs ?? 250;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 10_000;
    if (!Number.isInteger(this.maxAttempts)) throw new RangeError(`maxAttempts must be an integer; received ${this.maxAttempts}`);
    if (!(this.backoffMs >= 0)) throw new RangeError(`backoffMs must be 0 or more; received ${this.backoffMs}`);
  }

  /** A transmitter with a new ES256 key pair (a new `kid` at every start: a restart is a key rotation). */
  static async create(options: SetTransmitterOptions): Promise<SetTransmitter> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const kid = `set-${randomUUID().slice(0, 8)}`;
    const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
    return new SetTransmitter(options, privateKey, { keys: [publicJwk] });
  }

  /** Where SETs go from now on, and their audience (unchanged when omitted); `undefined` stops pushing. */
  setReceiver(endpoint: URL | string | undefined, audience?: string): void {
    this.endpoint = endpoint === undefined ? undefined : new URL(endpoint);
    if (audience !== undefined) this.audience = audience;
  }

  get receiver(): { readonly endpoint: string | undefined; readonly audience: string } {
    return { endpoint: this.endpoint?.href, audience: this.audience };
  }

  /** Every SET made so far, in order, with its delivery. */
  get pushes(): readonly SetPush[] {
    return this.records;
  }

  /** Ends every delivery in progress (`failed`) and starts no more: the OAuth server is closing. */
  stop(): void {
    this.endpoint = undefined;
    this.stopping.abort();
  }

  /** Resolves when every delivery started so far has ended. */
  async settled(): Promise<void> {
    await Promise.all(this.records.map((push) => push.done));
  }

  /** A SET for `token` revoked, pushed to the receiver; undefined when no receiver is set. */
  revoked(token: string, nowMs = Date.now()): SetPush | undefined {
    const endpoint = this.endpoint;
    if (endpoint === undefined) return undefined;
    let ended: (push: SetPush) => void = () => {};
    const push: MutablePush = {
      jti: randomUUID(),
      tokenHash: createHash('sha256').update(token).digest('base64url'),
      endpoint: endpoint.href,
      revokedAtMs: nowMs,
      outcome: 'pending',
      attempts: [],
      done: new Promise<SetPush>((resolve) => {
        ended = resolve;
      }),
    };
    this.deliver(push, endpoint, this.audience)
      .catch((error: unknown) => {
        // Signing failed: nothing was sent.
        push.description = `the SET could not be made: ${(error as Error).message}`;
        this.settle(push, 'failed');
      })
      .finally(() => ended(push));
    this.records.push(push);
    return push;
  }

  /** The SET for one revoked token, signed. */
  async sign(tokenHash: string, jti: string, audience: string, nowMs: number): Promise<string> {
    const key = this.jwks.keys[0] as JWK;
    return new SignJWT({ events: { [TOKEN_REVOKED_EVENT]: {} }, sub_id: { format: 'opaque', id: tokenHash } })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid as string, typ: 'secevent+jwt' })
      .setIssuer(this.options.issuer)
      .setAudience(audience)
      .setIssuedAt(Math.floor(nowMs / 1000))
      .setJti(jti)
      .sign(this.privateKey);
  }

  private async deliver(push: MutablePush, endpoint: URL, audience: string): Promise<void> {
    const set = await this.sign(push.tokenHash, push.jti, audience, push.revokedAtMs);
    for (let attempt = 1; ; attempt++) {
      const startedAtMs = Date.now();
      let retryAfterMs: number | undefined;
      try {
        const response = await fetch(endpoint, {
          method: 'POST',
          headers: { 'content-type': SET_CONTENT_TYPE, accept: 'application/json' },
          body: set,
          signal: AbortSignal.any([AbortSignal.timeout(this.attemptTimeoutMs), this.stopping.signal]),
          redirect: 'manual',
        });
        const body = await response.text();
        push.attempts.push({ startedAtMs, durationMs: Date.now() - startedAtMs, status: response.status });
        if (response.status === 202) return this.settle(push, 'delivered');
        if (response.status < 500 && response.status !== 429) {
          const { err, description } = deliveryError(body);
          push.err = err;
          push.description = description;
          return this.settle(push, 'refused');
        }
        retryAfterMs = retryAfter(response.headers.get('retry-after'));
      } catch (error) {
        const { name, cause } = error as Error & { cause?: { code?: string } };
        push.attempts.push({ startedAtMs, durationMs: Date.now() - startedAtMs, error: cause?.code ?? name });
      }
      if (this.stopping.signal.aborted) {
        push.description = 'the OAuth server closed during the delivery';
        return this.settle(push, 'failed');
      }
      if (attempt >= this.maxAttempts) return this.settle(push, 'failed');
      const backoff = this.backoffMs * 2 ** (attempt - 1);
      if (retryAfterMs !== undefined && retryAfterMs > this.maxRetryDelayMs) {
        push.description = `the receiver asked to retry after ${retryAfterMs} ms, more than maxRetryDelayMs ${this.maxRetryDelayMs}`;
        return this.settle(push, 'failed');
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.max(backoff, retryAfterMs ?? 0));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.stopping.signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  private settle(push: MutablePush, outcome: SetPush['outcome']): void {
    push.outcome = outcome;
    push.settledAtMs = Date.now();
  }
}

function positive(value: number, name: string): number {
  if (!(value > 0)) throw new RangeError(`${name} must be more than 0; received ${value}`);
  return value;
}

/** RFC 8935 §2.3's error body, `{"err": "...", "description": "..."}`, as far as it is one. */
function deliveryError(body: string): { err?: string; description?: string } {
  try {
    const parsed = JSON.parse(body) as { err?: unknown; description?: unknown };
    return {
      err: typeof parsed.err === 'string' ? parsed.err.slice(0, 100) : undefined,
      description: typeof parsed.description === 'string' ? parsed.description.slice(0, 300) : undefined,
    };
  } catch {
    return {};
  }
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds from now. */
function retryAfter(header: string | null): number | undefined {
  if (header === null) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
