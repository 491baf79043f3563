import { Token } from 'aws-cdk-lib';
import { DEFAULTS, LIMITS, RESPONSE_TYPE_INTROSPECTION_JWT, RESPONSE_TYPES } from '../lambda/environment.js';
import type { PhantomTokenAuthorizerProps } from './props.js';

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
export function validateProps(props: PhantomTokenAuthorizerProps): void {
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
  validateRange('resultsCacheTtl', props.resultsCacheTtl?.toSeconds(), 0, 3_600, 'seconds');
  validateRange('cacheMaxTtl', props.cacheMaxTtl?.toSeconds(), LIMITS.cacheMaxTtlSeconds.min, LIMITS.cacheMaxTtlSeconds.max, 'seconds');
  validateRange(
    'negativeCacheTtl',
    props.negativeCacheTtl?.toSeconds(),
    LIMITS.negativeCacheTtlSeconds.min,
    LIMITS.negativeCacheTtlSeconds.max,
    'seconds',
  );
  validateRange(
    'secretRefreshInterval',
    props.secretRefreshInterval?.toSeconds(),
    LIMITS.secretRefreshSeconds.min,
    LIMITS.secretRefreshSeconds.max,
    'seconds',
  );
  validateRange(
    'introspectionTimeout',
    props.introspectionTimeout?.toMilliseconds(),
    LIMITS.introspectionTimeoutMs.min,
    4_000,
    'milliseconds',
  );
  validateRange('cacheMaxEntries', props.cacheMaxEntries, LIMITS.cacheMaxEntries.min, LIMITS.cacheMaxEntries.max, 'entries');
  validateRange('memorySize', props.memorySize, 128, 10_240, 'MiB');
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

function validateRange(prop: string, value: number | undefined, min: number, max: number, unit: string): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${prop} must be a whole number from ${min} to ${max} ${unit}; received ${value}`);
  }
}
