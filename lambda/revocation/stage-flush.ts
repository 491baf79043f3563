import { type AwsJsonService, awsEndpoint, type Environment } from '../aws/aws-json-client.js';
import { signRequest } from '../aws/sigv4.js';
import { httpRequest } from '../http-client.js';
import type { FlushStage } from './config.js';
import { StageFlushFailedError } from './errors.js';

/**
 * API Gateway's control plane, for its endpoint only: it speaks REST JSON, not AWS JSON, so of this
 * description `awsEndpoint` reads the display name, the endpoint variable and `regionalHost`, and
 * the flush below signs its own request. Endpoint rules (as the SDK resolves them):
 * `apigateway[-fips].<region>.<DNS suffix>`, the partition's dual-stack suffix for dual stack;
 * `AWS_ENDPOINT_URL_API_GATEWAY`, else `AWS_ENDPOINT_URL`, when set.
 */
const API_GATEWAY: AwsJsonService = {
  displayName: 'API Gateway',
  signingName: 'apigateway',
  endpointVariable: 'AWS_ENDPOINT_URL_API_GATEWAY',
  jsonVersion: '1.1',
  targetPrefix: '',
  maxAnswerBytes: 64 * 1_024,
  regionalHost: ({ region, partition, fips, dualStack }) =>
    `apigateway${fips ? '-fips' : ''}.${region}.${dualStack ? partition.dualStackDnsSuffix : partition.dnsSuffix}`,
};

/** The API Gateway endpoint for this environment, as the AWS SDKs resolve it. */
export function apiGatewayEndpoint(env: Environment, region: string): URL {
  return awsEndpoint(API_GATEWAY, env, region);
}

/** Attempts per flush: the first and two retries (throttling, 5xx, network), within the flush's time. */
const MAX_ATTEMPTS = 3;
const BACKOFF_BASE_MS = 100;

/**
 * API Gateway's FlushStageAuthorizersCache (`DELETE /restapis/{id}/stages/{stage}/cache/authorizers`)
 * for each configured REST stage, signed with Signature Version 4 for `apigateway` with the
 * function's role session. Never throws: each stage that could not be flushed is returned as a
 * `StageFlushFailedError` naming it, for a warning line.
 */
export class StageFlusher {
  private readonly endpoint: URL;
  private readonly region: string;

  /** Throws `AwsRequestError` (`InvalidConfiguration`) on a region or endpoint it cannot use: at cold start. */
  constructor(
    readonly stages: readonly FlushStage[],
    private readonly timeoutMs: number,
    private readonly env: Environment,
  ) {
    this.region = env.AWS_REGION || env.AWS_DEFAULT_REGION || '';
    this.endpoint = apiGatewayEndpoint(env, this.region);
  }

  async flushAll(): Promise<StageFlushFailedError[]> {
    const results = await Promise.all(
      this.stages.map((stage) =>
        this.flush(stage).then(
          () => undefined,
          (error: StageFlushFailedError) => error,
        ),
      ),
    );
    return results.filter((result) => result !== undefined);
  }

  private async flush({ restApiId, stage }: FlushStage): Promise<void> {
    const name = `REST API ${restApiId} stage ${stage}`;
    const accessKeyId = this.env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = this.env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) {
      throw new StageFlushFailedError(
        `could not flush the authorizer cache of ${name}: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set`,
      );
    }
    const credentials = { accessKeyId, secretAccessKey, sessionToken: this.env.AWS_SESSION_TOKEN || undefined };
    const base = this.endpoint.href.endsWith('/') ? this.endpoint.href : `${this.endpoint.href}/`;
    const url = new URL(`restapis/${encodeURIComponent(restApiId)}/stages/${encodeURIComponent(stage)}/cache/authorizers`, base);
    const deadline = performance.now() + this.timeoutMs;
    let failure = '';
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const headers = signRequest({
        method: 'DELETE',
        url,
        headers: { accept: 'application/json' },
        body: '',
        service: API_GATEWAY.signingName,
        region: this.region,
        credentials,
      });
      let retryable: boolean;
      try {
        const timeoutMs = Math.max(1, Math.ceil(deadline - performance.now()));
        const response = await httpRequest(url, { method: 'DELETE', headers, timeoutMs, maxBytes: API_GATEWAY.maxAnswerBytes });
        if (response.status >= 200 && response.status < 300) return;
        const type = errorType(response.headers['x-amzn-errortype']) ?? `HttpStatus${response.status}`;
        failure = `${this.endpoint.host} answered ${response.status} ${type}`;
        retryable = response.status >= 500 || response.status === 429;
      } catch (error) {
        failure = (error as Error).message;
        retryable = true;
      }
      const backoffMs = Math.random() * BACKOFF_BASE_MS * 2 ** (attempt - 1);
      if (!retryable || attempt === MAX_ATTEMPTS || performance.now() + backoffMs >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
    }
    throw new StageFlushFailedError(`could not flush the authorizer cache of ${name}: ${failure}`);
  }
}

/** AWS's error type from `x-amzn-errortype` (`NotFoundException:http://…`), a plain identifier only. */
function errorType(header: string | string[] | undefined): string | undefined {
  const type = typeof header === 'string' ? header.split(':')[0] : undefined;
  return type !== undefined && /^[A-Za-z][A-Za-z0-9]{0,63}$/.test(type) ? type : undefined;
}
