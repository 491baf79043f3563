import { httpRequest } from './http-client.js';
import { type AwsCredentials, signRequest } from './sigv4.js';

/** Reads one secret's SecretString; the client-credentials provider's only view of Secrets Manager. */
export interface SecretReader {
  /**
   * The SecretString of the secret's current version (`undefined` when it has none), within
   * `timeoutMs`. Throws an error whose `name` says what failed (AWS's error type or the network
   * failure's code), never the secret's value.
   */
  getSecretString(secretId: string, timeoutMs: number): Promise<string | undefined>;
}

/**
 * What Secrets Manager answered instead of the secret, or why it could not be asked: `name` is
 * AWS's error type (`ResourceNotFoundException`, `AccessDeniedException`, …) or the network
 * failure's code (`ECONNREFUSED`, `TimeoutError`).
 */
export class SecretsManagerRequestError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Attempts per read, as the AWS SDKs' standard retry mode: the first and two retries. */
const MAX_ATTEMPTS = 3;
/** Full-jitter backoff before retry n: a random wait below BACKOFF_BASE_MS × 2^(n−1). */
const BACKOFF_BASE_MS = 100;
/** A GetSecretValue answer: a SecretString is at most 64 KiB, JSON-escaped at most 6 × that. */
const MAX_ANSWER_BYTES = 512 * 1_024;
/** AWS error types that mean "try again" besides any 5xx (AWS SDKs' throttling errors). */
const THROTTLING = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'RequestThrottled']);

/**
 * AWS partitions by region name (the AWS SDKs' partitions data): DNS suffix, and the dual-stack
 * one. A region that matches none is in `aws`, as the SDKs treat an unknown region. Secrets
 * Manager's own endpoint rules (as the SDK resolves them) keep the plain suffix for dual stack in
 * `aws` and `aws-us-gov`, and in `aws-cn` without FIPS: those endpoints are dual-stack already.
 */
interface Partition {
  readonly dns: string;
  readonly dualStack: string;
  /** Dual stack takes `dualStack` only with FIPS. */
  readonly fipsOnlyDualStack?: true;
}
const PARTITIONS: readonly (Partition & { readonly region: RegExp })[] = [
  { region: /^cn-\w+-\d+$/, dns: 'amazonaws.com.cn', dualStack: 'api.amazonwebservices.com.cn', fipsOnlyDualStack: true },
  { region: /^eusc-de-\w+-\d+$/, dns: 'amazonaws.eu', dualStack: 'api.amazonwebservices.eu' },
  { region: /^us-iso-\w+-\d+$/, dns: 'c2s.ic.gov', dualStack: 'api.aws.ic.gov' },
  { region: /^us-isob-\w+-\d+$/, dns: 'sc2s.sgov.gov', dualStack: 'api.aws.scloud' },
  { region: /^eu-isoe-\w+-\d+$/, dns: 'cloud.adc-e.uk', dualStack: 'api.cloud-aws.adc-e.uk' },
  { region: /^us-isof-\w+-\d+$/, dns: 'csp.hci.ic.gov', dualStack: 'api.aws.hci.ic.gov' },
];
/** `aws` and `aws-us-gov` (and any region not matched above). */
const AWS_PARTITION: Partition = { dns: 'amazonaws.com', dualStack: 'amazonaws.com' };

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Secrets Manager's GetSecretValue over `node:https`, signed with Signature Version 4: the one call
 * the authorizer makes to AWS, without the SDK's weight at cold start. Region, credentials and
 * endpoint come from the environment as Lambda sets it and as the AWS SDKs read it:
 * `AWS_REGION` (or `AWS_DEFAULT_REGION`); `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
 * `AWS_SESSION_TOKEN` (the execution role's session); `AWS_ENDPOINT_URL_SECRETS_MANAGER` or
 * `AWS_ENDPOINT_URL` (https, or http on loopback only), else the regional endpoint, with
 * `AWS_USE_FIPS_ENDPOINT` and `AWS_USE_DUALSTACK_ENDPOINT`. The protocol is AWS JSON 1.1
 * (`POST /`, `X-Amz-Target: secretsmanager.GetSecretValue`). Retries network failures, 5xx and
 * throttling, three attempts in all with full-jitter backoff, all within the read's time.
 */
export class SecretsManagerReader implements SecretReader {
  /** The endpoint; throws `SecretsManagerRequestError` (`InvalidConfiguration`) on a region or endpoint it cannot use. */
  readonly endpoint: URL;
  readonly region: string;

  constructor(private readonly env: Environment = process.env) {
    this.region = env.AWS_REGION || env.AWS_DEFAULT_REGION || '';
    this.endpoint = secretsManagerEndpoint(env, this.region);
  }

  async getSecretString(secretId: string, timeoutMs: number): Promise<string | undefined> {
    const credentials = this.credentials();
    const deadline = performance.now() + timeoutMs;
    const body = JSON.stringify({ SecretId: secretId });
    for (let attempt = 1; ; attempt++) {
      let failure: SecretsManagerRequestError;
      try {
        return await this.attempt(body, credentials, deadline);
      } catch (error) {
        if (!(error instanceof SecretsManagerRequestError) || !error.retryable) throw error;
        failure = error;
      }
      const backoffMs = Math.random() * BACKOFF_BASE_MS * 2 ** (attempt - 1);
      if (attempt >= MAX_ATTEMPTS || performance.now() + backoffMs >= deadline) throw failure;
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
    }
  }

  private async attempt(body: string, credentials: AwsCredentials, deadline: number): Promise<string | undefined> {
    const headers = signRequest({
      method: 'POST',
      url: this.endpoint,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' },
      body,
      service: 'secretsmanager',
      region: this.region,
      credentials,
    });
    let response: Awaited<ReturnType<typeof httpRequest>>;
    try {
      // A little past the read's deadline: the caller's own deadline speaks first (see ClientCredentialsProvider).
      const timeoutMs = Math.max(1, Math.ceil(deadline - performance.now())) + 20;
      response = await httpRequest(this.endpoint, { method: 'POST', headers, body, timeoutMs, maxBytes: MAX_ANSWER_BYTES });
    } catch (cause) {
      const code = networkCode(cause);
      throw new SecretsManagerRequestError(code, `${this.endpoint.host}: ${code}`, code !== 'ResponseTooLarge', { cause });
    }
    if (response.status !== 200) {
      const type = errorType(response.headers['x-amzn-errortype'], response.body) ?? `HttpStatus${response.status}`;
      throw new SecretsManagerRequestError(
        type,
        `${this.endpoint.host} answered ${response.status} ${type}`,
        response.status >= 500 || THROTTLING.has(type),
      );
    }
    let answer: { SecretString?: unknown } | null;
    try {
      answer = JSON.parse(response.body);
    } catch {
      answer = null;
    }
    if (answer === null || typeof answer !== 'object' || (answer.SecretString !== undefined && typeof answer.SecretString !== 'string')) {
      throw new SecretsManagerRequestError('InvalidResponse', `${this.endpoint.host} answered 200 without a GetSecretValue result`, false);
    }
    return answer.SecretString;
  }

  /** Read at every call: the environment is the source of truth, as for the SDKs' environment provider. */
  private credentials(): AwsCredentials {
    const accessKeyId = this.env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = this.env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) {
      throw new SecretsManagerRequestError(
        'CredentialsMissing',
        'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (Lambda sets them to the execution role session)',
        false,
      );
    }
    return { accessKeyId, secretAccessKey, sessionToken: this.env.AWS_SESSION_TOKEN || undefined };
  }
}

/** The Secrets Manager endpoint for this environment, as the AWS SDKs resolve it. */
export function secretsManagerEndpoint(env: Environment, region: string): URL {
  const configured = env.AWS_ENDPOINT_URL_SECRETS_MANAGER || env.AWS_ENDPOINT_URL;
  const fips = flag(env, 'AWS_USE_FIPS_ENDPOINT');
  const dualStack = flag(env, 'AWS_USE_DUALSTACK_ENDPOINT');
  if (configured) {
    if (fips || dualStack)
      throw invalid('a configured endpoint URL cannot be combined with AWS_USE_FIPS_ENDPOINT or AWS_USE_DUALSTACK_ENDPOINT');
    let url: URL;
    try {
      url = new URL(configured);
    } catch {
      throw invalid('the configured Secrets Manager endpoint URL is not an absolute URL');
    }
    const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
    if (url.username || url.password || url.search || !(url.protocol === 'https:' || (url.protocol === 'http:' && loopback))) {
      throw invalid(
        `the configured Secrets Manager endpoint must be https (http only on loopback), without credentials or query; received ${url.protocol}//${url.host}`,
      );
    }
    return url;
  }
  if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(region)) {
    throw invalid(`AWS_REGION must be a region name; received ${JSON.stringify(region.slice(0, 40))}`);
  }
  const partition = PARTITIONS.find((p) => p.region.test(region)) ?? AWS_PARTITION;
  const suffix = dualStack && (fips || !partition.fipsOnlyDualStack) ? partition.dualStack : partition.dns;
  return new URL(`https://secretsmanager${fips ? '-fips' : ''}.${region}.${suffix}/`);
}

function flag(env: Environment, name: string): boolean {
  const value = env[name];
  if (value === undefined || value === '' || value.toLowerCase() === 'false') return false;
  if (value.toLowerCase() === 'true') return true;
  throw invalid(`${name} must be true or false; received ${JSON.stringify(value.slice(0, 20))}`);
}

function invalid(message: string): SecretsManagerRequestError {
  return new SecretsManagerRequestError('InvalidConfiguration', message, false);
}

/**
 * AWS's error type of an error answer: the `x-amzn-errortype` header or the JSON body's `__type`
 * (AWS JSON 1.1), without namespace (`…#`) or suffix (`:…`); or an XML body's first `<Code>`, as
 * authentication failures come from some front ends (moto's among them). Only a plain identifier
 * is believed.
 */
function errorType(header: string | string[] | undefined, body: string): string | undefined {
  let raw = typeof header === 'string' ? header : undefined;
  if (raw === undefined && body.trimStart().startsWith('<')) raw = /<Code>([^<]{1,64})<\/Code>/.exec(body)?.[1];
  if (raw === undefined) {
    try {
      const type = (JSON.parse(body) as { __type?: unknown } | null)?.__type;
      raw = typeof type === 'string' ? type : undefined;
    } catch {
      raw = undefined;
    }
  }
  const type = raw?.split(':')[0]?.split('#').pop();
  return type !== undefined && /^[A-Za-z][A-Za-z0-9]{0,63}$/.test(type) ? type : undefined;
}

/** The code of a failed exchange: the socket's (`ECONNREFUSED`, `ECONNRESET`), a timeout, a cut or oversized answer. */
function networkCode(error: unknown): string {
  const message = (error as Error).message ?? '';
  const code = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code)) return code;
  if (/did not answer within/.test(message)) return 'TimeoutError';
  if (/bytes/.test(message)) return 'ResponseTooLarge';
  return 'ConnectionError';
}
