import { AwsJsonClient, type AwsJsonService, AwsRequestError, awsEndpoint, type Environment } from './aws-json-client.js';

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
export class SecretsManagerRequestError extends AwsRequestError {}

/**
 * Secrets Manager in AWS JSON 1.1. Its endpoint rules (as the SDK resolves them) keep the plain
 * DNS suffix for dual stack in `aws` and `aws-us-gov`, and in `aws-cn` without FIPS: those
 * endpoints are dual-stack already.
 */
const SECRETS_MANAGER: AwsJsonService = {
  displayName: 'Secrets Manager',
  signingName: 'secretsmanager',
  endpointVariable: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  jsonVersion: '1.1',
  targetPrefix: 'secretsmanager',
  // A SecretString is at most 64 KiB, JSON-escaped at most 6 × that.
  maxAnswerBytes: 512 * 1_024,
  regionalHost: ({ region, partition, fips, dualStack }) => {
    const dualStackAlready = partition.name === 'aws' || partition.name === 'aws-us-gov' || (partition.name === 'aws-cn' && !fips);
    const suffix = dualStack && !dualStackAlready ? partition.dualStackDnsSuffix : partition.dnsSuffix;
    return `secretsmanager${fips ? '-fips' : ''}.${region}.${suffix}`;
  },
  errorClass: SecretsManagerRequestError,
};

/**
 * Secrets Manager's GetSecretValue over `node:https`, signed with Signature Version 4 (see
 * `AwsJsonClient` for region, credentials, endpoint and retries): the authorizer's read of its
 * client credentials, without the SDK's weight at cold start. Errors are `SecretsManagerRequestError`.
 */
export class SecretsManagerReader implements SecretReader {
  private readonly client: AwsJsonClient;

  /** Throws `SecretsManagerRequestError` (`InvalidConfiguration`) on a region or endpoint it cannot use. */
  constructor(env: Environment = process.env) {
    this.client = new AwsJsonClient(SECRETS_MANAGER, env);
  }

  get endpoint(): URL {
    return this.client.endpoint;
  }

  get region(): string {
    return this.client.region;
  }

  async getSecretString(secretId: string, timeoutMs: number): Promise<string | undefined> {
    const answer = await this.client.call('GetSecretValue', { SecretId: secretId }, timeoutMs);
    if (answer.SecretString !== undefined && typeof answer.SecretString !== 'string') {
      throw new SecretsManagerRequestError('InvalidResponse', `${this.endpoint.host} answered 200 without a GetSecretValue result`, false);
    }
    return answer.SecretString;
  }
}

/** The Secrets Manager endpoint for this environment, as the AWS SDKs resolve it. */
export function secretsManagerEndpoint(env: Environment, region: string): URL {
  return awsEndpoint(SECRETS_MANAGER, env, region);
}
