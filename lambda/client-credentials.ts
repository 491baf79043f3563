import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ClientCredentialsUnavailableError } from './errors.js';

export interface ClientCredentials {
  readonly clientId: string;
  /** `Basic …` for RFC 6749 §2.3.1: id and secret form-urlencoded, then base64. Computed once. */
  readonly basicAuthorization: string;
}

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
  /** Until then the credentials are used without asking Secrets Manager. */
  readonly freshUntil: number;
}

/**
 * The authorizer's OAuth client credentials, read from one Secrets Manager secret whose
 * SecretString is `{"client_id": "…", "client_secret": "…"}`. Cached; re-read after
 * `refreshSeconds` and on demand when the OAuth server rejects them, so a rotated secret is picked
 * up without a redeploy. A failed scheduled re-read keeps the credentials in hand (the OAuth
 * server still takes them unless the secret rotated, which `invalid_client` handles), tells the
 * listener, and is tried again after `REFRESH_RETRY_SECONDS` rather than on every request.
 */
export class ClientCredentialsProvider {
  private current: Held | undefined;
  private pending: Promise<ClientCredentials> | undefined;

  constructor(
    private readonly secretId: string,
    private readonly refreshSeconds: number,
    private client?: SecretsManagerClient,
    private readonly onRefreshFailed: RefreshFailedListener = () => {},
  ) {}

  /** The credentials when they are within their refresh period: what every warm request uses, without waiting. */
  fresh(): ClientCredentials | undefined {
    const current = this.current;
    return current !== undefined && Date.now() < current.freshUntil ? current.credentials : undefined;
  }

  async get(): Promise<ClientCredentials> {
    const fresh = this.fresh();
    if (fresh !== undefined) return fresh;
    const current = this.current;
    if (current === undefined) return this.refresh();
    try {
      return await this.refresh();
    } catch (error) {
      // Callers that shared the failed read see the same `current`: only the first reschedules and tells.
      if (this.current === current) {
        const now = Date.now();
        const retryInSeconds = Math.min(REFRESH_RETRY_SECONDS, this.refreshSeconds);
        this.current = { ...current, freshUntil: now + retryInSeconds * 1000 };
        this.onRefreshFailed(error as ClientCredentialsUnavailableError, {
          ageSeconds: Math.round((now - current.readAt) / 1000),
          retryInSeconds,
        });
      }
      return current.credentials;
    }
  }

  /** Re-reads the secret now; concurrent callers share one read. */
  refresh(): Promise<ClientCredentials> {
    this.pending ??= this.read().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async read(): Promise<ClientCredentials> {
    let secretString: string | undefined;
    try {
      // The SDK is loaded on the first read, not at module load: the cold start starts this read
      // right away (see authorizer.ts), so its loading overlaps the runtime's wait for the event.
      const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
      this.client ??= new SecretsManagerClient({});
      const output = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
      secretString = output.SecretString;
    } catch (cause) {
      throw new ClientCredentialsUnavailableError(`could not read secret ${this.secretId}: ${(cause as Error).name}`, { cause });
    }
    const credentials = parseSecret(this.secretId, secretString);
    const readAt = Date.now();
    this.current = { credentials, readAt, freshUntil: readAt + this.refreshSeconds * 1000 };
    return credentials;
  }
}

function parseSecret(secretId: string, secretString: string | undefined): ClientCredentials {
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
      `secret ${secretId} must hold a SecretString of JSON with non-empty string fields client_id and client_secret`,
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
