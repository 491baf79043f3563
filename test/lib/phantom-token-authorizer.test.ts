import { Duration, type Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { Cors, HttpIntegration, LambdaIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, MappingValue, ParameterMapping } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration, HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { CachedAnswerSharing, IntrospectionResponseType } from '../../lib/index.js';
import { authorizerIn, routeTableOf, template, unbundledStack } from './stacks.js';

const backend = (stack: Stack) =>
  new LambdaFunction(stack, 'Backend', {
    runtime: Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler=async()=>({})'),
  });

describe('the authorizer function', () => {
  it('is Node.js 24 on arm64 with a log group retention, 1024 MiB and a timeout under API Gateway 10 s', () => {
    const stack = unbundledStack();
    authorizerIn(stack);
    const t = template(stack);
    t.resourceCountIs('AWS::Lambda::Function', 1);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 1024,
      Timeout: 7,
      LoggingConfig: { LogGroup: Match.anyValue() },
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('gets the environment contract from the props, with the runtime defaults', () => {
    const stack = unbundledStack();
    authorizerIn(stack, {
      realm: 'orders',
      cacheMaxTtl: Duration.seconds(120),
      negativeCacheTtl: Duration.seconds(0),
      introspectionTimeout: Duration.millis(1500),
    });
    template(stack).hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 4,
      Environment: {
        Variables: {
          INTROSPECTION_ENDPOINT: 'https://login.example.com/oauth/v2/oauth-introspect',
          CLIENT_CREDENTIALS_SECRET: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:phantom/client-AbC123',
          INTROSPECTION_RESPONSE_TYPE: 'application/jwt',
          REALM: 'orders',
          CACHE_MAX_TTL_SECONDS: '120',
          CACHE_MAX_ENTRIES: '10000',
          NEGATIVE_CACHE_TTL_SECONDS: '0',
          INTROSPECTION_TIMEOUT_MS: '1500',
          SECRET_REFRESH_SECONDS: '300',
          ROUTE_TABLE_FILE: '/opt/phantom-token/route-table.json',
        },
      },
    });
  });

  it('configures RFC 9701 mode with the JWKS URI and issuer', () => {
    const stack = unbundledStack();
    authorizerIn(stack, {
      introspectionResponseType: IntrospectionResponseType.TOKEN_INTROSPECTION_JWT,
      jwksUri: 'https://login.example.com/jwks',
      issuer: 'https://login.example.com',
    });
    template(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          INTROSPECTION_RESPONSE_TYPE: 'application/token-introspection+jwt',
          JWKS_URI: 'https://login.example.com/jwks',
          ISSUER: 'https://login.example.com',
        }),
      },
    });
  });

  it('may read exactly its one secret, and decrypt with its customer-managed key', () => {
    const stack = unbundledStack();
    const key = new Key(stack, 'Key');
    const secret = Secret.fromSecretAttributes(stack, 'Imported', {
      secretCompleteArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:phantom/client-AbC123',
      encryptionKey: key,
    });
    authorizerIn(stack, { clientCredentialsSecret: secret });
    const t = template(stack);
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PhantomTokenLogGroup'), 'Arn'] },
          }),
          {
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Effect: 'Allow',
            Resource: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:phantom/client-AbC123',
          },
        ],
      },
    });
    // The key grants decryption to the function's role, through Secrets Manager only.
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'kms:Decrypt',
            Principal: { AWS: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PhantomTokenRole'), 'Arn'] } },
            Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
          }),
        ]),
      },
    });
    // Only its own log group and the secret: no AWS-managed policy on its role.
    t.hasResourceProperties('AWS::IAM::Role', { AssumeRolePolicyDocument: Match.anyValue(), ManagedPolicyArns: Match.absent() });
  });

  it('reads an existing secret by name, passing the name (not a partial ARN) to the function', () => {
    const stack = unbundledStack();
    authorizerIn(stack, { clientCredentialsSecretName: 'phantom/introspection-client' });
    const t = template(stack);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CLIENT_CREDENTIALS_SECRET: 'phantom/introspection-client' }) },
    });
    const policies = JSON.stringify(t.findResources('AWS::IAM::Policy'));
    expect(policies).toContain(':secretsmanager:eu-west-1:123456789012:secret:phantom/introspection-client-??????');
  });

  it('never puts a client secret into the template', () => {
    const stack = unbundledStack();
    authorizerIn(stack, {
      clientCredentialsSecret: new Secret(stack, 'Created', {
        generateSecretString: { secretStringTemplate: '{"client_id":"authorizer"}', generateStringKey: 'client_secret' },
      }),
    });
    const json = JSON.stringify(template(stack).toJSON());
    expect(json).not.toMatch(/client_secret"\s*:\s*"[^"]/);
    expect(json).not.toMatch(/CLIENT_SECRET/);
  });

  it('runs in a VPC for a private identity server', () => {
    const stack = unbundledStack();
    const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
    authorizerIn(stack, { vpc });
    template(stack).hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SubnetIds: Match.anyValue(), SecurityGroupIds: Match.anyValue() },
    });
  });
});

describe('HTTP API', () => {
  it('creates a REQUEST authorizer, payload 2.0, IAM policy answers, identity source the Authorization header, 60 s cache', () => {
    const stack = unbundledStack();
    const api = new HttpApi(stack, 'Api');
    authorizerIn(stack).addHttpRoutes(api, {
      path: '/orders',
      methods: [HttpMethod.GET],
      integration: new HttpUrlIntegration('Orders', 'https://orders.example.com'),
    });
    template(stack).hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: false,
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerResultTtlInSeconds: 60,
    });
  });

  it('keeps the token as the only identity source when routes that differ in required scopes are told apart by their globs', () => {
    const stack = unbundledStack();
    const api = new HttpApi(stack, 'Api');
    const authorizer = authorizerIn(stack, {
      resultsCacheTtl: Duration.seconds(300),
      cachedAnswerSharing: CachedAnswerSharing.EVALUATED_POLICY,
    });
    const integration = new HttpUrlIntegration('Orders', 'https://orders.example.com');
    authorizer.addHttpRoutes(api, { path: '/orders', methods: [HttpMethod.GET], integration, scopes: ['read'] });
    authorizer.addHttpRoutes(api, { path: '/orders', methods: [HttpMethod.POST], integration, scopes: ['write'] });
    const t = template(stack);
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerResultTtlInSeconds: 300,
    });
    expect(routeTableOf(stack)).toEqual([
      { routeKey: 'GET /orders', scopes: ['read'], group: 0 },
      { routeKey: 'POST /orders', scopes: ['write'], group: 0 },
    ]);
    t.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
  });

  it('keeps the token as the only identity source when all routes need the same scopes', () => {
    const stack = unbundledStack();
    const api = new HttpApi(stack, 'Api');
    const authorizer = authorizerIn(stack);
    const integration = new HttpUrlIntegration('Orders', 'https://orders.example.com');
    authorizer.addHttpRoutes(api, { path: '/a', methods: [HttpMethod.GET], integration, scopes: ['read'] });
    authorizer.addHttpRoutes(api, { path: '/b', methods: [HttpMethod.GET], integration, scopes: ['read'] });
    template(stack).hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { IdentitySource: ['$request.header.Authorization'] });
  });

  it('ships every route bound to its authorizers in the table, with or without scopes, and keeps one cached answer where the globs allow it', () => {
    const stack = unbundledStack();
    const api = new HttpApi(stack, 'Api');
    const authorizer = authorizerIn(stack, { cachedAnswerSharing: CachedAnswerSharing.EVALUATED_POLICY });
    const integration = new HttpUrlIntegration('Orders', 'https://orders.example.com');
    authorizer.addHttpRoutes(api, { path: '/a/{id}', methods: [HttpMethod.GET], integration, scopes: ['admin'] });
    api.addRoutes({ path: '/a/{id}/b', methods: [HttpMethod.GET], integration, authorizer: authorizer.httpRouteAuthorizer(api) });
    template(stack).hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { IdentitySource: ['$request.header.Authorization'] });
    expect(routeTableOf(stack)).toEqual([
      { routeKey: 'GET /a/{id}', scopes: ['admin'], group: 0 },
      { routeKey: 'GET /a/{id}/b', scopes: [], group: 0 },
    ]);
  });

  it('gives a route that cannot share the cached answer (a proxy beside a scoped route under it) an authorizer of its own group, keyed by the token alone', () => {
    const stack = unbundledStack();
    const api = new HttpApi(stack, 'Api');
    const authorizer = authorizerIn(stack);
    const integration = new HttpUrlIntegration('Orders', 'https://orders.example.com');
    authorizer.addHttpRoutes(api, { path: '/{proxy+}', integration });
    authorizer.addHttpRoutes(api, { path: '/admin/users/{id}', methods: [HttpMethod.GET], integration, scopes: ['admin'] });
    const t = template(stack);
    const authorizers = t.findResources('AWS::ApiGatewayV2::Authorizer');
    expect(Object.values(authorizers).map((resource) => [resource.Properties.Name, resource.Properties.IdentitySource])).toEqual([
      ['PhantomToken-phantom-token', ['$request.header.Authorization']],
      ['PhantomToken-phantom-token-g1', ['$request.header.Authorization']],
    ]);
    const [, second] = Object.keys(authorizers);
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /admin/users/{id}', AuthorizerId: { Ref: second } });
    t.resourceCountIs('AWS::Lambda::Permission', 2);
    expect(routeTableOf(stack).map(({ routeKey, group }) => [routeKey, group])).toEqual([
      ['ANY /{proxy+}', 0],
      ['GET /admin/users/{id}', 1],
    ]);
    Annotations.fromStack(stack).hasInfo('/Test/Api', Match.stringLikeRegexp('answered by 2 authorizers \\(group 0, group 1\\)'));
  });

  it("fails synthesis when the function environment would pass Lambda's 4 KB, naming the largest variables", () => {
    const stack = unbundledStack();
    const authorizer = authorizerIn(stack);
    authorizer.function.addEnvironment('BIG_SETTING', 'x'.repeat(3_700));
    expect(() => template(stack)).toThrow(
      /the authorizer function's environment would be about \d+ bytes, over Lambda's 4096 \(largest: BIG_SETTING 3711, /,
    );
    const fits = unbundledStack();
    authorizerIn(fits).function.addEnvironment('SMALL_SETTING', 'x'.repeat(100));
    expect(() => template(fits)).not.toThrow();
  });

  it('fails synthesis on scopes declared for a route no authorizer of it guards, naming the nearest route keys', () => {
    const stack = unbundledStack();
    const api = new HttpApi(stack, 'Api');
    const authorizer = authorizerIn(stack);
    authorizer.addHttpRoutes(api, {
      path: '/orders/{id}',
      methods: [HttpMethod.GET],
      integration: new HttpUrlIntegration('Orders', 'https://orders.example.com'),
    });
    authorizer.requireScopes('GET /orders/{orderId}', ['orders:read']);
    expect(() => template(stack)).toThrow(
      /declared for route GET \/orders\/\{orderId\}, which no route behind this authorizer has; nearest route keys: GET \/orders\/\{id\}/,
    );
  });

  it('maps the JWT into x-phantom-jwt with overwrite for HTTP integrations, keeping their own mappings', () => {
    const stack = unbundledStack();
    const api = new HttpApi(stack, 'Api');
    const integration = new HttpUrlIntegration('Orders', 'https://orders.example.com', {
      parameterMapping: new ParameterMapping().appendHeader('x-request-id', MappingValue.contextVariable('requestId')),
    });
    authorizerIn(stack).addHttpRoutes(api, { path: '/orders', methods: [HttpMethod.GET], integration });
    template(stack).hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'HTTP_PROXY',
      RequestParameters: {
        'append:header.x-request-id': '$context.requestId',
        'overwrite:header.x-phantom-jwt': '$context.authorizer.jwt',
      },
    });
  });

  it('uses the configured JWT header name', () => {
    const stack = unbundledStack();
    const api = new HttpApi(stack, 'Api');
    authorizerIn(stack, { jwtHeaderName: 'X-Backend-JWT' }).addHttpRoutes(api, {
      path: '/o',
      integration: new HttpUrlIntegration('O', 'https://o.example.com'),
    });
    template(stack).hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      RequestParameters: { 'overwrite:header.x-backend-jwt': '$context.authorizer.jwt' },
    });
  });

  it('leaves Lambda integrations without a mapping (they read requestContext.authorizer.lambda.jwt)', () => {
    const stack = unbundledStack();
    const api = new HttpApi(stack, 'Api');
    authorizerIn(stack).addHttpRoutes(api, {
      path: '/orders',
      methods: [HttpMethod.GET],
      integration: new HttpLambdaIntegration('Fn', backend(stack)),
    });
    const t = template(stack);
    t.hasResourceProperties('AWS::ApiGatewayV2::Integration', { IntegrationType: 'AWS_PROXY', RequestParameters: Match.absent() });
    t.hasResourceProperties('AWS::Lambda::Permission', { FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Backend'), 'Arn'] } });
  });

  it('guards an ANY route with no OPTIONS route beside it, and never route authorizationScopes', () => {
    const stack = unbundledStack();
    const api = new HttpApi(stack, 'Api');
    authorizerIn(stack).addHttpRoutes(api, {
      path: '/orders',
      integration: new HttpUrlIntegration('Orders', 'https://orders.example.com'),
      scopes: ['read'],
    });
    const t = template(stack);
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'ANY /orders',
      AuthorizationType: 'CUSTOM',
      AuthorizationScopes: Match.absent(),
    });
    t.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
  });

  it('serves several HTTP APIs, including an imported one, from one function', () => {
    const stack = unbundledStack();
    const first = new HttpApi(stack, 'First');
    const second = HttpApi.fromHttpApiAttributes(stack, 'Second', {
      httpApiId: 'abc123',
      apiEndpoint: 'https://abc123.execute-api.eu-west-1.amazonaws.com',
    });
    const authorizer = authorizerIn(stack);
    const integration = () => new HttpUrlIntegration('Orders', 'https://orders.example.com');
    authorizer.addHttpRoutes(first, { path: '/a', methods: [HttpMethod.GET], integration: integration() });
    authorizer.addHttpRoutes(second, { path: '/b', methods: [HttpMethod.GET], integration: integration() });
    const t = template(stack);
    t.resourceCountIs('AWS::Lambda::Function', 1);
    t.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 2);
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { ApiId: 'abc123' });
    t.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'apigateway.amazonaws.com',
      SourceArn: {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':execute-api:eu-west-1:123456789012:abc123/authorizers/', { Ref: Match.anyValue() }],
        ],
      },
    });
  });

  it('rejects the same route with different scopes on two APIs sharing one function', () => {
    const stack = unbundledStack();
    const authorizer = authorizerIn(stack);
    authorizer.addHttpRoutes(new HttpApi(stack, 'A'), {
      path: '/x',
      methods: [HttpMethod.GET],
      integration: new HttpUrlIntegration('X', 'https://x.example.com'),
      scopes: ['read'],
    });
    expect(() =>
      authorizer.addHttpRoutes(new HttpApi(stack, 'B'), {
        path: '/x',
        methods: [HttpMethod.GET],
        integration: new HttpUrlIntegration('Y', 'https://y.example.com'),
        scopes: ['admin'],
      }),
    ).toThrow('route GET /x is already declared with scopes [read]; received [admin]');
  });

  it('lets several constructs live in one stack, each with its own function', () => {
    const stack = unbundledStack();
    const api = new HttpApi(stack, 'Api');
    authorizerIn(stack, {}, 'One').addHttpRoutes(api, {
      path: '/a',
      methods: [HttpMethod.GET],
      integration: new HttpUrlIntegration('A', 'https://a.example.com'),
      scopes: ['a'],
    });
    authorizerIn(stack, {}, 'Two').addHttpRoutes(api, {
      path: '/b',
      methods: [HttpMethod.GET],
      integration: new HttpUrlIntegration('B', 'https://b.example.com'),
      scopes: ['b'],
    });
    const t = template(stack);
    t.resourceCountIs('AWS::Lambda::Function', 2);
    t.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 2);
  });
});

describe('REST API', () => {
  it('creates a REQUEST authorizer keyed by the token alone when routes have scopes its policy answers tell apart', () => {
    const stack = unbundledStack();
    const api = new RestApi(stack, 'Api');
    authorizerIn(stack).addRestMethod(api.root.addResource('orders'), 'GET', new HttpIntegration('https://orders.example.com'), {
      scopes: ['read'],
    });
    template(stack).hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 60,
    });
  });

  it('keys by the token alone when no route has scopes (the policy then covers the stage)', () => {
    const stack = unbundledStack();
    const api = new RestApi(stack, 'Api');
    authorizerIn(stack).addRestMethod(api.root.addResource('orders'), 'GET', new HttpIntegration('https://orders.example.com'));
    template(stack).hasResourceProperties('AWS::ApiGateway::Authorizer', { IdentitySource: 'method.request.header.Authorization' });
  });

  it('answers 401 with WWW-Authenticate Bearer realm, and 403 with error="insufficient_scope"', () => {
    const stack = unbundledStack();
    const api = new RestApi(stack, 'Api');
    authorizerIn(stack, { realm: 'orders' }).addRestMethod(api.root, 'GET', new HttpIntegration('https://orders.example.com'));
    const t = template(stack);
    t.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      StatusCode: '401',
      ResponseParameters: { 'gatewayresponse.header.WWW-Authenticate': `'Bearer realm="orders"'` },
    });
    t.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'ACCESS_DENIED',
      StatusCode: '403',
      ResponseParameters: { 'gatewayresponse.header.WWW-Authenticate': `'Bearer realm="orders", error="insufficient_scope"'` },
    });
  });

  it('maps Authorization: Bearer <JWT> into HTTP integrations from the authorizer context', () => {
    const stack = unbundledStack();
    const api = new RestApi(stack, 'Api');
    authorizerIn(stack).addRestMethod(api.root, 'GET', new HttpIntegration('https://orders.example.com', { proxy: true }));
    template(stack).hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      AuthorizationType: 'CUSTOM',
      Integration: {
        Type: 'HTTP_PROXY',
        Uri: 'https://orders.example.com',
        RequestParameters: { 'integration.request.header.Authorization': 'context.authorizer.authorization' },
      },
    });
  });

  it('leaves Lambda proxy integrations unmapped (they read requestContext.authorizer.jwt)', () => {
    const stack = unbundledStack();
    const api = new RestApi(stack, 'Api');
    authorizerIn(stack).addRestMethod(api.root, 'GET', new LambdaIntegration(backend(stack)));
    template(stack).hasResourceProperties('AWS::ApiGateway::Method', {
      Integration: { Type: 'AWS_PROXY', RequestParameters: Match.absent() },
    });
  });

  it('adds no OPTIONS method for ANY, and leaves CORS preflight methods unauthenticated', () => {
    const stack = unbundledStack();
    const api = new RestApi(stack, 'Api');
    const authorizer = authorizerIn(stack);
    authorizer.addRestMethod(api.root.addResource('any'), 'ANY', new HttpIntegration('https://orders.example.com'));
    authorizer.addRestMethod(
      api.root.addResource('cors', { defaultCorsPreflightOptions: { allowOrigins: Cors.ALL_ORIGINS } }),
      'ANY',
      new HttpIntegration('https://o.example.com'),
    );
    const t = template(stack);
    const options = Object.values(t.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } }));
    expect(
      options.map((method) => [method.Properties.ResourceId, method.Properties.AuthorizationType, method.Properties.Integration.Type]),
    ).toEqual([[{ Ref: expect.stringMatching(/^Apicors/) }, 'NONE', 'MOCK']]);
  });

  it('serves an HTTP API and a REST API from one function', () => {
    const stack = unbundledStack();
    const authorizer = authorizerIn(stack);
    authorizer.addRestMethod(new RestApi(stack, 'Rest').root, 'GET', new HttpIntegration('https://orders.example.com'), {
      scopes: ['read'],
    });
    authorizer.addHttpRoutes(new HttpApi(stack, 'Http'), {
      path: '/',
      methods: [HttpMethod.GET],
      integration: new HttpUrlIntegration('O', 'https://o.example.com'),
      scopes: ['read'],
    });
    const t = template(stack);
    t.resourceCountIs('AWS::Lambda::Function', 1);
    t.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    t.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
  });
});
