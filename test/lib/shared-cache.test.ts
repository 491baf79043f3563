import { Duration, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import type { PhantomTokenAuthorizerProps } from '../../lib/index.js';
import { authorizerIn, CFN_LINT, CFN_LINT_NOTE, cfnLintErrors, template, unbundledStack } from './stacks.js';

const TABLE_ARN = 'arn:aws:dynamodb:eu-west-1:210987654321:table/shared-introspection-cache';
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** Every IAM statement of the stack's policies. */
function statementsOf(t: Template): Record<string, unknown>[] {
  return Object.values(t.findResources('AWS::IAM::Policy')).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

/** The statements that name DynamoDB or KMS actions: the shared cache's grants, nothing else of the construct's does. */
function tableStatementsOf(t: Template): Record<string, unknown>[] {
  return statementsOf(t).filter((statement) => /"(dynamodb|kms):/.test(JSON.stringify(statement.Action)));
}

function withSharedCache(props: Partial<PhantomTokenAuthorizerProps>): { stack: Stack; t: Template } {
  const stack = unbundledStack();
  authorizerIn(stack, props);
  return { stack, t: template(stack) };
}

describe('sharedCache', () => {
  it('is off by default: no table, no shared-cache variables, no DynamoDB permission', () => {
    const { t } = withSharedCache({});
    t.resourceCountIs('AWS::DynamoDB::Table', 0);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          SHARED_CACHE_TABLE: Match.absent(),
          SHARED_CACHE_TIMEOUT_MS: Match.absent(),
          SHARED_CACHE_MEMORY_TTL_SECONDS: Match.absent(),
        }),
      },
    });
    expect(tableStatementsOf(t)).toEqual([]);
  });

  it('creates one table with {}: pk string, TTL on expiresAt, on demand, AWS-managed encryption, destroyed with the stack', () => {
    const { t } = withSharedCache({ sharedCache: {} });
    t.resourceCountIs('AWS::DynamoDB::Table', 1);
    t.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        // Enabled without a type or key: DynamoDB's AWS-managed key (alias/aws/dynamodb).
        SSESpecification: { SSEEnabled: true, SSEType: Match.absent(), KMSMasterKeyId: Match.absent() },
        PointInTimeRecoverySpecification: Match.absent(),
      },
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });
  });

  it("hands the function the created table's name and the defaults of its deadline and memory bound", () => {
    const { t } = withSharedCache({ sharedCache: {} });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          SHARED_CACHE_TABLE: { Ref: Match.stringLikeRegexp('SharedCacheTable') },
          SHARED_CACHE_TIMEOUT_MS: '150',
          SHARED_CACHE_MEMORY_TTL_SECONDS: '5',
        }),
      },
    });
  });

  it('hands the function the deadline and memory bound it is given', () => {
    const { t } = withSharedCache({ sharedCache: { timeout: Duration.millis(40), memoryTtl: Duration.seconds(2) } });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SHARED_CACHE_TIMEOUT_MS: '40', SHARED_CACHE_MEMORY_TTL_SECONDS: '2' }) },
    });
  });

  it('leaves the function timeout as it was: the table calls are bounded inside the decision budget', () => {
    const { t } = withSharedCache({ sharedCache: { timeout: Duration.seconds(3) } });
    // Twice the default 3 s introspection deadline plus one second.
    t.hasResourceProperties('AWS::Lambda::Function', { Timeout: 7 });
  });

  it('lets the function GetItem and PutItem token# items of the table, and nothing else of DynamoDB', () => {
    const { t } = withSharedCache({ sharedCache: {} });
    expect(tableStatementsOf(t)).toEqual([
      {
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/SharedCacheTable/), 'Arn'] },
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['token#*'] } },
      },
    ]);
  });

  it('uses an imported table: no table created, its ARN in the environment (it may be in another account), the same grant on it', () => {
    const stack = unbundledStack();
    const phantomToken = authorizerIn(stack, { sharedCache: { table: Table.fromTableArn(stack, 'Shared', TABLE_ARN) } });
    const t = template(stack);
    t.resourceCountIs('AWS::DynamoDB::Table', 0);
    expect(phantomToken.sharedCacheTable?.tableArn).toBe(TABLE_ARN);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SHARED_CACHE_TABLE: TABLE_ARN }) },
    });
    expect(tableStatementsOf(t)).toEqual([
      {
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        Effect: 'Allow',
        Resource: TABLE_ARN,
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['token#*'] } },
      },
    ]);
  });

  it("lets the function use an imported table's customer-managed key", () => {
    const stack = unbundledStack();
    const table = Table.fromTableAttributes(stack, 'Shared', { tableArn: TABLE_ARN, encryptionKey: Key.fromKeyArn(stack, 'K', KEY_ARN) });
    authorizerIn(stack, { sharedCache: { table } });
    expect(tableStatementsOf(template(stack))).toContainEqual({
      Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
      Effect: 'Allow',
      Resource: KEY_ARN,
    });
  });

  it('encrypts the created table with a customer-managed key when given one, which the function may use for its items', () => {
    const stack = unbundledStack();
    const key = new Key(stack, 'CacheKey', { enableKeyRotation: true });
    authorizerIn(stack, { sharedCache: { encryptionKey: key } });
    const t = template(stack);
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('CacheKey'), 'Arn'] } },
    });
    expect(tableStatementsOf(t)).toContainEqual({
      Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/CacheKey/), 'Arn'] },
    });
  });

  it('turns point-in-time recovery on when asked', () => {
    const { t } = withSharedCache({ sharedCache: { pointInTimeRecovery: true } });
    t.hasResourceProperties('AWS::DynamoDB::Table', { PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } });
  });

  it('keeps the created table when its removal policy says so', () => {
    const { t } = withSharedCache({ sharedCache: { removalPolicy: RemovalPolicy.RETAIN } });
    t.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('exposes the created table as sharedCacheTable, and none without a shared cache', () => {
    const stack = unbundledStack();
    expect(authorizerIn(stack, { sharedCache: {} }).sharedCacheTable).toBeInstanceOf(Table);
    expect(authorizerIn(stack, {}, 'Other').sharedCacheTable).toBeUndefined();
  });

  it.skipIf(!CFN_LINT)(`synthesizes a template with no cfn-lint error, customer key and point-in-time recovery on${CFN_LINT_NOTE}`, () => {
    const stack = unbundledStack();
    authorizerIn(stack, {
      sharedCache: { encryptionKey: new Key(stack, 'CacheKey', { enableKeyRotation: true }), pointInTimeRecovery: true },
    });
    expect(cfnLintErrors([stack])).toEqual({ Test: [] });
  });
});

describe('sharedCache props are validated, naming the prop, the limit and the value', () => {
  const build = (props: Partial<PhantomTokenAuthorizerProps>) => () => {
    const stack = unbundledStack();
    const table = Table.fromTableArn(stack, 'Shared', TABLE_ARN);
    const resolved = typeof props.sharedCache?.table === 'string' ? { ...props, sharedCache: { ...props.sharedCache, table } } : props;
    authorizerIn(stack, resolved);
  };
  /** `table: 'imported'` stands for an imported table, made inside the stack under test. */
  const imported = 'imported' as never;

  it.each<[string, Partial<PhantomTokenAuthorizerProps>, string]>([
    [
      'a customer key for an imported table',
      { sharedCache: { table: imported, encryptionKey: 'key' as never } },
      'sharedCache.encryptionKey applies only to the table the construct creates, not to sharedCache.table (pass its key in Table.fromTableAttributes({ tableArn, encryptionKey })); received both',
    ],
    [
      'point-in-time recovery for an imported table',
      { sharedCache: { table: imported, pointInTimeRecovery: false } },
      'sharedCache.pointInTimeRecovery applies only to the table the construct creates, not to sharedCache.table (set it on that table); received both',
    ],
    [
      'a removal policy for an imported table',
      { sharedCache: { table: imported, removalPolicy: RemovalPolicy.RETAIN } },
      'sharedCache.removalPolicy applies only to the table the construct creates, not to sharedCache.table (set it on that table); received both',
    ],
    [
      'a memory bound over 300 seconds',
      { sharedCache: { memoryTtl: Duration.minutes(6) } },
      'sharedCache.memoryTtl must be a whole number of seconds from 0 to 300; received 360 seconds',
    ],
    [
      'a memory bound of a fraction of a second',
      { sharedCache: { memoryTtl: Duration.millis(1500) } },
      'sharedCache.memoryTtl must be a whole number of seconds from 0 to 300; received 1500 millis',
    ],
    [
      'a table deadline under 10 ms',
      { sharedCache: { timeout: Duration.millis(5) } },
      'sharedCache.timeout must be a whole number of milliseconds from 10 to 3000; received 5 millis',
    ],
    [
      'a table deadline over 3 s',
      { sharedCache: { timeout: Duration.seconds(4) } },
      'sharedCache.timeout must be a whole number of milliseconds from 10 to 3000; received 4 seconds',
    ],
  ])('refuses %s', (_, props, message) => {
    expect(build(props)).toThrow(message);
  });

  it('refuses an imported table in another region than the stack, where the functions would never find it', () => {
    const stack = unbundledStack();
    const table = Table.fromTableArn(stack, 'Shared', 'arn:aws:dynamodb:us-east-1:123456789012:table/shared-introspection-cache');
    expect(() => authorizerIn(stack, { sharedCache: { table } })).toThrow(
      "sharedCache.table must be in the stack's region (eu-west-1): the functions call DynamoDB in their own region; received a table in us-east-1",
    );
  });

  it('accepts a memory bound of 0 (every decision reads the table) and the limits of the deadline', () => {
    expect(build({ sharedCache: { memoryTtl: Duration.seconds(0), timeout: Duration.millis(10) } })).not.toThrow();
    expect(build({ sharedCache: { memoryTtl: Duration.seconds(300), timeout: Duration.millis(3000) } })).not.toThrow();
  });
});
