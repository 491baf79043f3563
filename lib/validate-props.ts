import { type Duration, Token } from 'aws-cdk-lib';
import {
  DEFAULTS,
  LIMITS,
  RESPONSE_TYPE_INTROSPECTION_JWT,
  RESPONSE_TYPES,
  SECRET_ARN_PATTERN,
  SECRET_NAME_PATTERN,
} from '../lambda/environment.js';
import { NAMESPACE_PATTERN, SERVICE_NAME_PATTERN } from '../lambda/observability/metrics-contract.js';
import type { PhantomTokenAuthorizerProps } from './props.js';
import { validateSenderConstraintProps } from './sender-constrained-tokens.js';

/** Headers HTTP API parameter mapping may not write (API Gateway developer guide, http-api-parameter-mapping, "Reserved headers"). */
export const RESERVED_HEADERS = [
  /^access-control-/,
  /^apigw-/,
  /^authorization$/,
  /^connection$/,
  /^content-encoding$/,
  /^content-length$/,
  /^content-location$/,
  /^forwarded$/,
  /^keep-alive$/,
  /^origin$/,
  /^proxy-authenticate$/,
  /^proxy-authorization$/,
  /^te$/,
  /^trailers$/,
  /^transfer-encoding$/,
  /^upgrade$/,
  /^x-amz-/,
  /^x-amzn-/,
  /^x-forwarded-for$/,
  /^x-forwarded-host$/,
  /^x-forwarded-proto$/,
  /^via$/,
];

/** Checks every prop the construct can check at synth time; throws naming the prop, the rule and the value. */
export function validateProps(props: PhantomTokenAuthorizerProps, defaultServiceName: string): void {
  validateMetricsProps(props, defaultServiceName);
  validateSecretProps(props);
  const endpoint = props.introspectionEndpoint;
  if (!Token.isUnresolved(endpoint)) validateUrl('introspectionEndpoint', endpoint);
  if (props.jwksUri !== undefined && !Token.isUnresolved(props.jwksUri)) validateUrl('jwksUri', props.jwksUri);
  const responseType = props.introspectionResponseType ?? DEFAULTS.introspectionResponseType;
  if (!(RESPONSE_TYPES as readonly string[]).includes(responseType)) {
    throw new Error(`introspectionResponseType must be one of ${RESPONSE_TYPES.join(', ')}; received ${JSON.stringify(responseType)}`);
  }
  if (responseType === RESPONSE_TYPE_INTROSPECTION_JWT && props.jwksUri === undefined) {
    throw new Error(`jwksUri is required when introspectionResponseType is ${RESPONSE_TYPE_INTROSPECTION_JWT}`);
  }
  if (props.realm !== undefined && !Token.isUnresolved(props.realm) && !/^[\x20\x21\x23-\x26\x28-\x5B\x5D-\x7E]+$/.test(props.realm)) {
    throw new Error(`realm must be printable ASCII without ", ' or \\; received ${JSON.stringify(props.realm)}`);
  }
  if (
    props.audience !== undefined &&
    !Token.isUnresolved(props.audience) &&
    (props.audience === '' || props.audience.trim() !== props.audience)
  ) {
    throw new Error(`audience must be a non-empty string without surrounding whitespace; received ${JSON.stringify(props.audience)}`);
  }
  for (const [apiId, audience] of Object.entries(props.apiAudiences ?? {})) {
    if (!Token.isUnresolved(audience) && (audience === '' || audience.trim() !== audience)) {
      throw new Error(`apiAudiences values must be non-empty strings without surrounding whitespace; received ${JSON.stringify(audience)}`);
    }
    if (!Token.isUnresolved(apiId) && apiId === '') throw new Error('apiAudiences keys must be API ids; received ""');
  }
  validateDuration('resultsCacheTtl', props.resultsCacheTtl, 0, 3_600, 'seconds');
  validateSharedCacheProps(props);
  validateSenderConstraintProps(props);
  validateDuration('cacheMaxTtl', props.cacheMaxTtl, LIMITS.cacheMaxTtlSeconds.min, LIMITS.cacheMaxTtlSeconds.max, 'seconds');
  validateDuration(
    'negativeCacheTtl',
    props.negativeCacheTtl,
    LIMITS.negativeCacheTtlSeconds.min,
    LIMITS.negativeCacheTtlSeconds.max,
    'seconds',
  );
  validateDuration(
    'secretRefreshInterval',
    props.secretRefreshInterval,
    LIMITS.secretRefreshSeconds.min,
    LIMITS.secretRefreshSeconds.max,
    'seconds',
  );
  // 4 s, not the runtime's 9 s: the function timeout (2 × this + 1 s) must stay under API Gateway's 10 s.
  validateDuration('introspectionTimeout', props.introspectionTimeout, LIMITS.introspectionTimeoutMs.min, 4_000, 'milliseconds');
  validateRange('cacheMaxEntries', props.cacheMaxEntries, LIMITS.cacheMaxEntries.min, LIMITS.cacheMaxEntries.max, 'entries');
  validateRange('memorySize', props.memorySize, 128, 10_240, 'MiB');
  validateRange('authorizersPerApiQuota', props.authorizersPerApiQuota, 1, 1_000, 'authorizers');
  if (
    props.authorizerName !== undefined &&
    !Token.isUnresolved(props.authorizerName) &&
    !/^[A-Za-z0-9._-]{1,119}$/.test(props.authorizerName)
  ) {
    throw new Error(
      `authorizerName must be 1 to 119 letters, digits, "-", "_" or "." (the construct appends "-g1" … "-perroute" for further authorizers); received ${JSON.stringify(props.authorizerName)}`,
    );
  }
  if (props.logGroup !== undefined) {
    for (const prop of ['logRetention', 'logRemovalPolicy'] as const) {
      if (props[prop] !== undefined) {
        throw new Error(`${prop} applies only to the log group the construct creates: set it on logGroup instead; received both`);
      }
    }
  }
  if (props.jwtHeaderName !== undefined && !Token.isUnresolved(props.jwtHeaderName)) {
    const name = props.jwtHeaderName.toLowerCase();
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
      throw new Error(`jwtHeaderName must be an HTTP header name (RFC 9110 token); received ${JSON.stringify(props.jwtHeaderName)}`);
    }
    if (RESERVED_HEADERS.some((reserved) => reserved.test(name))) {
      throw new Error(
        `jwtHeaderName must not be a header HTTP API reserves for parameter mapping (Authorization, x-amz-*, …); received ${JSON.stringify(props.jwtHeaderName)}`,
      );
    }
  }
}

function validateUrl(prop: string, value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${prop} must be an absolute URL; received ${JSON.stringify(value)}`);
  }
  if (url.username || url.password) {
    throw new Error(`${prop} must not carry credentials in the URL (put them in clientCredentialsSecret)`);
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new Error(`${prop} must use https (plain http only for 127.0.0.1 or localhost); received ${JSON.stringify(value)}`);
  }
}

/**
 * A Duration prop: a whole number of its unit within the range. Checked on the milliseconds, so a
 * value CDK could not convert (`Duration.millis(1500)` for a seconds prop) gets this message, not
 * CDK's own from toSeconds().
 */
function validateDuration(prop: string, value: Duration | undefined, min: number, max: number, unit: 'seconds' | 'milliseconds'): void {
  if (value === undefined || value.isUnresolved()) return;
  const ms = value.toMilliseconds({ integral: false });
  const amount = unit === 'seconds' ? ms / 1_000 : ms;
  if (!Number.isInteger(amount) || amount < min || amount > max) {
    const received = Number.isInteger(ms / 1_000) ? `${ms / 1_000} seconds` : `${ms} millis`;
    throw new Error(`${prop} must be a whole number of ${unit} from ${min} to ${max}; received ${received}`);
  }
}

function validateRange(prop: string, value: number | undefined, min: number, max: number, unit: string): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${prop} must be a whole number from ${min} to ${max} ${unit}; received ${value}`);
  }
}

/** The metrics, alarm and dashboard props. `defaultServiceName` is what `serviceName` defaults to (the construct's path). */
function validateMetricsProps(props: PhantomTokenAuthorizerProps, defaultServiceName: string): void {
  const namespace = props.metricsNamespace;
  if (namespace !== undefined && !Token.isUnresolved(namespace) && !NAMESPACE_PATTERN.test(namespace)) {
    throw new Error(
      `metricsNamespace must be 1 to 255 printable ASCII characters, not starting with ":" or "AWS/"; received ${JSON.stringify(namespace)}`,
    );
  }
  const service = props.serviceName ?? defaultServiceName;
  if (!Token.isUnresolved(service) && !SERVICE_NAME_PATTERN.test(service)) {
    throw new Error(
      props.serviceName === undefined
        ? `serviceName defaults to the construct's path, which is not 1 to 255 printable ASCII characters: set serviceName; received ${JSON.stringify(service)}`
        : `serviceName must be 1 to 255 printable ASCII characters, not only spaces; received ${JSON.stringify(service)}`,
    );
  }
  if (props.alarms === false) {
    for (const prop of ['alarmAction', 'alarmThresholds'] as const) {
      if (props[prop] !== undefined)
        throw new Error(`${prop} applies only to the construct's alarms: remove it or set alarms: true; received both`);
    }
  }
  const thresholds = props.alarmThresholds ?? {};
  for (const key of ['errorDecisionsPerMinute', 'functionErrorsPerMinute', 'throttlesPerMinute', 'invalidTokenDeniesPerMinute'] as const) {
    validateRange(`alarmThresholds.${key}`, thresholds[key], 1, 1_000_000, 'per minute');
  }
  validateRange('alarmThresholds.evaluationMinutes', thresholds.evaluationMinutes, 1, 60, 'minutes');
  validateDuration('alarmThresholds.decisionLatencyP99', thresholds.decisionLatencyP99, 1, 10_000, 'milliseconds');
}

/** Exactly one of the three client-credentials secret props; a name that is a name, an ARN that is an ARN. */
function validateSecretProps(props: PhantomTokenAuthorizerProps): void {
  const given = (['clientCredentialsSecret', 'clientCredentialsSecretName', 'clientCredentialsSecretArn'] as const).filter(
    (prop) => props[prop] !== undefined,
  );
  if (given.length !== 1) {
    throw new Error(
      'exactly one of clientCredentialsSecret (an ISecret), clientCredentialsSecretName and clientCredentialsSecretArn is required; ' +
        `received ${given.length === 0 ? 'none' : given.join(' and ')}`,
    );
  }
  // The function refuses any other value at cold start (CLIENT_CREDENTIALS_SECRET); neither says
  // what it received, which may be the secret itself pasted into the wrong field.
  const name = props.clientCredentialsSecretName;
  if (name !== undefined && !Token.isUnresolved(name) && (name.startsWith('arn:') || !SECRET_NAME_PATTERN.test(name))) {
    throw new Error(
      'clientCredentialsSecretName must be a secret name, 1 to 512 ASCII letters, digits and /_+=.@- (an ARN goes in clientCredentialsSecretArn); ' +
        `received ${name.length} characters that are not (not shown: the value may be the secret itself)`,
    );
  }
  const arn = props.clientCredentialsSecretArn;
  if (arn !== undefined && !Token.isUnresolved(arn) && !SECRET_ARN_PATTERN.test(arn)) {
    throw new Error(
      'clientCredentialsSecretArn must be a Secrets Manager secret ARN (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>); ' +
        `received ${arn.length} characters that are not (not shown: the value may be the secret itself)`,
    );
  }
}

/** `sharedCache` and `revocation`: the created table's options only for a created table; a receiver only with a shared cache. */
function validateSharedCacheProps(props: PhantomTokenAuthorizerProps): void {
  const cache = props.sharedCache;
  if (cache !== undefined) {
    if (cache.table !== undefined) {
      for (const prop of ['encryptionKey', 'pointInTimeRecovery', 'removalPolicy'] as const) {
        if (cache[prop] === undefined) continue;
        throw new Error(
          `sharedCache.${prop} applies only to the table the construct creates, not to sharedCache.table` +
            `${prop === 'encryptionKey' ? ' (pass its key in Table.fromTableAttributes({ tableArn, encryptionKey }))' : ' (set it on that table)'}; received both`,
        );
      }
    }
    validateDuration(
      'sharedCache.memoryTtl',
      cache.memoryTtl,
      LIMITS.sharedCacheMemoryTtlSeconds.min,
      LIMITS.sharedCacheMemoryTtlSeconds.max,
      'seconds',
    );
    validateDuration(
      'sharedCache.timeout',
      cache.timeout,
      LIMITS.sharedCacheTimeoutMs.min,
      LIMITS.sharedCacheTimeoutMs.max,
      'milliseconds',
    );
  }
  const revocation = props.revocation;
  if (revocation === undefined) return;
  if (cache === undefined) {
    throw new Error(
      "revocation requires sharedCache: the receiver marks revoked tokens in the shared cache's table, which the authorizer reads; set sharedCache (sharedCache: {} for a created table)",
    );
  }
  for (const prop of ['issuer', 'audience'] as const) {
    const value = revocation[prop];
    if (!Token.isUnresolved(value) && (value === '' || value.trim() !== value)) {
      throw new Error(`revocation.${prop} must be a non-empty string without surrounding whitespace; received ${JSON.stringify(value)}`);
    }
  }
  if (!Token.isUnresolved(revocation.jwksUri)) validateUrl('revocation.jwksUri', revocation.jwksUri);
  validateRange('revocation.reservedConcurrency', revocation.reservedConcurrency, 1, 1_000, 'executions');
}
