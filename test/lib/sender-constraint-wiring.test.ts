import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { HttpIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { describe, expect, it } from 'vitest';
import { DpopAlgorithm, type PhantomTokenAuthorizerProps } from '../../lib/index.js';
import { authorizerIn, template, unbundledStack } from './stacks.js';

function withBothApis(props: Partial<PhantomTokenAuthorizerProps>) {
  const stack = unbundledStack();
  const authorizer = authorizerIn(stack, props);
  authorizer.addHttpRoutes(new HttpApi(stack, 'Http'), {
    path: '/orders',
    methods: [HttpMethod.GET],
    integration: new HttpUrlIntegration('Orders', 'https://orders.example.com'),
    scopes: ['read'],
  });
  authorizer.addRestMethod(
    new RestApi(stack, 'Rest').root.addResource('orders'),
    'GET',
    new HttpIntegration('https://orders.example.com'),
    {
      scopes: ['read'],
    },
  );
  return template(stack);
}

describe('senderConstrainedTokens', () => {
  it('turns API Gateway decision caching off on both API types, identity sources unchanged, so every proof is checked', () => {
    const t = withBothApis({ senderConstrainedTokens: true });
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerResultTtlInSeconds: 0,
    });
    t.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 0,
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SENDER_CONSTRAINED_TOKENS: 'true' }) },
    });
  });

  it('announces the DPoP scheme and its algorithms in the REST 401 and 403 challenges', () => {
    const t = withBothApis({ senderConstrainedTokens: true, realm: 'orders', dpopAlgorithms: [DpopAlgorithm.ES256, DpopAlgorithm.ED_DSA] });
    t.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      StatusCode: '401',
      ResponseParameters: { 'gatewayresponse.header.WWW-Authenticate': `'Bearer realm="orders", DPoP realm="orders", algs="ES256 EdDSA"'` },
    });
    t.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'ACCESS_DENIED',
      ResponseParameters: {
        'gatewayresponse.header.WWW-Authenticate': `'Bearer realm="orders", error="insufficient_scope", DPoP realm="orders", algs="ES256 EdDSA"'`,
      },
    });
  });

  it('leaves caching, challenges and the environment as they were without it', () => {
    const t = withBothApis({});
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerResultTtlInSeconds: 60 });
    t.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      ResponseParameters: { 'gatewayresponse.header.WWW-Authenticate': `'Bearer realm="api"'` },
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SENDER_CONSTRAINED_TOKENS: Match.absent(), DPOP_ALGORITHMS: Match.absent() }) },
    });
  });

  it('hands the function its DPoP settings', () => {
    const t = withBothApis({
      senderConstrainedTokens: true,
      dpopAlgorithms: [DpopAlgorithm.ES256, DpopAlgorithm.PS256],
      dpopProofMaxAge: Duration.seconds(30),
      dpopPublicBaseUrls: { 'api.example.com': 'https://api.example.com/orders' },
      resultsCacheTtl: Duration.seconds(0),
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          DPOP_ALGORITHMS: 'ES256 PS256',
          DPOP_PROOF_MAX_AGE_SECONDS: '30',
          DPOP_PUBLIC_BASE_URLS: '{"api.example.com":"https://api.example.com/orders"}',
        }),
      },
    });
  });

  it('creates the shared replay table when asked: pk, TTL on expiresAt, on demand; the function may only PutItem in it', () => {
    const stack = unbundledStack();
    authorizerIn(stack, { senderConstrainedTokens: true, sharedDpopReplayStore: true });
    const t = template(stack);
    t.resourceCountIs('AWS::DynamoDB::Table', 1);
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DPOP_REPLAY_TABLE: { Ref: Match.stringLikeRegexp('DpopReplayTable') } }) },
    });
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'dynamodb:PutItem',
            Effect: 'Allow',
            Resource: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('DpopReplayTable'), 'Arn'] }],
          },
        ]),
      },
    });
  });

  it('creates no table without it', () => {
    const stack = unbundledStack();
    authorizerIn(stack, { senderConstrainedTokens: true });
    template(stack).resourceCountIs('AWS::DynamoDB::Table', 0);
  });

  it.each<[string, Partial<PhantomTokenAuthorizerProps>, string]>([
    [
      'a shared replay store without bound tokens',
      { sharedDpopReplayStore: true },
      'sharedDpopReplayStore needs senderConstrainedTokens: true (without it no DPoP proof is ever accepted)',
    ],
    [
      'a gateway cache with bound tokens',
      { senderConstrainedTokens: true, resultsCacheTtl: Duration.seconds(60) },
      'resultsCacheTtl must be unset or 0 when senderConstrainedTokens is true (a cached decision would let a bound token pass without its proof); received 60 seconds',
    ],
    ['no algorithm', { dpopAlgorithms: [] }, 'dpopAlgorithms must name at least one algorithm; received []'],
    [
      'a symmetric algorithm',
      { dpopAlgorithms: [DpopAlgorithm.ES256, 'HS256' as DpopAlgorithm] },
      'dpopAlgorithms must be asymmetric JWS algorithms from ES256, ES384, ES512, PS256, PS384, PS512, RS256, RS384, RS512, EdDSA, Ed25519; received "HS256"',
    ],
    [
      'a proof age of 0',
      { dpopProofMaxAge: Duration.seconds(0) },
      'dpopProofMaxAge must be a whole number of seconds from 1 to 300; received 0 seconds',
    ],
    [
      'a proof age over 5 minutes',
      { dpopProofMaxAge: Duration.minutes(6) },
      'dpopProofMaxAge must be a whole number of seconds from 1 to 300; received 360 seconds',
    ],
    [
      'a proof age in millis',
      { dpopProofMaxAge: Duration.millis(1500) },
      'dpopProofMaxAge must be a whole number of seconds from 1 to 300; received 1.5 seconds',
    ],
    [
      'a plain-http public base URL',
      { dpopPublicBaseUrls: { 'api.example.com': 'http://api.example.com' } },
      'dpopPublicBaseUrls["api.example.com"] must be an absolute https URL without query, fragment or credentials; received "http://api.example.com"',
    ],
    [
      'a public base URL with a query',
      { dpopPublicBaseUrls: { 'api.example.com': 'https://api.example.com/v1?x=1' } },
      'dpopPublicBaseUrls["api.example.com"] must be an absolute https URL without query, fragment or credentials; received "https://api.example.com/v1?x=1"',
    ],
  ])('refuses %s, naming the prop, the rule and the value', (_, props, message) => {
    expect(() => authorizerIn(unbundledStack(), props)).toThrow(message);
  });
});
