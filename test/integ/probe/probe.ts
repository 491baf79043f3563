import { AwsJsonClient, type AwsJsonService } from '../../../lambda/aws/aws-json-client.js';
import type { SecretReader } from '../../../lambda/aws/secrets-manager.js';
import { CHECKS, type CheckName, type ProbeContext, tokenId, type Verdict } from './checks.js';
import { type RawResponse, rawRequest } from './raw-request.js';

/**
 * The probe: the integ app invokes it once per assumption (`{"check": "<name>"}`) and asserts on
 * its answer. It obtains tokens from the OAuth stand-in as the test client and makes the requests
 * itself (node:https), so it can send any method and any path spelling.
 */
export const PROBE_ENV = {
  httpApiUrl: 'HTTP_API_URL',
  restApiUrl: 'REST_API_URL',
  /** The stand-in's function URL (ends in `/`). */
  standInUrl: 'STAND_IN_URL',
  /** The test client's secret `{"client_id","client_secret"}`. */
  testClientSecret: 'TEST_CLIENT_SECRET',
  /** The authorizer function's log group, to count its decisions per token. */
  authorizerLogGroup: 'AUTHORIZER_LOG_GROUP',
  /** The revocation receiver's function URL (ends in `/`), where the probe pushes the stand-in's SETs. */
  revocationReceiverUrl: 'REVOCATION_RECEIVER_URL',
  /** The authorizer's memory bound with the shared cache, seconds (its `SHARED_CACHE_MEMORY_TTL_SECONDS`). */
  authorizerMemoryTtlSeconds: 'AUTHORIZER_MEMORY_TTL_SECONDS',
} as const;

/** CloudWatch Logs in AWS JSON 1.1, through the same client the authorizer uses for Secrets Manager. */
const CLOUDWATCH_LOGS: AwsJsonService = {
  displayName: 'CloudWatch Logs',
  signingName: 'logs',
  endpointVariable: 'AWS_ENDPOINT_URL_CLOUDWATCH_LOGS',
  jsonVersion: '1.1',
  targetPrefix: 'Logs_20140328',
  maxAnswerBytes: 2 * 1_024 * 1_024,
  regionalHost: ({ region, partition }) => `logs.${region}.${partition.dnsSuffix}`,
};

/** How long to wait for a token's decision lines (the first, or as many as asked for), and then for any further one. */
const LOG_WAIT_MS = 45_000;
const LOG_SETTLE_MS = 8_000;

export function createProbe(env: Readonly<Record<string, string | undefined>>, secrets: SecretReader) {
  const setting = (name: string): string => {
    const value = env[name];
    if (value === undefined || value === '') throw new Error(`the probe needs ${name}`);
    return value;
  };
  const apis = { http: setting(PROBE_ENV.httpApiUrl), rest: setting(PROBE_ENV.restApiUrl) };
  const standIn = setting(PROBE_ENV.standInUrl);
  const logGroup = setting(PROBE_ENV.authorizerLogGroup);
  const receiver = setting(PROBE_ENV.revocationReceiverUrl);
  const memoryTtlSeconds = Number(setting(PROBE_ENV.authorizerMemoryTtlSeconds));
  const logs = new AwsJsonClient(CLOUDWATCH_LOGS, env);
  let basic: Promise<string> | undefined;

  const clientAuthorization = async (): Promise<string> => {
    const parsed = JSON.parse((await secrets.getSecretString(setting(PROBE_ENV.testClientSecret), 5_000)) ?? '{}') as {
      client_id: string;
      client_secret: string;
    };
    const encode = (value: string) => encodeURIComponent(value).replaceAll('%20', '+');
    return `Basic ${Buffer.from(`${encode(parsed.client_id)}:${encode(parsed.client_secret)}`).toString('base64')}`;
  };

  const context: ProbeContext = {
    apis,
    async token(scopes) {
      basic ??= clientAuthorization();
      const body = new URLSearchParams({ grant_type: 'client_credentials', scope: scopes.join(' ') }).toString();
      const response = await rawRequest(standIn, {
        method: 'POST',
        path: '/token',
        headers: { authorization: await basic, 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      const answer = JSON.parse(response.body) as { access_token?: string; error?: string };
      if (answer.access_token === undefined) throw new Error(`the stand-in refused a token: ${response.status} ${answer.error}`);
      return answer.access_token;
    },
    request: (api, request) => rawRequest(apis[api], request),
    async revocationSet(token) {
      basic ??= clientAuthorization();
      return requestRevocationSet(standIn, await basic, token);
    },
    pushSet: (set) => deliverSet(receiver, set),
    runsOn: 'aws',
    memoryTtlSeconds,
    async decisions(token) {
      return (await context.decisionLines(token)).length;
    },
    async decisionLines(token, atLeast = 1) {
      const started = Date.now();
      const read = async () => {
        const answer = await logs.call(
          'FilterLogEvents',
          { logGroupName: logGroup, startTime: started - 10 * 60_000, filterPattern: `{ $.tokenId = "${tokenId(token)}" }`, limit: 50 },
          10_000,
        );
        const events = Array.isArray(answer.events) ? (answer.events as { message?: unknown }[]) : [];
        return events.map((event) => decisionOf(event.message));
      };
      let seen = await read();
      while (seen.length < atLeast && Date.now() - started < LOG_WAIT_MS) {
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        seen = await read();
      }
      await new Promise((resolve) => setTimeout(resolve, LOG_SETTLE_MS));
      return read();
    },
  };

  return async (event: { check?: unknown }): Promise<Verdict & { check: string }> => {
    const name = String(event.check);
    if (!(name in CHECKS)) return { check: name, result: `FAIL: no check named ${JSON.stringify(name)}`, observed: '' };
    try {
      return { check: name, ...(await CHECKS[name as CheckName](context)) };
    } catch (error) {
      return { check: name, result: `FAIL: ${(error as Error).message}`.slice(0, 900), observed: '' };
    }
  };
}

/** A decision line's fields, from a log event's message (the line itself, or the `message` of Lambda's JSON log format). */
function decisionOf(message: unknown): Record<string, unknown> {
  try {
    const parsed = JSON.parse(String(message)) as Record<string, unknown>;
    const inner = parsed.message;
    return typeof inner === 'object' && inner !== null && !('outcome' in parsed) ? (inner as Record<string, unknown>) : parsed;
  } catch {
    return {};
  }
}

/** A SET naming `token` revoked, from the stand-in's `POST /sign-revocation` (the test client's `authorization`). */
export async function requestRevocationSet(standInUrl: string, authorization: string, token: string): Promise<string> {
  const response = await rawRequest(standInUrl, {
    method: 'POST',
    path: '/sign-revocation',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  });
  const answer = JSON.parse(response.body) as { set?: string; error?: string };
  if (answer.set === undefined) throw new Error(`the stand-in refused to sign a SET: ${response.status} ${answer.error}`);
  return answer.set;
}

/**
 * RFC 8935 push delivery of a SET to the revocation receiver. The receiver answers 202 only after
 * its flushes of the REST stage (with a `memoryTtl` above 0, the second comes `memoryTtl` + 1 s
 * after the first), hence the longer timeout.
 */
export function deliverSet(receiverUrl: string, set: string): Promise<RawResponse> {
  return rawRequest(
    receiverUrl,
    { method: 'POST', path: '/', headers: { 'content-type': 'application/secevent+jwt', accept: 'application/json' }, body: set },
    30_000,
  );
}
