import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { IntrospectionResponseType, type PhantomTokenAuthorizerProps } from '../../lib/index.js';
import { authorizerIn, unbundledStack } from './stacks.js';

const build = (props: Partial<PhantomTokenAuthorizerProps>) => () => authorizerIn(unbundledStack(), props);

describe('props are validated in the constructor, naming the prop, the limit and the value', () => {
  it.each<[string, Partial<PhantomTokenAuthorizerProps>, string]>([
    [
      'a plain-http endpoint',
      { introspectionEndpoint: 'http://idp.example.com/introspect' },
      'introspectionEndpoint must use https (plain http only for 127.0.0.1 or localhost); received "http://idp.example.com/introspect"',
    ],
    [
      'a relative endpoint',
      { introspectionEndpoint: '/introspect' },
      'introspectionEndpoint must be an absolute URL; received "/introspect"',
    ],
    [
      'a plain-http JWKS URI',
      { jwksUri: 'http://idp.example.com/jwks' },
      'jwksUri must use https (plain http only for 127.0.0.1 or localhost); received "http://idp.example.com/jwks"',
    ],
    [
      'RFC 9701 without a JWKS URI',
      { introspectionResponseType: IntrospectionResponseType.TOKEN_INTROSPECTION_JWT },
      'jwksUri is required when introspectionResponseType is application/token-introspection+jwt',
    ],
    [
      'an unknown response type',
      { introspectionResponseType: 'application/json' as never },
      'introspectionResponseType must be one of application/jwt, application/token-introspection+jwt; received "application/json"',
    ],
    [
      'a gateway cache TTL over an hour',
      { resultsCacheTtl: Duration.hours(2) },
      'resultsCacheTtl must be a whole number of seconds from 0 to 3600; received 7200 seconds',
    ],
    [
      'a function cache TTL over an hour',
      { cacheMaxTtl: Duration.seconds(3601) },
      'cacheMaxTtl must be a whole number of seconds from 0 to 3600; received 3601 seconds',
    ],
    [
      'a negative cache TTL over an hour',
      { negativeCacheTtl: Duration.minutes(61) },
      'negativeCacheTtl must be a whole number of seconds from 0 to 3600; received 3660 seconds',
    ],
    [
      'an introspection timeout over 4 s',
      { introspectionTimeout: Duration.seconds(5) },
      'introspectionTimeout must be a whole number of milliseconds from 100 to 4000; received 5 seconds',
    ],
    [
      'an introspection timeout under 100 ms',
      { introspectionTimeout: Duration.millis(50) },
      'introspectionTimeout must be a whole number of milliseconds from 100 to 4000; received 50 millis',
    ],
    ['zero cache entries', { cacheMaxEntries: 0 }, 'cacheMaxEntries must be a whole number from 1 to 1000000 entries; received 0'],
    [
      'a secret refresh over a day',
      { secretRefreshInterval: Duration.days(2) },
      'secretRefreshInterval must be a whole number of seconds from 0 to 86400; received 172800 seconds',
    ],
    [
      'a gateway cache TTL in part-seconds',
      { resultsCacheTtl: Duration.millis(1500) },
      'resultsCacheTtl must be a whole number of seconds from 0 to 3600; received 1500 millis',
    ],
    [
      'a function cache TTL in part-seconds',
      { cacheMaxTtl: Duration.millis(2500) },
      'cacheMaxTtl must be a whole number of seconds from 0 to 3600; received 2500 millis',
    ],
    [
      'a negative cache TTL in part-seconds',
      { negativeCacheTtl: Duration.millis(100) },
      'negativeCacheTtl must be a whole number of seconds from 0 to 3600; received 100 millis',
    ],
    [
      'a secret refresh interval in part-seconds',
      { secretRefreshInterval: Duration.millis(1001) },
      'secretRefreshInterval must be a whole number of seconds from 0 to 86400; received 1001 millis',
    ],
    [
      'an introspection timeout in part-milliseconds',
      { introspectionTimeout: Duration.millis(150.5) },
      'introspectionTimeout must be a whole number of milliseconds from 100 to 4000; received 150.5 millis',
    ],
    [
      'a log retention beside a log group of the user',
      { logGroup: LogGroup.fromLogGroupName(unbundledStack(), 'Logs', 'authorizer'), logRetention: RetentionDays.ONE_WEEK },
      'logRetention applies only to the log group the construct creates: set it on logGroup instead; received both',
    ],
    [
      'a log removal policy beside a log group of the user',
      { logGroup: LogGroup.fromLogGroupName(unbundledStack(), 'Logs', 'authorizer'), logRemovalPolicy: RemovalPolicy.DESTROY },
      'logRemovalPolicy applies only to the log group the construct creates: set it on logGroup instead; received both',
    ],
    ['too little memory', { memorySize: 64 }, 'memorySize must be a whole number from 128 to 10240 MiB; received 64'],
    [
      'Authorization as the JWT header',
      { jwtHeaderName: 'Authorization' },
      'jwtHeaderName must not be a header HTTP API reserves for parameter mapping (Authorization, x-amz-*, …); received "Authorization"',
    ],
    [
      'an x-amz- JWT header',
      { jwtHeaderName: 'x-amz-jwt' },
      'jwtHeaderName must not be a header HTTP API reserves for parameter mapping (Authorization, x-amz-*, …); received "x-amz-jwt"',
    ],
    [
      'a JWT header with a space',
      { jwtHeaderName: 'x jwt' },
      'jwtHeaderName must be an HTTP header name (RFC 9110 token); received "x jwt"',
    ],
    ['a realm with a quote', { realm: 'my "api"' }, `realm must be printable ASCII without ", ' or \\; received "my \\"api\\""`],
  ])('rejects %s', (_name, props, message) => {
    expect(build(props)).toThrow(message);
  });

  it.each([
    ['introspectionTimeout', { introspectionTimeout: Duration.millis(3999) }],
    ['resultsCacheTtl', { resultsCacheTtl: Duration.millis(2000) }],
    ['cacheMaxTtl', { cacheMaxTtl: Duration.minutes(60) }],
    ['negativeCacheTtl', { negativeCacheTtl: Duration.millis(0) }],
    ['secretRefreshInterval', { secretRefreshInterval: Duration.days(1) }],
  ])('accepts %s in any unit that is a whole number of its own', (_prop, props) => {
    expect(build(props)).not.toThrow();
  });

  it('accepts http on 127.0.0.1 for local development', () => {
    expect(build({ introspectionEndpoint: 'http://127.0.0.1:3001/phantom/introspection' })).not.toThrow();
  });

  it.each<[string, string[], string]>([
    [
      'a scope with a space',
      ['read write'],
      'scopes of GET /x must be RFC 6749 scope tokens (printable ASCII, no space, " or \\); received "read write"',
    ],
    [
      'a scope with a quote',
      ['re"ad'],
      'scopes of GET /x must be RFC 6749 scope tokens (printable ASCII, no space, " or \\); received "re\\"ad"',
    ],
  ])('rejects route scopes with %s', (_name, scopes, message) => {
    const authorizer = authorizerIn(unbundledStack());
    expect(() => authorizer.requireScopes('GET /x', scopes)).toThrow(message);
  });

  it('rejects a malformed route key', () => {
    const authorizer = authorizerIn(unbundledStack());
    expect(() => authorizer.requireScopes('FETCH /x', ['read'])).toThrow(
      'route key must be "$default" or "METHOD /path" (METHOD one of ANY, GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS); received "FETCH /x"',
    );
  });
});
