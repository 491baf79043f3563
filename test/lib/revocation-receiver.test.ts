import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { type Deployment, MockIntegration, RestApi, Stage } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Architecture, Tracing } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import type { PhantomTokenAuthorizerProps, RevocationOptions } from '../../lib/index.js';
import { authorizerIn, CFN_LINT, CFN_LINT_NOTE, cfnLintErrors, template, unbundledApp, unbundledStack } from './stacks.js';

const ENV = { account: '123456789012', region: 'eu-west-1' };

const REVOCATION: RevocationOptions = {
  issuer: 'https://login.example.com/oauth/v2/oauth-anonymous',
  jwksUri: 'https://login.example.com/oauth/v2/oauth-anonymous/jwks',
  audience: 'https://api.example.com/revocation',
};

const TABLE_ARN = 'arn:aws:dynamodb:eu-west-1:123456789012:table/shared-introspection-cache';

/** The receiver's function, found by its description. */
const RECEIVER = { Description: Match.stringLikeRegexp('^Phantom token revocation receiver') };

/** The receiver function's resource. */
function receiverOf(t: Template): { Properties: Record<string, unknown> } {
  const found = Object.values(t.findResources('AWS::Lambda::Function', { Properties: RECEIVER }));
  if (found.length !== 1) throw new Error(`expected one receiver function, found ${found.length}`);
  return found[0] as { Properties: Record<string, unknown> };
}

/** The statements of the receiver role's policies (the role whose logical id says RevocationReceiver). */
function receiverStatements(t: Template): Record<string, unknown>[] {
  return Object.values(t.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes('RevocationReceiverRole'))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

/** A REST API with one method guarded by the construct, its deployment stage named `stageName`. */
function restApiIn(stack: Stack, id: string, stageName = 'prod'): RestApi {
  // No account-wide CloudWatch role: a resource of the test's, not the construct's (cdk-nag IAM4).
  return new RestApi(stack, id, { deployOptions: { stageName }, cloudWatchRole: false });
}

/** A `Fn::Join` of literals and `Ref`s as one string, each `Ref` written as its logical id. */
function joinedWithRefs(value: unknown): string {
  if (typeof value === 'string') return value;
  const [delimiter, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return parts.map((part) => (typeof part === 'string' ? part : (part as { Ref: string }).Ref)).join(delimiter);
}

const withReceiver = (props: Partial<PhantomTokenAuthorizerProps> = {}): Partial<PhantomTokenAuthorizerProps> => ({
  sharedCache: {},
  revocation: REVOCATION,
  ...props,
});

describe('revocation', () => {
  it('is off by default: no receiver function, no function URL', () => {
    const stack = unbundledStack();
    const phantomToken = authorizerIn(stack, { sharedCache: {} });
    const t = template(stack);
    t.resourceCountIs('AWS::Lambda::Function', 1);
    t.resourceCountIs('AWS::Lambda::Url', 0);
    expect(phantomToken.revocationReceiver).toBeUndefined();
    expect(phantomToken.revocationReceiverUrl).toBeUndefined();
  });

  it('creates its own function: Node.js 24 on arm64, 256 MiB, reserved concurrency 5, with its own role and log group', () => {
    const stack = unbundledStack();
    const phantomToken = authorizerIn(stack, withReceiver());
    const t = template(stack);
    t.resourceCountIs('AWS::Lambda::Function', 2);
    t.resourceCountIs('AWS::Logs::LogGroup', 2);
    t.hasResourceProperties('AWS::Lambda::Function', {
      ...RECEIVER,
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      ReservedConcurrentExecutions: 5,
      // No repeat delay (with a receiver the memory bound is 0: one flush), six calls of 3 s, one second.
      Timeout: 19,
      Role: { 'Fn::GetAtt': [Match.stringLikeRegexp('RevocationReceiverRole'), 'Arn'] },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('RevocationReceiverLogGroup') } },
    });
    t.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Retain',
    });
    expect(phantomToken.revocationReceiver).toBeDefined();
  });

  it("follows the authorizer's architecture and log retention", () => {
    const stack = unbundledStack();
    authorizerIn(stack, withReceiver({ architecture: Architecture.X86_64, logRetention: RetentionDays.ONE_WEEK }));
    const t = template(stack);
    t.hasResourceProperties('AWS::Lambda::Function', { ...RECEIVER, Architectures: ['x86_64'] });
    const retentions = Object.values(t.findResources('AWS::Logs::LogGroup')).map((group) => group.Properties.RetentionInDays);
    expect(retentions).toEqual([7, 7]);
  });

  it("runs in the authorizer's VPC, where its identity server's JWKS usually is, with scoped network-interface permissions", () => {
    const stack = unbundledStack();
    const vpc = new Vpc(stack, 'Vpc', { natGateways: 0, restrictDefaultSecurityGroup: false });
    authorizerIn(stack, withReceiver({ vpc }));
    const t = template(stack);
    t.hasResourceProperties('AWS::Lambda::Function', {
      ...RECEIVER,
      VpcConfig: { SubnetIds: Match.arrayWith([{ Ref: Match.stringLikeRegexp('VpcPrivate|VpcIsolated') }]) },
    });
    expect(receiverStatements(t).map((s) => s.Action)).toContainEqual('ec2:CreateNetworkInterface');
  });

  it('takes a reserved concurrency of its own', () => {
    const stack = unbundledStack();
    authorizerIn(stack, withReceiver({ revocation: { ...REVOCATION, reservedConcurrency: 2 } }));
    template(stack).hasResourceProperties('AWS::Lambda::Function', { ...RECEIVER, ReservedConcurrentExecutions: 2 });
  });

  it('sets the memory bound to 0 with a receiver unless given, so one flush suffices and the receiver answers at once', () => {
    const stack = unbundledStack();
    authorizerIn(stack, withReceiver());
    const t = template(stack);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SHARED_CACHE_MEMORY_TTL_SECONDS: '0' }) },
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      ...RECEIVER,
      Environment: { Variables: Match.objectLike({ REVOCATION_FLUSH_REPEAT_SECONDS: '0' }) },
    });
    const without = unbundledStack();
    authorizerIn(without, { sharedCache: {} });
    template(without).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SHARED_CACHE_MEMORY_TTL_SECONDS: '5' }) },
    });
  });

  it('hands the receiver its issuer, keys, audience, table, repeat delay, call deadline and its own metrics service', () => {
    const stack = unbundledStack();
    authorizerIn(
      stack,
      withReceiver({ sharedCache: { memoryTtl: Duration.seconds(10) }, metricsNamespace: 'Auth', serviceName: 'orders-auth' }),
    );
    template(stack).hasResourceProperties('AWS::Lambda::Function', {
      ...RECEIVER,
      // 10 s + 1 s repeat delay, six calls of 3 s, one second.
      Timeout: 30,
      Environment: {
        Variables: {
          REVOCATION_ISSUER: REVOCATION.issuer,
          REVOCATION_JWKS_URI: REVOCATION.jwksUri,
          REVOCATION_AUDIENCE: REVOCATION.audience,
          SHARED_CACHE_TABLE: { Ref: Match.stringLikeRegexp('SharedCacheTable') },
          REVOCATION_FLUSH_STAGES: '[]',
          REVOCATION_FLUSH_REPEAT_SECONDS: '11',
          REVOCATION_TIMEOUT_MS: '3000',
          POWERTOOLS_METRICS_NAMESPACE: 'Auth',
          POWERTOOLS_SERVICE_NAME: 'orders-auth/revocation',
        },
      },
    });
  });

  it('puts the receiver behind a function URL without IAM auth (the SET signature authenticates the sender) and without CORS', () => {
    const stack = unbundledStack();
    const phantomToken = authorizerIn(stack, withReceiver());
    const t = template(stack);
    t.resourceCountIs('AWS::Lambda::Url', 1);
    t.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      Cors: Match.absent(),
      TargetFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('RevocationReceiverFunction'), 'Arn'] },
    });
    expect(stack.resolve(phantomToken.revocationReceiverUrl)).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/RevocationReceiverFunctionFunctionUrl/), 'FunctionUrl'],
    });
  });

  it('lets the receiver PutItem token# and set# items of the table with the attributes of a mark or a SET record only (never an answer), and nothing else of DynamoDB, nor flush anything without a REST API', () => {
    const stack = unbundledStack();
    authorizerIn(stack, withReceiver());
    const statements = receiverStatements(template(stack)).filter((s) => !JSON.stringify(s.Action).includes('logs:'));
    expect(statements).toEqual([
      {
        Action: 'dynamodb:PutItem',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/SharedCacheTable/), 'Arn'] },
        Condition: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['token#*', 'set#*'] },
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'state', 'expiresAt', 'expiresAtMs', 'claimId'] },
        },
      },
    ]);
  });

  it("hands the receiver an imported table's ARN, and lets it use the table's customer-managed key", () => {
    const stack = unbundledStack();
    const key = new Key(stack, 'CacheKey', { enableKeyRotation: true });
    const table = Table.fromTableAttributes(stack, 'Shared', { tableArn: TABLE_ARN, encryptionKey: key });
    authorizerIn(stack, withReceiver({ sharedCache: { table } }));
    const t = template(stack);
    t.hasResourceProperties('AWS::Lambda::Function', {
      ...RECEIVER,
      Environment: { Variables: Match.objectLike({ SHARED_CACHE_TABLE: TABLE_ARN }) },
    });
    expect(receiverStatements(t)).toContainEqual({
      Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/CacheKey/), 'Arn'] },
    });
  });

  it('flushes the authorizer cache of every stage of the REST APIs it wires, and may delete exactly those caches', () => {
    const stack = unbundledStack();
    const phantomToken = authorizerIn(stack, withReceiver());
    const orders = restApiIn(stack, 'Orders', 'prod');
    new Stage(stack, 'OrdersBeta', { deployment: orders.latestDeployment as Deployment, stageName: 'beta' });
    const billing = restApiIn(stack, 'Billing', 'live');
    phantomToken.addRestMethod(orders.root, 'GET', new MockIntegration());
    phantomToken.addRestMethod(billing.root, 'GET', new MockIntegration());
    const t = template(stack);
    const env = receiverOf(t).Properties.Environment as { Variables: Record<string, unknown> };
    const flushed = JSON.parse(joinedWithRefs(env.Variables.REVOCATION_FLUSH_STAGES)) as { restApiId: string; stage: string }[];
    expect(flushed.map(({ restApiId, stage }) => [restApiId.replace(/[0-9A-F]{8}$/, ''), stage]).sort()).toEqual([
      ['Billing', 'live'],
      ['Orders', 'beta'],
      ['Orders', 'prod'],
    ]);
    const flushStatements = receiverStatements(t).filter((s) => s.Action === 'apigateway:DELETE');
    expect(flushStatements).toHaveLength(1);
    const arn = (api: string, stage: string) => ({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':apigateway:eu-west-1::/restapis/',
          { Ref: expect.stringMatching(new RegExp(`^${api}[0-9A-F]{8}$`)) },
          `/stages/${stage}/cache/authorizers`,
        ],
      ],
    });
    expect(flushStatements[0]).toEqual({
      Action: 'apigateway:DELETE',
      Effect: 'Allow',
      Resource: expect.arrayContaining([arn('Orders', 'prod'), arn('Orders', 'beta'), arn('Billing', 'live')]),
    });
    expect(flushStatements[0]?.Resource).toHaveLength(3);
  });

  it('flushes nothing for HTTP APIs, which have no flush', () => {
    const stack = unbundledStack();
    const phantomToken = authorizerIn(stack, withReceiver());
    phantomToken.addHttpRoutes(new HttpApi(stack, 'Api'), {
      path: '/orders',
      methods: [HttpMethod.GET],
      integration: new HttpUrlIntegration('Orders', 'https://orders.example.com'),
    });
    const t = template(stack);
    t.hasResourceProperties('AWS::Lambda::Function', {
      ...RECEIVER,
      Environment: { Variables: Match.objectLike({ REVOCATION_FLUSH_STAGES: '[]' }) },
    });
    expect(receiverStatements(t).filter((s) => s.Action === 'apigateway:DELETE')).toEqual([]);
  });

  it('flushes nothing, and may not, with flushRestApiCaches false', () => {
    const stack = unbundledStack();
    const phantomToken = authorizerIn(stack, withReceiver({ revocation: { ...REVOCATION, flushRestApiCaches: false } }));
    phantomToken.addRestMethod(restApiIn(stack, 'Orders').root, 'GET', new MockIntegration());
    const t = template(stack);
    t.hasResourceProperties('AWS::Lambda::Function', {
      ...RECEIVER,
      Environment: { Variables: Match.objectLike({ REVOCATION_FLUSH_STAGES: Match.absent() }) },
    });
    expect(receiverStatements(t).filter((s) => s.Action === 'apigateway:DELETE')).toEqual([]);
  });

  it('warns, and flushes nothing, for an imported REST API whose stages the app does not define', () => {
    const stack = unbundledStack();
    const phantomToken = authorizerIn(stack, withReceiver());
    const api = RestApi.fromRestApiAttributes(stack, 'Imported', { restApiId: 'abcdef1234', rootResourceId: 'root123456' });
    phantomToken.addRestMethod(api.root, 'GET', new MockIntegration());
    const t = template(stack);
    t.hasResourceProperties('AWS::Lambda::Function', {
      ...RECEIVER,
      Environment: { Variables: Match.objectLike({ REVOCATION_FLUSH_STAGES: '[]' }) },
    });
    Annotations.fromStack(stack).hasWarning(
      '/Test/Imported',
      Match.stringLikeRegexp('^revocation.flushRestApiCaches: no stage of Test/Imported is defined in this app'),
    );
  });

  it("leaves out, with a warning, a stage in an API stack that depends on the authorizer's stack", () => {
    const app = unbundledApp();
    const auth = new Stack(app, 'Auth', { env: ENV });
    const apis = new Stack(app, 'Apis', { env: ENV });
    const phantomToken = authorizerIn(auth, withReceiver());
    const api = restApiIn(apis, 'Orders');
    phantomToken.addRestMethod(api.root, 'GET', new MockIntegration());
    const t = Template.fromStack(auth);
    t.hasResourceProperties('AWS::Lambda::Function', {
      ...RECEIVER,
      Environment: { Variables: Match.objectLike({ REVOCATION_FLUSH_STAGES: '[]' }) },
    });
    Annotations.fromStack(apis).hasWarning(
      '/Apis/Orders/DeploymentStage.prod/Resource',
      Match.stringLikeRegexp(
        '^revocation.flushRestApiCaches: Apis/Orders/DeploymentStage.prod/Resource is in Apis, which depends on Auth \\(its authorizer uses this function\\), so the receiver cannot reference it',
      ),
    );
  });

  it('fails synthesis past 20 stages to flush, which the receiver refuses', () => {
    const stack = unbundledStack();
    const phantomToken = authorizerIn(stack, withReceiver());
    const api = restApiIn(stack, 'Orders');
    for (let index = 0; index < 20; index++) {
      new Stage(stack, `Stage${index}`, { deployment: api.latestDeployment as Deployment, stageName: `s${index}` });
    }
    phantomToken.addRestMethod(api.root, 'GET', new MockIntegration());
    expect(() => template(stack)).toThrow(
      'revocation.flushRestApiCaches: the wired REST APIs have 21 stages, more than the 20 the revocation receiver flushes',
    );
  });

  it.skipIf(!CFN_LINT)(`synthesizes a template with no cfn-lint error, with REST stages flushed${CFN_LINT_NOTE}`, () => {
    const stack = unbundledStack();
    const phantomToken = authorizerIn(stack, withReceiver());
    phantomToken.addRestMethod(restApiIn(stack, 'Orders').root, 'GET', new MockIntegration());
    expect(cfnLintErrors([stack])).toEqual({ Test: [] });
  });
});

describe('revocation props are validated, naming the prop, the limit and the value', () => {
  const build = (props: Partial<PhantomTokenAuthorizerProps>) => () => authorizerIn(unbundledStack(), props);

  it.each<[string, Partial<PhantomTokenAuthorizerProps>, string]>([
    [
      'a receiver without a shared cache',
      { revocation: REVOCATION },
      "revocation requires sharedCache: the receiver marks revoked tokens in the shared cache's table, which the authorizer reads; set sharedCache (sharedCache: {} for a created table)",
    ],
    [
      'a plain-http JWKS URI',
      withReceiver({ revocation: { ...REVOCATION, jwksUri: 'http://login.example.com/jwks' } }),
      'revocation.jwksUri must use https (plain http only for 127.0.0.1 or localhost); received "http://login.example.com/jwks"',
    ],
    [
      'a relative JWKS URI',
      withReceiver({ revocation: { ...REVOCATION, jwksUri: '/jwks' } }),
      'revocation.jwksUri must be an absolute URL; received "/jwks"',
    ],
    [
      'an empty issuer',
      withReceiver({ revocation: { ...REVOCATION, issuer: '' } }),
      'revocation.issuer must be a non-empty string without surrounding whitespace; received ""',
    ],
    [
      'an audience with surrounding whitespace',
      withReceiver({ revocation: { ...REVOCATION, audience: ' https://api.example.com ' } }),
      'revocation.audience must be a non-empty string without surrounding whitespace; received " https://api.example.com "',
    ],
    [
      'a reserved concurrency of 0, which would stop the receiver',
      withReceiver({ revocation: { ...REVOCATION, reservedConcurrency: 0 } }),
      'revocation.reservedConcurrency must be a whole number from 1 to 1000 executions; received 0',
    ],
  ])('refuses %s', (_, props, message) => {
    expect(build(props)).toThrow(message);
  });

  it('accepts a plain-http JWKS URI on 127.0.0.1 (local development)', () => {
    expect(build(withReceiver({ revocation: { ...REVOCATION, jwksUri: 'http://127.0.0.1:8443/jwks' } }))).not.toThrow();
  });
});

describe('cdk-nag AwsSolutions with the shared cache and the receiver on', () => {
  /** Synthesizes with cdk-nag's AwsSolutions checks and answers what fails it (the plugin's report). */
  function nagFindings(build: (stack: Stack) => void): string {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Nag', { env: ENV });
    build(stack);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    try {
      app.synth();
      return '';
    } catch (error) {
      return (error as Error).message;
    }
  }

  /** Every option on, in a VPC, a customer key on the table, guarding a REST API whose stage is flushed and an HTTP API. */
  const everyOption =
    (sharedCache: NonNullable<PhantomTokenAuthorizerProps['sharedCache']> = {}) =>
    (stack: Stack) => {
      const vpc = new Vpc(stack, 'Vpc', { natGateways: 0, restrictDefaultSecurityGroup: false });
      Validations.of(vpc).acknowledge({ id: 'AwsSolutions-VPC7', reason: 'a test VPC' });
      const http = new HttpApi(stack, 'Http');
      Validations.of(http).acknowledge({ id: 'AwsSolutions-APIG1', reason: 'a test API' });
      const rest = restApiIn(stack, 'Rest');
      for (const id of ['AwsSolutions-APIG1', 'AwsSolutions-APIG2', 'AwsSolutions-APIG3', 'AwsSolutions-APIG6', 'AwsSolutions-COG4']) {
        Validations.of(rest).acknowledge({ id, reason: 'a test API' });
      }
      const phantomToken = authorizerIn(stack, {
        vpc,
        tracing: Tracing.ACTIVE,
        dashboard: true,
        sharedCache: { encryptionKey: new Key(stack, 'CacheKey', { enableKeyRotation: true }), ...sharedCache },
        revocation: REVOCATION,
      });
      phantomToken.addHttpRoutes(http, {
        path: '/orders',
        methods: [HttpMethod.GET],
        integration: new HttpUrlIntegration('Orders', 'https://orders.example.com'),
      });
      phantomToken.addRestMethod(rest.root, 'GET', new MockIntegration());
    };

  it('finds nothing unacknowledged of the table, the grants, the receiver and its URL', () => {
    expect(nagFindings(everyOption())).toBe('');
  });

  it('finds nothing unacknowledged with point-in-time recovery on the shared table', () => {
    expect(nagFindings(everyOption({ pointInTimeRecovery: true }))).toBe('');
  });
});
