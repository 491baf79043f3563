import { type SecretReader, SecretsManagerReader } from './aws/secrets-manager.js';
import { withTimeout } from './deadline.js';
import { ENV } from './environment.js';
import { ClientCredentialsUnavailableError } from './errors.js';

export interface ClientCredentials {
  readonly clientId: string;
  /** `Basic …` for RFC 6749 §2.3.1: id and secret form-urlencoded, then base64. Computed once. */
  readonly basicAuthorization: string;
}

/**
 * How messages name the secret: by the variable that holds its id, never by the id, which may be
 * something pasted into the wrong field (config.ts refuses most such values, not a valid name).
 */
const SECRET = `the secret ${ENV.clientCredentialsSecret} names`;

/** After a failed scheduled re-read, the next attempt waits this long (or the refresh period, if shorter). */
const REFRESH_RETRY_SECONDS = 30;

/** Told when a scheduled re-read failed and the credentials in hand were kept. */
export type RefreshFailedListener = (
  error: ClientCredentialsUnavailableError,
  kept: { ageSeconds: number; retryInSeconds: number },
) => void;

interface Held {
  readonly credentials: ClientCredentials;
  readonly readAt: number;
  /** Until then the credentials are used without asking Secrets Manager; after it, a re-read starts in the background. */
  readonly freshUntil: number;
}

/**
 * The authorizer's OAuth client credentials, read from one Secrets Manager secret whose
 * SecretString is `{"client_id": "…", "client_secret": "…"}`. Cached; re-read after
 * `refreshSeconds` and on demand when the OAuth server rejects them, so a rotated secret is picked
 * up without a redeploy.
 *
 * Every read ends within `readTimeoutMs` (connection, each attempt, and the whole read with the
 * reader's retries), with `ClientCredentialsUnavailableError` if it has no answer by then. A scheduled
 * re-read never makes a request wait: the credentials in hand serve it while the re-read runs in
 * the background (stale-while-revalidate). If that re-read fails, the credentials are kept (the
 * OAuth server still takes them unless the secret rotated, which `invalid_client` handles), the
 * listener is told, and the next attempt waits `REFRESH_RETRY_SECONDS`.
 */
export class ClientCredentialsProvider {
  private current: Held | undefined;
  private pending: Promise<ClientCredentials> | undefined;

  constructor(
    private readonly secretId: string,
    private readonly refreshSeconds: number,
    private readonly readTimeoutMs: number,
    private reader?: SecretReader,
    private readonly onRefreshFailed: RefreshFailedListener = () => {},
  ) {}

  /**
   * The credentials in hand, without waiting (`undefined` until a first read succeeds). When they
   * are due for a re-read, starts one in the background and still returns them.
   */
  inHand(): ClientCredentials | undefined {
    const current = this.current;
    if (current === undefined) return undefined;
    if (this.pending === undefined && Date.now() >= current.freshUntil) this.revalidate(current);
    return current.credentials;
  }

  /** The credentials in hand, or the first read's. */
  get(): Promise<ClientCredentials> {
    const held = this.inHand();
    return held === undefined ? this.refresh() : Promise.resolve(held);
  }

  /** Re-reads the secret now; concurrent callers share one read, which settles within `readTimeoutMs`. */
  refresh(): Promise<ClientCredentials> {
    this.pending ??= this.read().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private revalidate(current: Held): void {
    this.refresh().catch((error: ClientCredentialsUnavailableError) => {
      // A forced refresh may have shared this read and replaced `current` since: then say nothing.
      if (this.current !== current) return;
      const now = Date.now();
      const retryInSeconds = Math.min(REFRESH_RETRY_SECONDS, this.refreshSeconds);
      this.current = { ...current, freshUntil: now + retryInSeconds * 1000 };
      this.onRefreshFailed(error, { ageSeconds: Math.round((now - current.readAt) / 1000), retryInSeconds });
    });
  }

  private async read(): Promise<ClientCredentials> {
    let secretString: string | undefined;
    const timeoutMs = this.readTimeoutMs;
    try {
      // GetSecretValue signed by hand over node:https (secrets-manager.ts), not the AWS SDK: the
      // SDK's loading was most of the cold start (docs/performance.md, "What #13 bought").
      this.reader ??= new SecretsManagerReader(process.env);
      // The whole read, retries and backoff included, whatever reader was given: settle at the
      // deadline even if the reader does not.
      secretString = await withTimeout(
        this.reader.getSecretString(this.secretId, timeoutMs),
        timeoutMs,
        () => new ClientCredentialsUnavailableError(`could not read ${SECRET}: Secrets Manager did not answer within ${timeoutMs} ms`),
      );
    } catch (cause) {
      if (cause instanceof ClientCredentialsUnavailableError) throw cause;
      const { name, message } = cause as Error;
      // AWS's error type says it all; a reader that could not even ask says why (never a secret: it has none yet).
      const detail = name === 'InvalidConfiguration' || name === 'CredentialsMissing' ? ` (${message})` : '';
      throw new ClientCredentialsUnavailableError(`could not read ${SECRET}: ${name}${detail}`, { cause });
    }
    const credentials = parseSecret(secretString);
    const readAt = Date.now();
    this.current = { credentials, readAt, freshUntil: readAt + this.refreshSeconds * 1000 };
    return credentials;
  }
}

function parseSecret(secretString: string | undefined): ClientCredentials {
  let parsed: { client_id?: unknown; client_secret?: unknown } | undefined;
  try {
    parsed = secretString === undefined ? undefined : JSON.parse(secretString);
  } catch {
    parsed = undefined;
  }
  const clientId = parsed?.client_id;
  const clientSecret = parsed?.client_secret;
  if (typeof clientId !== 'string' || clientId === '' || typeof clientSecret !== 'string' || clientSecret === '') {
    // Name the rule, never the value: the secret string may hold the client secret.
    throw new ClientCredentialsUnavailableError(
      `${SECRET} must hold a SecretString of JSON with non-empty string fields client_id and client_secret`,
    );
  }
  const basic = Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64');
  return { clientId, basicAuthorization: `Basic ${basic}` };
}

/** application/x-www-form-urlencoded encoding of one value (space as `+`). */
export function formEncode(value: string): string {
  const encoded = encodeURIComponent(value);
  return encoded.includes('%20') ? encoded.replaceAll('%20', '+') : encoded;
}
