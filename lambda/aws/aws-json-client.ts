import { httpRequest } from '../http-client.js';
import { redactUrl, showValue } from '../redact-url.js';
import { type AwsCredentials, signRequest } from './sigv4.js';

/**
 * One AWS JSON protocol call (`POST /`, `X-Amz-Target: <prefix>.<Operation>`) over `node:https`,
 * signed with Signature Version 4: what the authorizer needs of AWS (Secrets Manager's
 * GetSecretValue, DynamoDB's PutItem) without the SDK's weight at cold start. Everything here is
 * the same for every service; a service is described by an `AwsJsonService`.
 */

/**
 * What AWS answered instead of a result, or why it could not be asked: `name` is AWS's error type
 * (`ResourceNotFoundException`, `AccessDeniedException`, …), the network failure's code
 * (`ECONNREFUSED`, `TimeoutError`), or `InvalidConfiguration`, `CredentialsMissing`,
 * `InvalidResponse`, `ResponseTooLarge`.
 */
export class AwsRequestError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** AWS partitions (the AWS SDKs' partitions data): DNS suffix and dual-stack DNS suffix. */
export interface AwsPartition {
  readonly name: string;
  readonly dnsSuffix: string;
  readonly dualStackDnsSuffix: string;
}

/** Where a service's regional endpoint is, given the partition and the FIPS and dual-stack choices. */
export interface EndpointChoice {
  readonly region: string;
  readonly partition: AwsPartition;
  readonly fips: boolean;
  readonly dualStack: boolean;
}

/** One AWS service spoken to in AWS JSON. */
export interface AwsJsonService {
  /** For messages: `Secrets Manager`, `DynamoDB`. */
  readonly displayName: string;
  /** The Signature Version 4 signing name: `secretsmanager`, `dynamodb`. */
  readonly signingName: string;
  /** The service's own endpoint variable, read before `AWS_ENDPOINT_URL`: `AWS_ENDPOINT_URL_SECRETS_MANAGER`. */
  readonly endpointVariable: string;
  /** AWS JSON protocol version: Secrets Manager speaks 1.1, DynamoDB 1.0. */
  readonly jsonVersion: '1.0' | '1.1';
  /** `X-Amz-Target` is `<targetPrefix>.<Operation>`: `secretsmanager`, `DynamoDB_20120810`. */
  readonly targetPrefix: string;
  /** The largest answer believed, in bytes; a larger one is `ResponseTooLarge`, not retried. */
  readonly maxAnswerBytes: number;
  /** The regional endpoint's host name, as the service's endpoint rules resolve it (they have one for every partition, FIPS and dual-stack choice). */
  readonly regionalHost: (choice: EndpointChoice) => string;
  /** The class of the errors thrown (default `AwsRequestError`). */
  readonly errorClass?: typeof AwsRequestError;
}

/** Attempts per call, as the AWS SDKs' standard retry mode: the first and two retries. */
const MAX_ATTEMPTS = 3;
/** Full-jitter backoff before retry n: a random wait below BACKOFF_BASE_MS × 2^(n−1). */
const BACKOFF_BASE_MS = 100;
/** AWS error types that mean "try again" besides any 5xx (AWS SDKs' throttling errors). */
const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'ProvisionedThroughputExceededException',
]);

/** Partitions by region name. A region that matches none is in `aws`, as the SDKs treat an unknown region. */
const PARTITIONS: readonly (AwsPartition & { readonly region: RegExp })[] = [
  { region: /^cn-\w+-\d+$/, name: 'aws-cn', dnsSuffix: 'amazonaws.com.cn', dualStackDnsSuffix: 'api.amazonwebservices.com.cn' },
  { region: /^us-gov-\w+-\d+$/, name: 'aws-us-gov', dnsSuffix: 'amazonaws.com', dualStackDnsSuffix: 'api.aws' },
  { region: /^eusc-de-\w+-\d+$/, name: 'aws-eusc', dnsSuffix: 'amazonaws.eu', dualStackDnsSuffix: 'api.amazonwebservices.eu' },
  { region: /^us-iso-\w+-\d+$/, name: 'aws-iso', dnsSuffix: 'c2s.ic.gov', dualStackDnsSuffix: 'api.aws.ic.gov' },
  { region: /^us-isob-\w+-\d+$/, name: 'aws-iso-b', dnsSuffix: 'sc2s.sgov.gov', dualStackDnsSuffix: 'api.aws.scloud' },
  { region: /^eu-isoe-\w+-\d+$/, name: 'aws-iso-e', dnsSuffix: 'cloud.adc-e.uk', dualStackDnsSuffix: 'api.cloud-aws.adc-e.uk' },
  { region: /^us-isof-\w+-\d+$/, name: 'aws-iso-f', dnsSuffix: 'csp.hci.ic.gov', dualStackDnsSuffix: 'api.aws.hci.ic.gov' },
];
const AWS_PARTITION: AwsPartition = { name: 'aws', dnsSuffix: 'amazonaws.com', dualStackDnsSuffix: 'api.aws' };

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Calls one service in AWS JSON. Region, credentials and endpoint come from the environment as
 * Lambda sets it and as the AWS SDKs read it: `AWS_REGION` (or `AWS_DEFAULT_REGION`);
 * `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` (the execution role's session);
 * the service's `AWS_ENDPOINT_URL_<SERVICE>` or `AWS_ENDPOINT_URL` (https, or http on loopback
 * only), else the regional endpoint, with `AWS_USE_FIPS_ENDPOINT` and `AWS_USE_DUALSTACK_ENDPOINT`.
 * Retries network failures, 5xx and throttling, three attempts in all with full-jitter backoff,
 * all within the call's time.
 */
export class AwsJsonClient {
  /** The endpoint; the constructor throws (`InvalidConfiguration`) on a region or endpoint it cannot use. */
  readonly endpoint: URL;
  readonly region: string;
  private readonly ErrorClass: typeof AwsRequestError;

  constructor(
    readonly service: AwsJsonService,
    private readonly env: Environment = process.env,
  ) {
    this.ErrorClass = service.errorClass ?? AwsRequestError;
    this.region = env.AWS_REGION || env.AWS_DEFAULT_REGION || '';
    this.endpoint = awsEndpoint(service, env, this.region);
  }

  /**
   * `operation` with `input`, within `timeoutMs` (each attempt, backoff and retries): the answer's
   * JSON object. Throws the service's error class, never with the input or the answer in its message.
   */
  async call(operation: string, input: object, timeoutMs: number): Promise<Record<string, unknown>> {
    const credentials = this.credentials();
    const deadline = performance.now() + timeoutMs;
    const body = JSON.stringify(input);
    for (let attempt = 1; ; attempt++) {
      let failure: AwsRequestError;
      try {
        return await this.attempt(operation, body, credentials, deadline);
      } catch (error) {
        if (!(error instanceof AwsRequestError) || !error.retryable) throw error;
        failure = error;
      }
      const backoffMs = Math.random() * BACKOFF_BASE_MS * 2 ** (attempt - 1);
      if (attempt >= MAX_ATTEMPTS || performance.now() + backoffMs >= deadline) throw failure;
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
    }
  }

  private async attempt(operation: string, body: string, credentials: AwsCredentials, deadline: number): Promise<Record<string, unknown>> {
    const { service, ErrorClass } = this;
    const headers = signRequest({
      method: 'POST',
      url: this.endpoint,
      headers: { 'content-type': `application/x-amz-json-${service.jsonVersion}`, 'x-amz-target': `${service.targetPrefix}.${operation}` },
      body,
      service: service.signingName,
      region: this.region,
      credentials,
    });
    let response: Awaited<ReturnType<typeof httpRequest>>;
    try {
      // A little past the call's deadline: the caller's own deadline speaks first (see ClientCredentialsProvider).
      const timeoutMs = Math.max(1, Math.ceil(deadline - performance.now())) + 20;
      response = await httpRequest(this.endpoint, { method: 'POST', headers, body, timeoutMs, maxBytes: service.maxAnswerBytes });
    } catch (cause) {
      const code = networkCode(cause);
      throw new ErrorClass(code, `${this.endpoint.host}: ${code}`, code !== 'ResponseTooLarge', { cause });
    }
    if (response.status !== 200) {
      const type = errorType(response.headers['x-amzn-errortype'], response.body) ?? `HttpStatus${response.status}`;
      throw new ErrorClass(
        type,
        `${this.endpoint.host} answered ${response.status} ${type}`,
        response.status >= 500 || THROTTLING.has(type),
      );
    }
    let answer: unknown;
    try {
      answer = JSON.parse(response.body);
    } catch {
      answer = null;
    }
    if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) {
      throw new ErrorClass('InvalidResponse', `${this.endpoint.host} answered 200 without a ${operation} result`, false);
    }
    return answer as Record<string, unknown>;
  }

  /** Read at every call: the environment is the source of truth, as for the SDKs' environment provider. */
  private credentials(): AwsCredentials {
    const accessKeyId = this.env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = this.env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) {
      throw new this.ErrorClass(
        'CredentialsMissing',
        'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (Lambda sets them to the execution role session)',
        false,
      );
    }
    return { accessKeyId, secretAccessKey, sessionToken: this.env.AWS_SESSION_TOKEN || undefined };
  }
}

/** The service's endpoint for this environment, as the AWS SDKs resolve it. */
export function awsEndpoint(service: AwsJsonService, env: Environment, region: string): URL {
  const ErrorClass = service.errorClass ?? AwsRequestError;
  const invalid = (message: string) => new ErrorClass('InvalidConfiguration', message, false);
  const configured = env[service.endpointVariable] || env.AWS_ENDPOINT_URL;
  const fips = flag(env, 'AWS_USE_FIPS_ENDPOINT', invalid);
  const dualStack = flag(env, 'AWS_USE_DUALSTACK_ENDPOINT', invalid);
  if (configured) {
    if (fips || dualStack)
      throw invalid('a configured endpoint URL cannot be combined with AWS_USE_FIPS_ENDPOINT or AWS_USE_DUALSTACK_ENDPOINT');
    let url: URL;
    try {
      url = new URL(configured);
    } catch {
      throw invalid(`the configured ${service.displayName} endpoint URL is not an absolute URL; received ${redactUrl(configured)}`);
    }
    const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
    if (url.username || url.password || url.search || !(url.protocol === 'https:' || (url.protocol === 'http:' && loopback))) {
      throw invalid(
        `the configured ${service.displayName} endpoint must be https (http only on loopback), without credentials or query; received ${redactUrl(configured)}`,
      );
    }
    return url;
  }
  if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(region)) {
    throw invalid(`AWS_REGION must be a region name; received ${showValue(region.slice(0, 40))}`);
  }
  const partition = PARTITIONS.find((p) => p.region.test(region)) ?? AWS_PARTITION;
  return new URL(`https://${service.regionalHost({ region, partition, fips, dualStack })}/`);
}

function flag(env: Environment, name: string, invalid: (message: string) => AwsRequestError): boolean {
  const value = env[name];
  if (value === undefined || value === '' || value.toLowerCase() === 'false') return false;
  if (value.toLowerCase() === 'true') return true;
  throw invalid(`${name} must be true or false; received ${showValue(value.slice(0, 20))}`);
}

/**
 * AWS's error type of an error answer: the `x-amzn-errortype` header or the JSON body's `__type`
 * (AWS JSON 1.0 and 1.1), without namespace (`…#`) or suffix (`:…`); or an XML body's first
 * `<Code>`, as authentication failures come from some front ends (moto's among them). Only a plain
 * identifier is believed.
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
